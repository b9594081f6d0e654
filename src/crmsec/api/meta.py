"""Provenance of API results: a per-request recording scope and the ``meta`` object next to ``data``.

:class:`ProvenanceScope` (pure ASGI middleware) opens one :func:`crmsec.provenance.recording` scope per
``/api/`` request, named by method, path and query; the store cursor of the request records the tables it
reads into it (worker threads inherit the scope). :func:`api_meta` is the one place where a result's ``meta``
is built (``routers.common.table`` and the result models use it); the server's store path is left out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from crmsec import provenance

#: query parameters that never appear in a provenance record
_HIDDEN = {"csrf_token", "access_token", "token"}


class ProvenanceScope:
    """Pure ASGI middleware: one provenance recording scope per API request."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        query = {k: v for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k not in _HIDDEN}
        with provenance.recording(f"{scope.get('method', 'GET')} {path}", query):
            await self.app(scope, receive, send)


def public(rec: dict[str, Any]) -> dict[str, Any]:
    """A provenance record without server file paths (what leaves the server)."""
    out = dict(rec)
    for key in ("store",):
        if out.get(key):
            out[key] = {k: v for k, v in out[key].items() if k != "path"}
    if out.get("other_stores"):
        out["other_stores"] = [{k: v for k, v in s.items() if k != "path"} for s in out["other_stores"]]
    return out


def api_meta(**kwargs: Any) -> dict[str, Any]:
    """The ``meta`` of the result being answered now (see :func:`crmsec.provenance.record`)."""
    return public(provenance.record(**kwargs))
