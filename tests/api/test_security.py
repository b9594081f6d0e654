"""Security limits of the web face (issue 16): streamed body limit, login throttling, revocation, secrets, CSRF."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from apihelp import PASSWORDS, bearer, csrf_of, login
from pydantic import ValidationError

from crmsec.api import Settings
from crmsec.api.limits import LoginThrottle

CHUNK = 64 * 1024


def _asgi_post(app, path: str, chunks: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """POST a chunked body of ``chunks`` × 64 KiB straight into the ASGI app; (status, chunks the app pulled)."""
    pulled = 0
    sent: list[dict] = []
    multipart = any(v.startswith(b"multipart/") for _, v in headers)
    filler = b"a" * CHUNK if multipart else b"[" * CHUNK
    first = (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
             b"Content-Type: text/csv\r\n\r\n" + filler) if multipart else filler

    async def receive():
        nonlocal pulled
        if pulled >= chunks:
            return {"type": "http.disconnect"}
        pulled += 1
        body = first if pulled == 1 else filler
        return {"type": "http.request", "body": body, "more_body": pulled < chunks}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "https", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 443), "state": {}}

    async def run():
        async with _lifespan(app):
            await app(scope, receive, send)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], pulled


class _lifespan:
    def __init__(self, app):
        self.app = app

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


@pytest.mark.parametrize("path, ctype", [
    ("/api/v1/allocation-runs", b"application/json"),
    ("/api/v1/company/assessments", b"multipart/form-data; boundary=xyz"),
    ("/api/v1/scenario-runs/upload", b"multipart/form-data; boundary=xyz"),
])
def test_chunked_body_over_the_limit_is_refused_while_streaming(app, settings, path, ctype):
    """A 32 MiB chunked body without Content-Length is refused and the rest is never read.

    The app is shared by the session, so a full job queue may refuse first (429, body unread); either way no more
    than the limit is pulled. (Memory is not traced here: tracemalloc counts every thread, and the session's
    background jobs allocate too; the chunk count is the direct measure here; memory is measured in a fresh
    interpreter by test_security_memory.py.)"""
    limit = settings.max_upload_bytes + 64 * 1024
    status, pulled = _asgi_post(app, path, chunks=512, headers=[(b"content-type", ctype)])
    assert status in (413, 429)
    assert pulled <= limit // CHUNK + 1  # stopped right after the limit, not at 512 chunks


def test_declared_content_length_over_the_limit_and_page_message(client):
    r = client.post("/api/v1/allocation-runs", content=b"{" * 100_000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    r = client.post("/api/v1/allocation-runs", content=b"{}", headers={"content-length": "abc"})
    assert r.status_code == 413


def test_uploads_below_the_limit_stay_in_memory(app, settings):
    from starlette.formparsers import MultiPartParser

    assert MultiPartParser.spool_max_size > settings.max_upload_bytes + 64 * 1024


def test_login_throttle_backs_off_and_answers_429(client):
    codes = [client.post("/api/v1/auth/token", data={"username": "ana", "password": f"wrong-{i}"}).status_code
             for i in range(20)]
    assert codes[:5] == [401] * 5 and 429 in codes
    r = client.post("/api/v1/auth/token", data={"username": "ana", "password": PASSWORDS["ana"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1  # even the right password waits
    # another account from the same address is not yet blocked (per-address allowance is larger)
    assert client.post("/api/v1/auth/token", data={"username": "root", "password": PASSWORDS["root"]}).status_code == 200


def test_login_page_shows_the_throttle_in_the_users_language(client):
    for _ in range(6):
        r = client.post("/login?lang=nl", data={"username": "ana", "password": "wrong", "csrf_token": csrf_of(client)})
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert "Te veel mislukte" in r.text


def test_throttle_delays_grow_and_memory_is_bounded():
    now = [0.0]
    t = LoginThrottle(free=2, base_s=1, max_s=60, window_s=900, max_keys=3, clock=lambda: now[0])
    waits = []
    for _ in range(6):
        t.failed("user:x")
        waits.append(t.retry_after("user:x"))
    assert waits == [0, 1, 2, 4, 8, 16]  # free=2 failures, then doubling waits
    now[0] += 1000  # outside the window: forgiven
    assert t.retry_after("user:x") == 0
    for i in range(10):
        t.failed(f"ip:{i}")
    assert len(t) <= 3


def test_session_cookie_is_refused_after_logout(client):
    login(client, "ana")
    cookie = client.cookies.get("crmsec_session")
    r = client.post("/logout", data={"csrf_token": client.cookies.get("crmsec_csrf")}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.set("crmsec_session", cookie)  # a copy of the old cookie replayed
    assert client.get("/api/v1/auth/me").json()["role"] == "public"


def test_token_revocation(client):
    h = bearer(client, "ana")
    assert client.get("/api/v1/auth/me", headers=h).json()["role"] == "analyst"
    assert client.post("/api/v1/auth/revoke", headers=h).status_code == 204
    assert client.get("/api/v1/auth/me", headers=h).status_code == 401


@pytest.mark.parametrize("field, value", [
    ("secret_key", "a"), ("secret_key", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), ("secret_key", "abababababababababab"),
    ("admin_password", "a"), ("admin_password", "Password123"), ("admin_password", "aaaaaaaaaaaa"),
])
def test_weak_secrets_are_refused_at_start_up(field, value):
    with pytest.raises(ValidationError, match="too weak"):
        Settings(**{field: value})


def test_strong_secrets_pass():
    s = Settings(secret_key="x7Gq-2vLp_9RtZk4Wm8s", admin_password="correct horse battery")
    assert s.admin_password is not None


def test_serve_refuses_a_weak_key_with_a_clear_message(monkeypatch):
    from typer.testing import CliRunner

    from crmsec.cli import app as cli_app

    monkeypatch.setenv("CRMSEC_SECRET_KEY", "a")
    r = CliRunner().invoke(cli_app, ["serve", "--port", "8999"])
    assert r.exit_code == 1 and "CRMSEC_SECRET_KEY is too weak" in r.output


def test_short_csrf_token_and_foreign_origin_are_refused(client):
    login(client, "ana")
    token = client.cookies.get("crmsec_csrf")
    client.cookies.delete("crmsec_csrf")
    client.cookies.set("crmsec_csrf", "a")
    assert client.post("/api/v1/allocation-runs", json={}, headers={"X-CSRF-Token": "a"}).status_code == 403
    client.cookies.delete("crmsec_csrf")
    client.cookies.set("crmsec_csrf", token)
    r = client.post("/api/v1/allocation-runs", json={"rule": "maxmin"},
                    headers={"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert r.status_code == 403 and "Origin" in r.json()["detail"]


def test_job_queue_is_bounded_per_user_and_globally_and_unfinished_jobs_are_never_evicted():
    from fastapi import HTTPException

    from crmsec.api.jobs import JobManager

    gate = threading.Event()
    jobs = JobManager(workers=1, keep=2, max_pending=5, max_per_user=3, ttl_s=3600)
    try:
        mine = [jobs.submit("t", lambda p: gate.wait(5), {}, "ana") for _ in range(3)]
        with pytest.raises(HTTPException) as err:
            jobs.submit("t", lambda p: None, {}, "ana")
        assert err.value.status_code == 429 and "at most 3" in err.value.detail and err.value.headers["Retry-After"]
        jobs.submit("t", lambda p: gate.wait(5), {}, "bob")
        jobs.submit("t", lambda p: gate.wait(5), {}, "eve")
        with pytest.raises(HTTPException, match="429") as err:
            jobs.submit("t", lambda p: None, {}, "zoe")
        assert "server has 5" in err.value.detail
        assert all(jobs.get(j.id) is not None for j in mine)  # keep=2, yet none of the 5 unfinished is dropped
        gate.set()
        for j in mine:
            assert jobs.wait(j.id, 5).status == "done"
        jobs.wait(jobs.submit("t", lambda p: 1, {}, "zoe").id, 5)
        held = [j for j in jobs._jobs.values() if j.finished is not None]
        assert len(held) <= 3 and jobs.get(mine[0].id) is None  # beyond keep=2 (+ the newest) the oldest go
    finally:
        gate.set()
        jobs.shutdown()


def test_job_results_expire_after_their_ttl():
    from crmsec.api.jobs import JobManager

    jobs = JobManager(workers=1, ttl_s=0.0)
    try:
        first = jobs.submit("t", lambda p: 1, {}, "ana")
        assert jobs.wait(first.id, 5).status == "done"
        time.sleep(0.01)
        jobs.submit("t", lambda p: 2, {}, "ana")
        assert jobs.get(first.id) is None
    finally:
        jobs.shutdown()


def test_limit_messages_on_pages_are_translated():
    from crmsec.api.i18n import translator
    from crmsec.api.limits import QUEUE_FULL, TOO_LARGE, TOO_MANY_LOGINS, page_message

    assert page_message(413, "request body larger than …") == TOO_LARGE
    assert page_message(429, "too many failed sign-in attempts; …") == TOO_MANY_LOGINS
    assert page_message(429, "job queue full: …") == QUEUE_FULL
    nl = translator("nl")
    assert all(nl(m) != m for m in (TOO_LARGE, TOO_MANY_LOGINS, QUEUE_FULL))


def test_a_too_large_page_upload_shows_the_dutch_message(client):
    login(client, "ana")
    r = client.post("/company?lang=nl", headers={"accept": "text/html"},
                    data={"csrf_token": client.cookies.get("crmsec_csrf")},
                    files={"file": ("bom.csv", b"a" * 200_000)})
    assert r.status_code == 413 and "groter dan de uploadlimiet" in r.text


def test_a_correct_sign_in_clears_the_account_failures(client):
    for i in range(4):
        assert client.post("/api/v1/auth/token", data={"username": "ana", "password": f"w{i}"}).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "ana", "password": PASSWORDS["ana"]}).status_code == 200
    for i in range(4):  # counted from zero again: no back-off yet
        assert client.post("/api/v1/auth/token", data={"username": "ana", "password": f"v{i}"}).status_code == 401
