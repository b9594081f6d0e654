"""Run the app with uvicorn in a background thread on a free localhost port (e2e tests, benchmarks,
screenshots). Not for production: use ``crmsec serve``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: FastAPI, port: int | None = None, *, host: str = "127.0.0.1",
                    timeout: float = 20.0) -> Iterator[str]:
    """Yield the base URL (``http://localhost:PORT``) while uvicorn serves ``app``; stop it afterwards."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="crmsec-devserver", daemon=True)
    thread.start()
    end = time.time() + timeout
    while not server.started:
        if time.time() > end or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on {host}:{port} within {timeout} s")
        time.sleep(0.05)
    try:
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
