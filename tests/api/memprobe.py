"""Memory probe for the streamed body limit (issue 16), run in a fresh interpreter by test_security_memory.py.

A fresh app (test settings, empty job queue, no other threads allocating) receives a chunked body of
``MIB`` MiB through the ASGI interface — no Content-Length, 64 KiB chunks, each a new bytes object that is freed
as soon as the app drops it (so only what the app keeps is counted). For each path it prints one JSON line: the response status, the
chunks the app pulled, the tracemalloc peak above the level before the request and the growth of the process's
peak RSS (``resource.getrusage``), in bytes. Usage: ``python memprobe.py MIB LIMIT_BYTES PATH...``.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tracemalloc

from crmsec.api import Settings, create_app
from crmsec.api.auth import UserStore

CHUNK = 64 * 1024
FILLER_JSON = b"[" * CHUNK
FILLER_FORM = b"a" * CHUNK
HEAD = (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n")


def post(app, path: str, chunks: int) -> tuple[int, int]:  # noqa: ANN001
    """POST ``chunks`` × 64 KiB chunked into the app; (status, chunks the app pulled)."""
    multipart = not path.endswith("allocation-runs")
    filler = FILLER_FORM if multipart else FILLER_JSON
    ctype = b"multipart/form-data; boundary=xyz" if multipart else b"application/json"
    pulled = 0
    status: list[int] = []

    async def receive():  # noqa: ANN202
        nonlocal pulled
        if pulled >= chunks:
            return {"type": "http.disconnect"}
        pulled += 1
        # a fresh object per chunk: an app that kept the chunks would hold 64 KiB each (a shared one would not)
        body = HEAD if (multipart and pulled == 1) else filler[1:] + filler[:1]
        return {"type": "http.request", "body": body, "more_body": pulled < chunks}

    async def send(message) -> None:  # noqa: ANN001
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "https", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked"), (b"content-type", ctype)],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 443), "state": {}}
    asyncio.run(app(scope, receive, send))
    return status[0], pulled


def main(mib: int, limit: int, paths: list[str]) -> None:
    users = UserStore(rounds=4)
    app = create_app(Settings(secret_key="probe-secret-key-0123456789", bcrypt_rounds=4, max_upload_bytes=limit),
                     users=users)
    chunks = mib * 1024 * 1024 // CHUNK
    for path in paths:  # warm-up: lazy imports and caches of the first request are not the body's cost
        post(app, path, chunks=2)
    tracemalloc.start()
    for path in paths:
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        status, pulled = post(app, path, chunks)
        _, peak = tracemalloc.get_traced_memory()
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"path": path, "status": status, "pulled": pulled, "sent_bytes": chunks * CHUNK,
                          "limit": app.state.settings.max_upload_bytes, "traced_peak": peak - base,
                          "rss_peak_growth": rss1 - rss0}), flush=True)
    app.state.jobs.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:])
