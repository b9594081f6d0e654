"""Cache of rendered dashboard pages for anonymous readers, per store vintage, language and URL (issue 15).

Pages are computed from the vintage store (and, for project pages, the project registry), so for an
anonymous reader the HTML depends only on (store identity, registry version, language, path, query). The
page is rendered once with a placeholder CSRF token; each response gets the reader's own token swapped in,
so no token is ever shared. Signed-in users always get a fresh render (their name, role and forms differ).
A new store vintage (file rebuilt) or any registry write changes the key, so stale pages are never served;
the cache is a bounded LRU so arbitrary query strings cannot grow it without limit.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi.responses import HTMLResponse

from crmsec.api.apicache import PLACEHOLDER as _PLACEHOLDER

PLACEHOLDER = _PLACEHOLDER.decode()  # one token placeholder for both caches
MAX_PAGES = 2000
_INIT = threading.Lock()


class PageCache:
    """One app's cache (kept on ``app.state``, so each app — and each test — starts empty)."""

    def __init__(self) -> None:
        self.pages: OrderedDict[tuple, tuple[int, str]] = OrderedDict()
        self.lock = threading.Lock()
        self.key_locks: dict[tuple, threading.Lock] = {}


def page_cache(app: Any) -> PageCache:
    with _INIT:
        if getattr(app.state, "page_cache", None) is None:
            app.state.page_cache = PageCache()
        return app.state.page_cache


def _key(request: Any, projects: Any) -> tuple:
    from crmsec.api.deps import StoreHandle, get_store

    override = request.app.dependency_overrides.get(get_store)
    try:  # a swapped-in store (tests) is identified by the override itself
        store = ("override", id(override)) if override is not None else StoreHandle(request).key()
    except Exception:  # noqa: BLE001 - no store: let the page itself report it
        store = None
    reg = projects.version() if projects is not None and hasattr(projects, "version") else None
    return (store, reg, request.state.lang, request.url.path, request.url.query)


def cached_page(with_registry: bool = False) -> Callable:
    """Decorate a page route (kwargs ``request`` and ``user``; with ``with_registry`` also ``projects``, the
    project registry whose version joins the key) so anonymous GETs are served from the cache."""

    def deco(fn: Callable[..., HTMLResponse]) -> Callable[..., HTMLResponse]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> HTMLResponse:
            request, user = kwargs["request"], kwargs["user"]
            if user.username is not None or request.method != "GET":
                return fn(*args, **kwargs)
            key = _key(request, kwargs.get("projects") if with_registry else None)
            if key[0] is None or (with_registry and key[1] is None):
                return fn(*args, **kwargs)
            token = request.state.csrf_token
            c = page_cache(request.app)
            hit = c.pages.get(key)
            if hit is None:
                with c.lock:
                    lock = c.key_locks.setdefault(key, threading.Lock())
                with lock:
                    hit = c.pages.get(key)
                    if hit is None:
                        request.state.csrf_token = PLACEHOLDER
                        try:
                            resp = fn(*args, **kwargs)
                        finally:
                            request.state.csrf_token = token
                        if resp.status_code != 200:  # redirects and error pages pass through, never cached
                            if not getattr(resp, "body", b""):
                                return resp
                            body = bytes(resp.body).decode("utf-8").replace(PLACEHOLDER, token)
                            return HTMLResponse(body, status_code=resp.status_code)
                        hit = (resp.status_code, bytes(resp.body).decode("utf-8"))
                        with c.lock:
                            c.pages[key] = hit
                            while len(c.pages) > MAX_PAGES:
                                old, _ = c.pages.popitem(last=False)
                                c.key_locks.pop(old, None)
            else:
                with c.lock:
                    if key in c.pages:
                        c.pages.move_to_end(key)
            return HTMLResponse(hit[1].replace(PLACEHOLDER, token), status_code=hit[0])

        return wrapper

    return deco
