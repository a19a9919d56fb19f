"""Logging in (password, then the TOTP code or its enrolment at first login), out, language."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.errors import UsageError
from gateway.portal import login
from gateway.portal.app import SESSION_COOKIE, live_provider, pending_provider, portal, provider, session_token
from gateway.portal.login import ProviderView
from gateway.web import cookies, csrf, i18n
from gateway.web.app import client_address, render
from gateway.web.errors import AccountLocked, LoginRefused, SecondFactorRefused
from gateway.web.login import Client
from gateway.web.routes.session import safe_next
from gateway.web.staff_sessions import PENDING_SECONDS

router = APIRouter(include_in_schema=False)
HOME = "/files"


def client_of(request: Request) -> Client:
    """The request's address and user agent, as sessions and the audit trail record them."""
    return Client(client_address(request), request.headers.get("user-agent", ""))


def _with_session(request: Request, response: Response, token: str, *, pending: bool) -> Response:
    max_age = PENDING_SECONDS if pending else portal(request).config.session_max_age
    cookies.put(response, request, SESSION_COOKIE, token, max_age=max_age)
    return response


@router.get("/")
def home(request: Request) -> Response:
    live = live_provider(request)
    target = "/login" if live is None else "/login/code" if live.pending else HOME
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = HOME) -> Response:  # `next`: the query parameter's name
    return render(request, "portal_login.html", next=safe_next(next, HOME), error=None, code="")


@router.post("/login")
async def login_submit(request: Request) -> Response:
    await csrf.check(request)
    form = await request.form()
    web = portal(request)
    code, password = str(form.get("code", "")).strip(), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")), HOME)
    try:
        token = login.check_password(
            web.sessions, code, password, client=client_of(request), policy=web.policy, now=web.clock.now()
        )
    except AccountLocked:
        return render(request, "portal_login.html", status_code=423, next=next_path, error="login.locked", code=code)
    except LoginRefused:
        return render(
            request, "portal_login.html", status_code=401, next=next_path, error="portal.login_refused", code=code
        )
    response = RedirectResponse(f"/login/code?next={quote(next_path, safe='/')}", status_code=303)
    return _with_session(request, response, token, pending=True)


@router.get("/login/code")
def code_form(
    request: Request, next: str = HOME, live: ProviderView = Depends(pending_provider)
) -> Response:  # `next`: the query parameter's name
    if not live.enrolled:
        return enrol_page(request, fresh=True, next_path=safe_next(next, HOME))
    return render(request, "portal_code.html", next=safe_next(next, HOME), error=None, login=live.code)


@router.post("/login/code")
async def code_submit(request: Request, live: ProviderView = Depends(pending_provider)) -> Response:
    form = await request.form()
    web = portal(request)
    next_path = safe_next(str(form.get("next", "")), HOME)
    code = str(form.get("code", ""))
    try:
        if live.enrolled:
            token = login.check_code(
                web.sessions,
                web.box,
                session_token(request),
                code,
                client=client_of(request),
                policy=web.policy,
                now=web.clock.now(),
            )
        else:
            token = login.confirm_enrolment(
                web.sessions,
                web.box,
                session_token(request),
                code,
                client=client_of(request),
                policy=web.policy,
                now=web.clock.now(),
            )
    except (AccountLocked, SecondFactorRefused) as exc:
        error = "login.locked" if isinstance(exc, AccountLocked) else "code.refused"
        status = 423 if isinstance(exc, AccountLocked) else 401
        if not live.enrolled:
            return enrol_page(request, fresh=False, next_path=next_path, status_code=status, error=error)
        return render(request, "portal_code.html", status_code=status, next=next_path, error=error, login=live.code)
    return _with_session(request, RedirectResponse(next_path, status_code=303), token, pending=False)


def enrol_page(
    request: Request, *, fresh: bool, next_path: str, status_code: int = 200, error: str | None = None
) -> Response:
    """The staff web's enrolment page (QR code drawn here, the secret as text), posting to the code form."""
    web = portal(request)
    try:
        enrolment = login.begin_enrolment(
            web.sessions, web.box, session_token(request), fresh=fresh, policy=web.policy, now=web.clock.now()
        )
    except UsageError:  # enrolled meanwhile (another tab): the code is what is due
        return RedirectResponse(f"/login/code?next={quote(next_path, safe='/')}", status_code=303)
    return render(
        request,
        "enrol.html",
        status_code=status_code,
        enrolment=enrolment,
        action="/login/code",
        next=next_path,
        error=error,
        pending=True,
    )


@router.post("/logout")
def logout(request: Request, who: ProviderView = Depends(provider)) -> Response:
    return _end(request, who.actor)


@router.post("/login/cancel")
def cancel(request: Request, who: ProviderView = Depends(pending_provider)) -> Response:
    """Leaves a login half-way (before the second factor)."""
    return _end(request, who.actor)


def _end(request: Request, actor: str) -> Response:
    login.log_out(portal(request).sessions, session_token(request), actor=actor, address=client_address(request))
    response = RedirectResponse("/login", status_code=303)
    cookies.drop(response, request, SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "/") -> Response:  # `next`: the query parameter's name
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/", secure=cookies.secure(request)
        )
    return response
