"""Helpers of the web-face tests (sign-in, tokens, CSRF) and the names of the test projects."""

from __future__ import annotations

from fastapi.testclient import TestClient

PASSWORDS = {"ana": "analyst-pass-1", "root": "admin-pass-1"}
RESTRICTED_CODE = "NL-SECRET-REFINERY"
RESTRICTED_NAME = "Confidential Rotterdam gallium recovery"


def csrf_of(client: TestClient) -> str:
    """Fetch a page so the CSRF cookie is set; return its value."""
    client.get("/login")
    return client.cookies.get("crmsec_csrf")


def login(client: TestClient, username: str) -> None:
    token = csrf_of(client)
    r = client.post("/login", data={"username": username, "password": PASSWORDS[username], "csrf_token": token,
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def bearer(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORDS[username]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
