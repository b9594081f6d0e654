"""Resource limits of the web face: a streaming request-body limit and login throttling.

* :class:`BodySizeLimit` (pure ASGI) counts the body bytes as they arrive — declared ``Content-Length`` or
  chunked — and answers 413 as soon as the count passes the limit, before the body is buffered in memory or
  a multipart upload is spooled to disk. The multipart spool threshold is raised above the limit
  (:func:`keep_uploads_in_memory`), so an accepted upload is never written to a temporary file.
* :class:`LoginThrottle` bounds password guessing: after ``free`` failures per account or per client address
  within ``window_s`` every further attempt waits an exponentially growing time (capped), answered with 429 and
  ``Retry-After``; memory is bounded (least recently used keys are dropped beyond ``max_keys``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from crmsec.api.i18n import N_

#: page-facing texts (translated on pages; the API answer adds the numbers)
TOO_LARGE = N_("The request is larger than the upload limit; split or trim the file.")
TOO_MANY_LOGINS = N_("Too many failed sign-in attempts; wait a moment and try again.")
QUEUE_FULL = N_("Too many jobs are waiting; wait for one to finish and try again.")


def page_message(status_code: int, detail: str) -> str:
    """The catalog message a page shows for a limit (the API detail carries the numbers, in English)."""
    if status_code == 413:
        return TOO_LARGE
    if status_code == 429:
        return TOO_MANY_LOGINS if "sign-in" in detail else QUEUE_FULL
    return detail


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"request body larger than the limit of {limit:,} bytes; split or trim the file")


class BodySizeLimit:
    """Pure ASGI middleware: 413 once more than ``limit`` body bytes arrived (chunked or not)."""

    def __init__(self, app, limit: int) -> None:  # noqa: ANN001
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted_receive():  # noqa: ANN202
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise too_large(self.limit)  # FastAPI re-raises HTTPException from body parsing as is
            return message

        async def tracked_send(message) -> None:  # noqa: ANN001
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except HTTPException as err:  # raised outside a route (e.g. by another middleware reading the body)
            if err.status_code != 413 or started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send) -> None:  # noqa: ANN001
        """413 before the app ran: JSON for the API, a short page in the visitor's language for browsers."""
        err = too_large(self.limit)
        request = Request(scope)
        if not scope.get("path", "").startswith("/api/") and "text/html" in request.headers.get("accept", ""):
            from html import escape

            from crmsec.api.auth import LANG_COOKIE
            from crmsec.api.i18n import pick_lang, translations

            lang = pick_lang(request.cookies.get(LANG_COOKIE), request.query_params.get("lang"),
                             request.headers.get("accept-language"), "en")
            text = escape(translations(lang).gettext(TOO_LARGE))
            page = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>413</title>'
                    f'<p role="alert">{text}</p><p><a href="/">crmsec</a></p></html>')
            response = HTMLResponse(page, status_code=413, headers={"Connection": "close"})
        else:
            response = JSONResponse({"detail": err.detail}, status_code=413, headers={"Connection": "close"})
        await response(scope, receive, send)


def keep_uploads_in_memory(limit: int) -> None:
    """Multipart parts up to ``limit`` stay in memory (Starlette spools parts above 1 MiB to a temp file)."""
    from starlette.formparsers import MultiPartParser

    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, limit + 1)


class LoginThrottle:
    """Per-key (account, client address) failure counter with exponential back-off; thread-safe, bounded."""

    def __init__(self, free: int = 5, base_s: float = 1.0, max_s: float = 300.0, window_s: float = 900.0,
                 max_keys: int = 10_000, clock=time.monotonic) -> None:  # noqa: ANN001
        self.free, self.base_s, self.max_s, self.window_s, self.max_keys = free, base_s, max_s, window_s, max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._fails: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key → (failures, time of last)

    def _wait(self, key: str, now: float) -> float:
        entry = self._fails.get(key)
        if entry is None:
            return 0.0
        count, last = entry
        if now - last > self.window_s:
            del self._fails[key]
            return 0.0
        if count < self.free:
            return 0.0
        delay = min(self.max_s, self.base_s * 2 ** (count - self.free))
        return max(0.0, last + delay - now)

    def retry_after(self, *keys: str) -> float:
        """Seconds the caller must still wait before another attempt with any of ``keys`` (0 = go ahead)."""
        now = self._clock()
        with self._lock:
            return max((self._wait(k, now) for k in keys), default=0.0)

    def check(self, *keys: str) -> None:
        """429 with ``Retry-After`` while any key is throttled."""
        wait = self.retry_after(*keys)
        if wait > 0:
            secs = int(wait) + 1
            raise HTTPException(429, f"too many failed sign-in attempts; try again in {secs} s",
                                headers={"Retry-After": str(secs)})

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for k in keys:
                count, last = self._fails.pop(k, (0, now))
                if now - last > self.window_s:
                    count = 0
                self._fails[k] = (count + 1, now)
            while len(self._fails) > self.max_keys:
                self._fails.popitem(last=False)

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key`` (an account that signed in correctly)."""
        with self._lock:
            self._fails.pop(key, None)

    def __len__(self) -> int:
        return len(self._fails)
