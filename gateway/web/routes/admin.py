"""Administration (admins only): staff accounts, everyone's sessions, API keys.

Every change goes through :mod:`gateway.web.staff` (the same service as ``gateway staff``),
which audits it in the admin's name with their address.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.web.app import client_address, render, state
from gateway.web.auth import admin, live_session
from gateway.web.staff import (
    StaffView,
    add_staff,
    create_api_key,
    get_staff,
    list_api_keys,
    list_staff,
    reset_password,
    reset_second_factor,
    revoke_api_key,
    set_role,
    set_staff_enabled,
)
from gateway.web.staff_sessions import list_sessions, revoke

router = APIRouter(include_in_schema=False)


def _admin_page(request: Request, *, new_key: str | None = None, done: str = "") -> Response:
    web = state(request)
    live = live_session(request)
    return render(
        request,
        "admin.html",
        staff_users=list_staff(web.sessions),
        keys=list_api_keys(web.sessions),
        sessions=list_sessions(web.sessions, now=web.clock.now()),
        current_ref=live.ref if live else "",
        new_key=new_key,
        done=done,
    )


@router.get("/admin")
def admin_page(request: Request, user: StaffView = Depends(admin)) -> Response:
    return _admin_page(request, done=request.query_params.get("done", ""))


@router.post("/admin/staff")
async def staff_add(request: Request, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    login = str(form.get("login", "")).strip().lower()
    add_staff(
        state(request).sessions,
        login,
        str(form.get("role", "")),
        str(form.get("password", "")),
        actor=user.actor,
        address=client_address(request),
        replace=False,
    )
    return RedirectResponse(f"/admin/staff/{quote(login)}?done=staff-saved", status_code=303)


@router.get("/admin/staff/{login}")
def staff_page(request: Request, login: str, user: StaffView = Depends(admin)) -> Response:
    web = state(request)
    live = live_session(request)
    return render(
        request,
        "staff.html",
        account=get_staff(web.sessions, login),
        sessions=list_sessions(web.sessions, login=login, now=web.clock.now()),
        current_ref=live.ref if live else "",
        done=request.query_params.get("done", ""),
        required_roles=web.config.second_factor_roles,
    )


def _back(login: str, done: str) -> Response:
    return RedirectResponse(f"/admin/staff/{quote(login)}?done={done}", status_code=303)


@router.post("/admin/staff/{login}/enabled")
async def staff_enabled(request: Request, login: str, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    set_staff_enabled(
        state(request).sessions, login, form.get("enabled") == "yes", actor=user.actor, address=client_address(request)
    )
    return _back(login, "staff-saved")


@router.post("/admin/staff/{login}/role")
async def staff_role(request: Request, login: str, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    set_role(
        state(request).sessions, login, str(form.get("role", "")), actor=user.actor, address=client_address(request)
    )
    return _back(login, "staff-saved")


@router.post("/admin/staff/{login}/password")
async def staff_password(request: Request, login: str, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    reset_password(
        state(request).sessions, login, str(form.get("password", "")), actor=user.actor, address=client_address(request)
    )
    return _back(login, "password-reset")


@router.post("/admin/staff/{login}/second-factor/reset")
def staff_second_factor(request: Request, login: str, user: StaffView = Depends(admin)) -> Response:
    reset_second_factor(state(request).sessions, login, actor=user.actor, address=client_address(request))
    return _back(login, "second-factor-reset")


@router.post("/admin/sessions/revoke")
async def session_revoke(request: Request, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    revoke(state(request).sessions, str(form.get("session", "")), actor=user.actor, address=client_address(request))
    back = str(form.get("back", ""))
    target = f"/admin/staff/{quote(back)}?done=session" if back else "/admin?done=session"
    return RedirectResponse(target, status_code=303)


@router.post("/admin/keys")
async def key_create(request: Request, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    key = create_api_key(
        state(request).sessions, str(form.get("name", "")), str(form.get("scope", "")), actor=user.actor
    )
    # Shown once, on this response only; never stored.
    return _admin_page(request, new_key=key)


@router.post("/admin/keys/{name}/revoke")
def key_revoke(request: Request, name: str, user: StaffView = Depends(admin)) -> Response:
    revoke_api_key(state(request).sessions, name, actor=user.actor)
    return RedirectResponse("/admin?done=key-revoked", status_code=303)
