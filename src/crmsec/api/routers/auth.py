"""Sign-in (form + session cookie, or token for API clients), sign-out, language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

import anyio
from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from crmsec.api.auth import (
    ANONYMOUS,
    CSRF_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    User,
    UserStore,
    new_csrf_token,
)
from crmsec.api.config import LANGS
from crmsec.api.deps import CsrfDep, CurrentUser, SettingsDep, UsersDep, get_signer
from crmsec.api.i18n import N_
from crmsec.api.limits import TOO_MANY_LOGINS
from crmsec.api.models import Problem, TokenPublic, UserPublic
from crmsec.api.web import render

router = APIRouter(tags=["auth"])

Username = Annotated[str, Form(min_length=1, max_length=64)]
Password = Annotated[str, Form(min_length=1, max_length=200)]


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


async def authenticate(request: Request, users: UserStore, username: str, password: str) -> User | None:
    """Throttled password check (429 while the account or the client address is backing off); bcrypt runs in
    a small dedicated thread pool (``auth_threads``) so anonymous sign-in attempts cannot starve reads."""
    state = request.app.state
    keys = {"user": f"user:{username}", "ip": f"ip:{request.client.host if request.client else '-'}"}

    def attempt() -> User | None:  # check, hash and record in one pool slot: no burst slips past the check
        for kind, key in keys.items():
            state.login_throttle[kind].check(key)
        found = users.authenticate(username, password)
        for kind, key in keys.items():
            if found is None:
                state.login_throttle[kind].failed(key)
            elif kind == "user":
                state.login_throttle[kind].succeeded(key)
        return found

    user = await anyio.to_thread.run_sync(attempt, limiter=state.auth_limiter)
    return user


@router.post("/api/v1/auth/token", response_model=TokenPublic,
             responses={401: {"model": Problem, "description": "wrong username or password"},
                        429: {"model": Problem, "description": "too many failed attempts (see Retry-After)"}})
async def issue_token(username: Username, password: Password, request: Request, users: UsersDep,
                      settings: SettingsDep) -> TokenPublic:
    """Exchange username + password (form fields) for a bearer token."""
    user = await authenticate(request, users, username, password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    return TokenPublic(access_token=get_signer(request).make_token(user), expires_in=settings.token_max_age_s)


@router.post("/api/v1/auth/revoke", status_code=status.HTTP_204_NO_CONTENT,
             responses={401: {"model": Problem}})
def revoke_token(request: Request, user: CurrentUser, settings: SettingsDep) -> Response:
    """Revoke the bearer token sent with this request (sign out an API client); later use answers 401."""
    auth = request.headers.get("authorization", "")
    if user.is_anonymous or not auth.lower().startswith("bearer "):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "send the token to revoke as 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    get_signer(request).revoke(auth[7:].strip(), settings.token_max_age_s, token=True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/v1/auth/me", response_model=UserPublic)
def whoami(user: CurrentUser) -> UserPublic:
    return UserPublic(username=user.username, role=user.role)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, user: CurrentUser, next: str = "/") -> HTMLResponse:  # noqa: A002
    return render(request, "pages/login.html", user, next=_safe_next(next), error=None)


@router.post("/login", include_in_schema=False, dependencies=[CsrfDep])
async def login(request: Request, username: Username, password: Password, users: UsersDep, settings: SettingsDep,
                next: Annotated[str, Form()] = "/"):  # noqa: A002
    try:
        user = await authenticate(request, users, username, password)
    except HTTPException as err:  # 429: throttled
        page = render(request, "pages/login.html", ANONYMOUS, status_code=err.status_code, next=_safe_next(next),
                      error=TOO_MANY_LOGINS)
        page.headers.update(err.headers or {})
        return page
    if user is None:
        return render(request, "pages/login.html", ANONYMOUS, status_code=401, next=_safe_next(next),
                      error=N_("Wrong username or password."))
    resp = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    resp.set_cookie(SESSION_COOKIE, get_signer(request).make_session(user), max_age=settings.session_max_age_s,
                    httponly=True, secure=settings.cookie_secure, samesite="lax", path="/")
    # a fresh CSRF token at sign-in (a token planted before sign-in is not carried into the session)
    resp.set_cookie(CSRF_COOKIE, new_csrf_token(), httponly=True, secure=settings.cookie_secure,
                    samesite="strict", path="/")
    return resp


@router.post("/logout", include_in_schema=False, dependencies=[CsrfDep])
def logout(request: Request, settings: SettingsDep) -> RedirectResponse:
    # server-side: this signed cookie is refused from now on, even if a copy of it is replayed
    get_signer(request).revoke(request.cookies.get(SESSION_COOKIE), settings.session_max_age_s)
    resp = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    resp.delete_cookie(SESSION_COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax")
    return resp


@router.post("/set-lang", include_in_schema=False, dependencies=[CsrfDep])
def set_lang(lang: Annotated[str, Form()], settings: SettingsDep,
             next: Annotated[str, Form()] = "/") -> RedirectResponse:  # noqa: A002
    if lang not in LANGS:
        raise HTTPException(422, f"lang must be one of {', '.join(LANGS)}")
    resp = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, secure=settings.cookie_secure,
                    samesite="lax", path="/")
    return resp
