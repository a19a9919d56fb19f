"""Administration (admins only): staff accounts and API keys."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.web.app import render, state
from gateway.web.auth import admin
from gateway.web.staff import (StaffView, add_staff, create_api_key, list_api_keys, list_staff,
                               revoke_api_key, set_staff_enabled)

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_page(request: Request, user: StaffView = Depends(admin)) -> Response:
    web = state(request)
    return render(request, "admin.html", staff_users=list_staff(web.sessions), keys=list_api_keys(web.sessions),
                  new_key=None, done=request.query_params.get("done", ""))


@router.post("/admin/staff")
async def staff_add(request: Request, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    add_staff(state(request).sessions, str(form.get("login", "")).strip().lower(), str(form.get("role", "")),
              str(form.get("password", "")), actor=user.actor)
    return RedirectResponse("/admin?done=staff-saved", status_code=303)


@router.post("/admin/staff/{login}/enabled")
async def staff_enabled(request: Request, login: str, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    set_staff_enabled(state(request).sessions, login, form.get("enabled") == "yes", actor=user.actor)
    return RedirectResponse("/admin?done=staff-saved", status_code=303)


@router.post("/admin/keys")
async def key_create(request: Request, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    web = state(request)
    key = create_api_key(web.sessions, str(form.get("name", "")), str(form.get("scope", "")), actor=user.actor)
    # Shown once, on this response only; never stored.
    return render(request, "admin.html", staff_users=list_staff(web.sessions), keys=list_api_keys(web.sessions),
                  new_key=key, done="")


@router.post("/admin/keys/{name}/revoke")
def key_revoke(request: Request, name: str, user: StaffView = Depends(admin)) -> Response:
    revoke_api_key(state(request).sessions, name, actor=user.actor)
    return RedirectResponse("/admin?done=key-revoked", status_code=303)
