"""Sign-in (form + session cookie, or token for API clients), sign-out, language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from crmsec.api.auth import LANG_COOKIE, SESSION_COOKIE
from crmsec.api.config import LANGS
from crmsec.api.deps import CsrfDep, CurrentUser, SettingsDep, UsersDep, get_signer
from crmsec.api.i18n import N_
from crmsec.api.models import TokenPublic, UserPublic
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


@router.post("/api/v1/auth/token", response_model=TokenPublic,
             responses={401: {"description": "wrong username or password"}})
def issue_token(username: Username, password: Password, request: Request, users: UsersDep,
                settings: SettingsDep) -> TokenPublic:
    """Exchange username + password (form fields) for a bearer token."""
    user = users.authenticate(username, password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    return TokenPublic(access_token=get_signer(request).make_token(user), expires_in=settings.token_max_age_s)


@router.get("/api/v1/auth/me", response_model=UserPublic)
def whoami(user: CurrentUser) -> UserPublic:
    return UserPublic(username=user.username, role=user.role)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, user: CurrentUser, next: str = "/") -> HTMLResponse:  # noqa: A002
    return render(request, "pages/login.html", user, next=_safe_next(next), error=None)


@router.post("/login", include_in_schema=False, dependencies=[CsrfDep])
def login(request: Request, username: Username, password: Password, users: UsersDep, settings: SettingsDep,
          next: Annotated[str, Form()] = "/"):  # noqa: A002
    user = users.authenticate(username, password)
    if user is None:
        from crmsec.api.auth import ANONYMOUS

        return render(request, "pages/login.html", ANONYMOUS, status_code=401, next=_safe_next(next),
                      error=N_("Wrong username or password."))
    resp = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    resp.set_cookie(SESSION_COOKIE, get_signer(request).make_session(user), max_age=settings.session_max_age_s,
                    httponly=True, secure=settings.cookie_secure, samesite="lax", path="/")
    return resp


@router.post("/logout", include_in_schema=False, dependencies=[CsrfDep])
def logout(settings: SettingsDep) -> RedirectResponse:
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
