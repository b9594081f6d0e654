"""The FastAPI application factory: REST API under ``/api/v1`` and the dashboard pages under ``/``."""

from __future__ import annotations

import logging
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import duckdb
import plotly
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from crmsec.api.auth import CSRF_COOKIE, LANG_COOKIE, Signer, UserStore, new_csrf_token
from crmsec.api.config import Settings, get_settings
from crmsec.api.i18n import pick_lang
from crmsec.api.jobs import JobManager
from crmsec.api.limits import BodySizeLimit, LoginThrottle, keep_uploads_in_memory, page_message
from crmsec.errors import AccessError, CrmsecError, StoreError, UnknownNameError

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class _StoreOpener:
    """A lazily opened, shared read-only connection; each request takes its own cursor."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opened_stamp: int | None = None

    def _stamp(self) -> int | None:
        from crmsec.store.build import store_path

        try:
            return os.stat(self.settings.store_path or store_path()).st_mtime_ns
        except OSError:
            return None

    def __call__(self) -> duckdb.DuckDBPyConnection:
        """The connection; reopened when the store file was rebuilt (a new vintage) since it was opened.

        The old connection is not closed here: requests still reading from it keep their cursors; it is
        released when the last of them is gone.
        """
        with self._lock:
            stamp = self._stamp()
            if self._con is None or stamp != self._opened_stamp:
                from crmsec.store import open_store

                self._con = open_store(self.settings.store_path)
                self._opened_stamp = stamp
            return self._con

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


_store_opener = _StoreOpener


class LangCsrfHeaders:
    """Pure ASGI middleware: the request's language, a CSRF cookie for pages, security headers."""

    def __init__(self, app, settings: Settings) -> None:  # noqa: ANN001
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = scope.setdefault("state", {})
        cookies = request.cookies
        state["lang"] = pick_lang(
            cookies.get(LANG_COOKIE), request.query_params.get("lang"),
            request.headers.get("accept-language") if LANG_COOKIE not in cookies else None,
            self.settings.default_lang,
        )
        token = cookies.get(CSRF_COOKIE)
        fresh = not token or len(token) < 16
        state["csrf_token"] = new_csrf_token() if fresh else token
        path = scope.get("path", "")
        set_cookie = fresh and not path.startswith(("/api/", "/static/", "/vendor/"))
        settings = self.settings

        async def send_wrapper(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if set_cookie:
                    secure = "; Secure" if settings.cookie_secure else ""
                    headers.append("set-cookie", f"{CSRF_COOKIE}={state['csrf_token']}; HttpOnly; Path=/; "
                                                 f"SameSite=strict{secure}")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", CSP)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Content-Language", state["lang"])
            await send(message)

        await self.app(scope, receive, send_wrapper)


def create_app(settings: Settings | None = None, *, users: UserStore | None = None) -> FastAPI:
    """Build the app. ``settings`` default to the environment (:func:`get_settings`); tests pass their own
    settings and a :class:`UserStore` with test users, and swap the store via ``dependency_overrides``."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.jobs.shutdown()

    app = FastAPI(
        title="crmsec",
        version="0.1.0",
        summary="Security of supply of critical raw materials for the Netherlands: API and dashboard",
        lifespan=lifespan,
        docs_url=None,  # served offline by crmsec.api.docs (the default page uses a CDN and an inline script)
        redoc_url=None,
        generate_unique_id_function=lambda route: f"{route.tags[0] if route.tags else 'page'}-{route.name}",
    )
    app.state.settings = settings
    app.state.users = users if users is not None else UserStore.from_settings(settings)
    app.state.signer = Signer(settings.secret_key.get_secret_value())
    app.state.jobs = JobManager(workers=settings.job_workers, max_pending=settings.job_queue_max,
                                max_per_user=settings.job_queue_per_user)
    app.state.open_store = _store_opener(settings)
    app.state.cache_lock = threading.Lock()

    from crmsec.api.apicache import ApiCache

    app.add_middleware(ApiCache, settings=settings)  # inner: sees the resolved language (issue 15)
    app.add_middleware(LangCsrfHeaders, settings=settings)
    from crmsec.api.meta import ProvenanceScope

    app.add_middleware(ProvenanceScope)  # one provenance recording scope per /api/ request
    # outermost: counts body bytes as they arrive (chunked too) → 413 before anything is buffered or spooled
    body_limit = settings.max_upload_bytes + 64 * 1024
    app.add_middleware(BodySizeLimit, limit=body_limit)
    keep_uploads_in_memory(body_limit)
    # per account: back-off after 5 failures; per client address (offices share one): after 20
    app.state.login_throttle = {"user": LoginThrottle(free=5), "ip": LoginThrottle(free=20)}
    app.state.auth_limiter = anyio.CapacityLimiter(settings.auth_threads)

    def _wants_html(request: Request) -> bool:
        return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")

    def _error(request: Request, code: int, detail: str, err: Exception | None = None) -> Response:
        if _wants_html(request):
            from crmsec.api.deps import get_current_user
            from crmsec.api.friendly import page_error
            from crmsec.api.web import render

            detail = page_error(request.state.lang, code, detail, err)

            try:
                user = get_current_user(request, settings, app.state.users)
            except HTTPException:
                from crmsec.api.auth import ANONYMOUS as user
            return render(request, "pages/error.html", user, status_code=code, code=code, detail=detail)
        return JSONResponse({"detail": detail}, status_code=code)

    @app.exception_handler(CrmsecError)
    async def crmsec_error(request: Request, err: CrmsecError) -> Response:
        from crmsec.api.engines import YearNotAvailable  # a valid year without data: 404, not 422

        code = (404 if isinstance(err, UnknownNameError | YearNotAvailable) else 503 if isinstance(err, StoreError)
                else 403 if isinstance(err, AccessError) else 422)
        return _error(request, code, str(err), err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        if _wants_html(request) and err.status_code in (401, 403, 404, 413, 422, 429):
            resp = _error(request, err.status_code, page_message(err.status_code, str(err.detail)))
        else:
            resp = JSONResponse({"detail": err.detail}, status_code=err.status_code)
        for k, v in (err.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in err.errors()
        ]
        text = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        if _wants_html(request):
            from crmsec.api.friendly import validation_error as friendly_validation

            return _error(request, 422, friendly_validation(request.state.lang, errors))
        return JSONResponse({"detail": text, "errors": errors}, status_code=422)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """plotly.js as shipped inside the plotly Python package (served locally: no CDN)."""
        return FileResponse(PLOTLY_JS, media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from crmsec.api.docs import mount_docs
    from crmsec.api.models import Problem
    from crmsec.api.routers import ROUTERS

    mount_docs(app)
    # answers any API operation may give besides its own: malformed body (400), bad bearer token (401), body over
    # the limit (413; see crmsec.api.limits) — documented once here so the schema matches what is sent
    common = {400: {"model": Problem, "description": "malformed request body"},
              401: {"model": Problem, "description": "invalid or expired bearer token"},
              413: {"model": Problem, "description": "request body over the upload limit"}}
    for router in ROUTERS:
        app.include_router(router, responses=common)
    app.openapi = lambda: _openapi(app)
    return app


def _openapi(app: FastAPI) -> dict:
    """The OpenAPI schema with 422 bodies as the app sends them (``detail`` a string, ``errors`` by field)."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        from crmsec.api.models import ValidationProblem

        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = ValidationProblem.model_json_schema(ref_template="#/components/schemas/{model}")
        comps.update(problem.pop("$defs", {}))
        comps["HTTPValidationError"] = problem
        app.openapi_schema = schema
    return app.openapi_schema
