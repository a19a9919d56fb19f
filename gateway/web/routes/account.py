"""One's own account: password, active sessions, second factor."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.errors import AccountError, UsageError
from gateway.web.app import client_address, render, state
from gateway.web.auth import live_session, session_token, staff_member
from gateway.web.errors import AccountLocked, LoginRefused, SecondFactorRefused
from gateway.web.login import change_password, check_current_code, confirm_enrolment, new_recovery_codes
from gateway.web.routes.session import client_of, enrol_page, login_policy, secret_box
from gateway.web.staff import get_staff
from gateway.web.staff_sessions import StaffView, list_sessions, revoke

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, user: StaffView, *, status_code: int = 200, done: str = "", error: str | None = None
) -> Response:
    web = state(request)
    live = live_session(request)
    return render(
        request,
        "account.html",
        status_code=status_code,
        done=done,
        error=error,
        account=get_staff(web.sessions, user.login),
        required=user.role in web.config.second_factor_roles,
        sessions=list_sessions(web.sessions, login=user.login, now=web.clock.now()),
        current_ref=live.ref if live else "",
    )


@router.get("/account")
def account(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    return _page(request, user, done=request.query_params.get("done", ""))


@router.post("/account/password")
async def password(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    web = state(request)
    new, repeat = str(form.get("new_password", "")), str(form.get("new_password_again", ""))
    if new != repeat:
        return _page(request, user, status_code=400, error="account.mismatch")
    try:
        change_password(
            web.sessions,
            user.id,
            str(form.get("current_password", "")),
            new,
            keep_token=session_token(request),
            client=client_of(request),
            policy=login_policy(request),
            now=web.clock.now(),
        )
    except AccountLocked:
        return _page(request, user, status_code=423, error="login.locked")
    except LoginRefused:
        return _page(request, user, status_code=401, error="account.wrong_current")
    except AccountError:
        return _page(request, user, status_code=400, error="account.too_short")
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/sessions/revoke")
async def revoke_own(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    revoke(
        state(request).sessions,
        str(form.get("session", "")),
        actor=user.actor,
        address=client_address(request),
        only_login=user.login,
    )
    return RedirectResponse("/account?done=session", status_code=303)


@router.get("/account/second-factor")
def enrol_form(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    try:
        return enrol_page(request, action="/account/second-factor", fresh=True, pending=False)
    except UsageError:  # already enrolled: the account page shows it
        return RedirectResponse("/account", status_code=303)


@router.post("/account/second-factor")
async def enrol_submit(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    web = state(request)
    try:
        _, codes = confirm_enrolment(
            web.sessions,
            secret_box(request),
            session_token(request),
            str(form.get("code", "")),
            pending=False,
            client=client_of(request),
            policy=login_policy(request),
            now=web.clock.now(),
        )
    except AccountLocked:
        return enrol_page(
            request, action="/account/second-factor", fresh=False, pending=False, status_code=423, error="login.locked"
        )
    except SecondFactorRefused:
        return enrol_page(
            request, action="/account/second-factor", fresh=False, pending=False, status_code=401, error="code.refused"
        )
    return render(request, "recovery_codes.html", codes=codes, next="/account")


@router.post("/account/second-factor/recovery-codes")
async def renew_codes(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    web = state(request)
    try:
        check_current_code(
            web.sessions,
            secret_box(request),
            user.id,
            str(form.get("code", "")),
            client=client_of(request),
            policy=login_policy(request),
            now=web.clock.now(),
        )
    except AccountLocked:
        return _page(request, user, status_code=423, error="login.locked")
    except SecondFactorRefused:
        return _page(request, user, status_code=401, error="code.refused")
    codes = new_recovery_codes(
        web.sessions, user.id, actor=user.actor, address=client_address(request), now=web.clock.now()
    )
    return render(request, "recovery_codes.html", codes=codes, next="/account")
