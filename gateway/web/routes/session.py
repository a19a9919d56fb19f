"""Logging in and out, and the language switch."""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.web import csrf, i18n
from gateway.web.app import client_address, render, state
from gateway.web.auth import session_cookie_name, session_token, staff_member
from gateway.web.errors import AccountLocked, LoginRefused
from gateway.errors import AccountError
from gateway.web.staff import StaffView, change_password, log_in, log_out, session_user

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """A local path to go back to; anything else (other hosts, ``//x``) gives ``default``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parsed = urlparse(value)
    return default if parsed.scheme or parsed.netloc else value


@router.get("/")
def home(request: Request) -> Response:
    web = state(request)
    user = session_user(web.sessions, session_token(request), now=web.clock.now())
    return RedirectResponse("/dashboard" if user else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/dashboard") -> Response:  # noqa: A002 - the query name
    return render(request, "login.html", next=safe_next(next), error=None, login="")


@router.post("/login")
async def login_submit(request: Request) -> Response:
    await csrf.check(request)
    form = await request.form()
    web = state(request)
    login, password = str(form.get("login", "")), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    try:
        token, _user = log_in(web.sessions, login, password, address=client_address(request),
                              policy=web.config.lockout, max_age=web.config.session_max_age, now=web.clock.now())
    except AccountLocked:
        return render(request, "login.html", status_code=423, next=next_path, error="login.locked", login=login)
    except LoginRefused:
        return render(request, "login.html", status_code=401, next=next_path, error="login.refused", login=login)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(session_cookie_name(request), token, max_age=web.config.session_max_age, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    log_out(state(request).sessions, session_token(request), actor=user.actor, address=client_address(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session_cookie_name(request), path="/")
    return response


@router.get("/account")
def account(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    return render(request, "account.html", done=request.query_params.get("done", ""), error=None)


@router.post("/account/password")
async def password(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    new, repeat = str(form.get("new_password", "")), str(form.get("new_password_again", ""))
    if new != repeat:
        return render(request, "account.html", status_code=400, done="", error="account.mismatch")
    try:
        change_password(state(request).sessions, user.id, str(form.get("current_password", "")), new,
                        keep_token=session_token(request), address=client_address(request))
    except LoginRefused:
        return render(request, "account.html", status_code=401, done="", error="account.wrong_current")
    except AccountError:
        return render(request, "account.html", status_code=400, done="", error="account.too_short")
    return RedirectResponse("/account?done=1", status_code=303)


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "/") -> Response:  # noqa: A002
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/",
                            secure=request.url.scheme == "https")
    return response
