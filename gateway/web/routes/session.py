"""Logging in (password, then the second factor or its enrolment), out, and the language switch."""

from __future__ import annotations

from urllib.parse import quote, urlparse

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.errors import UsageError
from gateway.web import cookies, csrf, i18n
from gateway.web.app import client_address, render, state
from gateway.web.auth import live_session, pending_member, session_token, staff_member
from gateway.web.errors import AccountLocked, LoginRefused, SecondFactorRefused
from gateway.web.login import (
    Client,
    LoginPolicy,
    LoginStep,
    begin_enrolment,
    check_password,
    check_second_factor,
    confirm_enrolment,
)
from gateway.web.second_factor import SecretBox
from gateway.web.staff import get_staff
from gateway.web.staff_sessions import PENDING_SECONDS, LiveSession, StaffView, log_out

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """A local path to go back to; anything else (other hosts, ``//x``) gives ``default``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parsed = urlparse(value)
    return default if parsed.scheme or parsed.netloc else value


def login_policy(request: Request) -> LoginPolicy:
    """The login rules of this deployment, from the web layer's values."""
    config = state(request).config
    host = urlparse(config.public_url).hostname or "gateway"
    return LoginPolicy(config.lockout, config.session_max_age, config.second_factor_roles, issuer=f"Gateway {host}")


def secret_box(request: Request) -> SecretBox:
    """Encrypts and decrypts TOTP secrets with the web secret's derived key."""
    return SecretBox(state(request).config.secret)


def client_of(request: Request) -> Client:
    """The request's address and user agent, as sessions and the audit trail record them."""
    return Client(client_address(request), request.headers.get("user-agent", ""))


def set_session_cookie(request: Request, response: Response, step: LoginStep) -> None:
    """Hands the browser its (new) session token."""
    max_age = PENDING_SECONDS if step.pending else state(request).config.session_max_age
    cookies.put(response, request, cookies.SESSION, step.token, max_age=max_age)


@router.get("/")
def home(request: Request) -> Response:
    live = live_session(request)
    target = "/login" if live is None else "/login/code" if live.pending else "/dashboard"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/dashboard") -> Response:  # `next`: the query parameter's name
    return render(request, "login.html", next=safe_next(next), error=None, login="")


@router.post("/login")
async def login_submit(request: Request) -> Response:
    await csrf.check(request)
    form = await request.form()
    web = state(request)
    login, password = str(form.get("login", "")), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    try:
        step = check_password(
            web.sessions, login, password, client=client_of(request), policy=login_policy(request), now=web.clock.now()
        )
    except AccountLocked:
        return render(request, "login.html", status_code=423, next=next_path, error="login.locked", login=login)
    except LoginRefused:
        return render(request, "login.html", status_code=401, next=next_path, error="login.refused", login=login)
    target = f"/login/code?next={quote(next_path, safe='/')}" if step.pending else next_path
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, step)
    return response


def _code_page(
    request: Request, live: LiveSession, next_path: str, *, status_code: int = 200, error: str | None = None
) -> Response:
    return render(
        request, "login_code.html", status_code=status_code, next=next_path, error=error, login=live.user.login
    )


@router.get("/login/code")
def code_form(
    request: Request, next: str = "/dashboard", live: LiveSession = Depends(pending_member)
) -> Response:  # `next`: the query parameter's name
    if get_staff(state(request).sessions, live.user.login).second_factor_since is None:
        return RedirectResponse(f"/login/enrol?next={quote(safe_next(next), safe='/')}", status_code=303)
    return _code_page(request, live, safe_next(next))


@router.post("/login/code")
async def code_submit(request: Request, live: LiveSession = Depends(pending_member)) -> Response:
    form = await request.form()
    web = state(request)
    next_path = safe_next(str(form.get("next", "")))
    recovery = str(form.get("recovery_code", "")).strip()
    try:
        step = check_second_factor(
            web.sessions,
            secret_box(request),
            session_token(request),
            recovery or str(form.get("code", "")),
            recovery=bool(recovery),
            client=client_of(request),
            policy=login_policy(request),
            now=web.clock.now(),
        )
    except AccountLocked:
        return _code_page(request, live, next_path, status_code=423, error="login.locked")
    except SecondFactorRefused:
        return _code_page(request, live, next_path, status_code=401, error="code.refused")
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(request, response, step)
    return response


def enrol_page(
    request: Request,
    *,
    action: str,
    fresh: bool,
    pending: bool,
    next_path: str = "",
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    """The enrolment page: a QR code drawn here, the secret as text, and the first code to type."""
    web = state(request)
    enrolment = begin_enrolment(
        web.sessions,
        secret_box(request),
        session_token(request),
        pending=pending,
        fresh=fresh,
        policy=login_policy(request),
        now=web.clock.now(),
    )
    return render(
        request,
        "enrol.html",
        status_code=status_code,
        enrolment=enrolment,
        action=action,
        next=next_path,
        error=error,
        pending=pending,
    )


@router.get("/login/enrol")
def enrol_form(
    request: Request, next: str = "/dashboard", live: LiveSession = Depends(pending_member)
) -> Response:  # `next`: the query parameter's name
    try:
        return enrol_page(request, action="/login/enrol", fresh=True, pending=True, next_path=safe_next(next))
    except UsageError:  # enrolled meanwhile (another tab): the code is what is due
        return RedirectResponse(f"/login/code?next={quote(safe_next(next), safe='/')}", status_code=303)


@router.post("/login/enrol")
async def enrol_submit(request: Request, live: LiveSession = Depends(pending_member)) -> Response:
    form = await request.form()
    web = state(request)
    next_path = safe_next(str(form.get("next", "")))
    try:
        step, codes = confirm_enrolment(
            web.sessions,
            secret_box(request),
            session_token(request),
            str(form.get("code", "")),
            pending=True,
            client=client_of(request),
            policy=login_policy(request),
            now=web.clock.now(),
        )
    except AccountLocked:
        return enrol_page(
            request,
            action="/login/enrol",
            fresh=False,
            pending=True,
            next_path=next_path,
            status_code=423,
            error="login.locked",
        )
    except SecondFactorRefused:
        return enrol_page(
            request,
            action="/login/enrol",
            fresh=False,
            pending=True,
            next_path=next_path,
            status_code=401,
            error="code.refused",
        )
    assert step is not None, "a pending enrolment opens the complete session"
    # The complete session's cookie comes with the page that shows the recovery codes, once.
    response = render(request, "recovery_codes.html", codes=codes, next=next_path, staff=step.user)
    set_session_cookie(request, response, step)
    return response


@router.post("/logout")
def logout(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    _end(request)
    return _to_login(request)


@router.post("/login/cancel")
def cancel(request: Request, live: LiveSession = Depends(pending_member)) -> Response:
    """Leaves a login half-way (before the second factor)."""
    _end(request)
    return _to_login(request)


def _end(request: Request) -> None:
    live = live_session(request)
    log_out(
        state(request).sessions,
        session_token(request),
        actor=live.user.actor if live else "staff:?",
        address=client_address(request),
    )


def _to_login(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    cookies.drop(response, request, cookies.SESSION)
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "/") -> Response:  # `next`: the query parameter's name
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/", secure=cookies.secure(request)
        )
    return response
