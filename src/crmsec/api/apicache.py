"""Cache of anonymous GET answers of the read-only API and pages, per store vintage, language and URL (issue 15).

Pure ASGI middleware, placed inside :class:`crmsec.api.app.LangCsrfHeaders` (so the language is resolved and
the security headers are added to cached answers too). Only requests without ``Authorization`` header and
without a session cookie are served from or stored in the cache, only for the read endpoints listed in
:data:`PREFIXES`, and only 200 answers are kept. Dashboard pages (:data:`PAGES`) carry the reader's CSRF token: it is
swapped for a placeholder when an answer is stored and the next reader's own token is put back on each hit,
so no token is ever shared. The key holds the store's identity (file + mtime): a
rebuilt store is a new vintage and misses; project answers also key on the registry's version (every write
is audited, :meth:`crmsec.projects.registry.ProjectRegistry.version`). Bounded LRU.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

from crmsec.api.auth import SESSION_COOKIE

PREFIXES = ("/api/v1/materials", "/api/v1/chains", "/api/v1/crma/", "/api/v1/scenarios",
            "/api/v1/national-list", "/api/v1/criticality", "/api/v1/projects")
PAGES = ("/", "/materials", "/list", "/criticality", "/chains", "/crma", "/scenarios", "/crisis", "/projects",
         "/briefings", "/docs")
PLACEHOLDER = b"crmsec-csrf-placeholder-7f3a9c"
MAX_ENTRIES = 2000


def _cacheable(path: str) -> bool:
    if path.startswith(PREFIXES):
        return True
    return path in PAGES or path.startswith(("/materials/", "/projects/")) and not path.endswith((".yaml", "/appraise"))


class ApiCache:
    def __init__(self, app: Any, settings: Any) -> None:
        self.app = app
        self.settings = settings
        self.entries: OrderedDict[tuple, tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def _store_stamp(self) -> Any:
        from crmsec.store.build import store_path

        try:
            return os.stat(self.settings.store_path or store_path()).st_mtime_ns
        except OSError:
            return None

    def _key(self, scope: dict[str, Any]) -> tuple | None:
        if scope["type"] != "http" or scope["method"] != "GET" or not _cacheable(scope["path"]):
            return None
        fastapi_app = scope.get("app")
        if fastapi_app is not None and fastapi_app.dependency_overrides:  # tests swap store/registry: no cache
            return None
        headers = dict(scope.get("headers") or [])
        if b"authorization" in headers or SESSION_COOKIE.encode() in headers.get(b"cookie", b""):
            return None
        stamp = self._store_stamp()
        if stamp is None:
            return None
        reg = None
        if scope["path"].startswith(("/api/v1/projects", "/projects")):
            projects = getattr(fastapi_app.state, "projects", None) if fastapi_app is not None else None
            if projects is None:
                return None
            reg = projects.version()
        lang = (scope.get("state") or {}).get("lang")
        return (stamp, reg, lang, scope["path"], scope.get("query_string", b""))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        key = self._key(scope) if scope["type"] == "http" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        hit = self.entries.get(key)
        if hit is not None:
            with self.lock:
                if key in self.entries:
                    self.entries.move_to_end(key)
            status, headers, body = hit
            token = ((scope.get("state") or {}).get("csrf_token") or "").encode()
            if token and PLACEHOLDER in body:
                body = body.replace(PLACEHOLDER, token)
            headers = [*headers, (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start.get("status") == 200:
                    headers = [(k, v) for k, v in start.get("headers", [])
                               if k.lower() not in (b"set-cookie", b"content-length")]
                    body = b"".join(chunks)
                    token = ((scope.get("state") or {}).get("csrf_token") or "").encode()
                    if token and len(token) >= 16:
                        body = body.replace(token, PLACEHOLDER)
                    with self.lock:
                        self.entries[key] = (200, headers, body)
                        while len(self.entries) > MAX_ENTRIES:
                            self.entries.popitem(last=False)
            await send(message)

        await self.app(scope, receive, capture)
