"""Providers: list, detail with accounts, keys (admins add and remove) and recent files."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from gateway.sftp.refusals import UNRECORDED_ACTION, refusal
from gateway.store.models.exchange import RequestFile
from gateway.web.app import render, state
from gateway.web.auth import admin, staff_member
from gateway.web.routes.refusals import recent_refusals
from gateway.web.errors import BadInput
from gateway.web.staff import StaffView

router = APIRouter(include_in_schema=False)
RECENT_FILES = 20


@router.get("/providers")
def provider_list(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    return render(request, "providers.html", providers=state(request).accounts.list())


@router.get("/providers/{code}")
def provider_detail(request: Request, code: str, user: StaffView = Depends(staff_member)) -> Response:
    web = state(request)
    account = web.accounts.get(code)
    with web.sessions() as session:
        files = list(session.scalars(select(RequestFile).where(RequestFile.provider_code == code)
                                     .order_by(RequestFile.id.desc()).limit(RECENT_FILES)))
        refused = recent_refusals(session, code)
    return render(request, "provider.html", account=account, files=files, refusals=refused, explain=refusal,
                  unrecorded=UNRECORDED_ACTION,
                  done=request.query_params.get("done", ""))


@router.post("/providers/{code}/keys")
async def add_key(request: Request, code: str, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    key = str(form.get("public_key", "")).strip()
    if not key:
        raise BadInput("paste an OpenSSH public key line")
    state(request).accounts_as(user.actor).add_key(code, key)
    return RedirectResponse(f"/providers/{code}?done=key-added", status_code=303)


@router.post("/providers/{code}/keys/remove")
async def remove_key(request: Request, code: str, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    state(request).accounts_as(user.actor).remove_key(code, str(form.get("fingerprint", "")))
    return RedirectResponse(f"/providers/{code}?done=key-removed", status_code=303)


@router.post("/providers/{code}/enabled")
async def set_enabled(request: Request, code: str, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    state(request).accounts_as(user.actor).set_enabled(code, form.get("enabled") == "yes")
    return RedirectResponse(f"/providers/{code}?done=saved", status_code=303)


