"""FastAPI dependencies: settings, store cursor, current user, role checks, CSRF, language.

Everything a router needs arrives through ``Annotated`` dependencies, so tests swap any of them with
``app.dependency_overrides`` (e.g. a DuckDB store built in ``tmp_path``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, HTTPException, Request, status

from crmsec.api.auth import (
    ANONYMOUS,
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    Role,
    Signer,
    User,
    UserStore,
    csrf_matches,
)
from crmsec.api.config import Settings
from crmsec.api.jobs import JobManager


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (not the global ones: tests pass their own)."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_store(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A per-request cursor on the read-only vintage store (DuckDB connections are not shared across threads)."""
    con = request.app.state.open_store()
    cur = con.cursor()
    try:
        yield cur
    finally:
        cur.close()


StoreDep = Annotated[duckdb.DuckDBPyConnection, Depends(get_store)]


def get_users(request: Request) -> UserStore:
    return request.app.state.users


UsersDep = Annotated[UserStore, Depends(get_users)]


def get_signer(request: Request) -> Signer:
    return request.app.state.signer


def get_jobs(request: Request) -> JobManager:
    return request.app.state.jobs


JobsDep = Annotated[JobManager, Depends(get_jobs)]


def get_current_user(request: Request, settings: SettingsDep, users: UsersDep) -> User:
    """Bearer token first, then the session cookie; otherwise the anonymous public user.

    An invalid or expired token is an error (401) rather than a silent downgrade to public, so API clients
    notice; an invalid cookie just means "signed out".
    """
    signer = get_signer(request)
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Authorization header must be 'Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        data = signer.read_token(value.strip(), settings.token_max_age_s)
        user = users.get(data[0]) if data else None
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or expired token",
                                headers={"WWW-Authenticate": "Bearer"})
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        data = signer.read_session(cookie, settings.session_max_age_s)
        if data:
            user = users.get(data[0])
            if user is not None:
                return user
    return ANONYMOUS


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(role: Role) -> Callable[[User], User]:
    """Dependency factory: 401 for anonymous users, 403 for signed-in users below ``role``."""

    def check(user: CurrentUser) -> User:
        if user.at_least(role):
            return user
        if user.is_anonymous:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"sign in as {role} or higher",
                                headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role '{user.role}' may not do this; needs {role}")

    return check


AnalystUser = Annotated[User, Depends(require_role("analyst"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]


async def verify_csrf(request: Request) -> None:
    """Double-submit CSRF check for unsafe requests authenticated by cookie (or posted from a page form).

    Bearer-token requests are exempt (browsers never attach that header by themselves).
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and origin != "null":
        from urllib.parse import urlparse

        if urlparse(origin).netloc.lower() != (request.headers.get("host") or "").lower():
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "cross-site request refused: the Origin/Referer is not this site")
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not csrf_matches(cookie, sent):
        settings = request.app.state.settings
        if not cookie and settings.cookie_secure and request.url.scheme == "http" and request.client \
                and request.client.host not in ("127.0.0.1", "::1", "testclient"):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "no CSRF cookie came back: the server sets Secure cookies, which browsers do not "
                                "send over plain http; use https, or start the server with --insecure-cookies")
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "CSRF token missing or wrong: reload the page and submit the form again")


CsrfDep = Depends(verify_csrf)


def get_lang(request: Request) -> str:
    return request.state.lang


LangDep = Annotated[str, Depends(get_lang)]


def get_store_factory(request: Request) -> Callable[[], duckdb.DuckDBPyConnection]:
    """A factory of store cursors for background work that outlives the request (honours overrides)."""
    override = request.app.dependency_overrides.get(get_store)
    if override is not None:
        def make() -> duckdb.DuckDBPyConnection:
            gen = override()
            return next(gen) if hasattr(gen, "__next__") else gen

        return make
    return lambda: request.app.state.open_store().cursor()


StoreFactoryDep = Annotated[Callable[[], duckdb.DuckDBPyConnection], Depends(get_store_factory)]


def get_projects(request: Request):  # noqa: ANN201 - crmsec.projects.registry.ProjectRegistry
    """The project registry (SQL database from ``settings.projects_db_url`` or the registry default)."""
    state = request.app.state
    with state.cache_lock:
        if getattr(state, "projects", None) is None:
            from crmsec.api.engines import project_registry

            state.projects = project_registry(state.settings.projects_db_url)
        return state.projects


ProjectsDep = Annotated[object, Depends(get_projects)]


class StoreHandle:
    """Cheap access to the store's identity (file + modification time) without opening a cursor, so cached
    API answers are served straight from memory; ``cursor()`` opens one only on a cache miss."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self._override = request.app.dependency_overrides.get(get_store)

    def key(self) -> tuple:
        if self._override is not None:  # tests swap the store: identify it by its content
            from crmsec.api.engines import store_key

            return ("override",) + store_key(self.cursor())
        import os

        from crmsec.store.build import store_path

        path = self._request.app.state.settings.store_path or store_path()
        try:
            return (str(path), os.stat(path).st_mtime_ns)
        except OSError:
            from crmsec.errors import StoreError

            raise StoreError(f"no data store at {path}; build it with `crmsec data build` (or `make data`)") from None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return get_store_factory(self._request)()


def get_store_handle(request: Request) -> StoreHandle:
    return StoreHandle(request)


StoreHandleDep = Annotated[StoreHandle, Depends(get_store_handle)]
