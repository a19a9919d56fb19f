"""Providers: list, detail with accounts, keys (admins add and remove) and recent files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from gateway.sftp.refusals import UNRECORDED_ACTION, refusal
from gateway.store.models.exchange import RequestFile
from gateway.web.app import client_address, render, state
from gateway.web.auth import admin, staff_member
from gateway.web.errors import BadInput
from gateway.web.routes.refusals import recent_refusals
from gateway.web.staff import StaffView

if TYPE_CHECKING:  # imported where used
    from gateway.portal.settings import ProviderSettings

router = APIRouter(include_in_schema=False)
RECENT_FILES = 20


@router.get("/providers")
def provider_list(request: Request, user: StaffView = Depends(staff_member)) -> Response:
    return render(request, "providers.html", providers=state(request).accounts.list())


@router.get("/providers/{code}")
def provider_detail(request: Request, code: str, user: StaffView = Depends(staff_member)) -> Response:
    return _detail(request, code)


def _detail(request: Request, code: str, **extra: Any) -> Response:
    web = state(request)
    account = web.accounts.get(code)
    with web.sessions() as session:
        files = list(
            session.scalars(
                select(RequestFile)
                .where(RequestFile.provider_code == code)
                .order_by(RequestFile.id.desc())
                .limit(RECENT_FILES)
            )
        )
        refused = recent_refusals(session, code)
    return render(
        request,
        "provider.html",
        account=account,
        files=files,
        refusals=refused,
        explain=refusal,
        unrecorded=UNRECORDED_ACTION,
        portal=_portal(request).view(code),
        done=request.query_params.get("done", ""),
        **extra,
    )


def _portal(request: Request, actor: str = "web") -> ProviderSettings:
    """The provider portal's account settings, changed in staff's name (mail through the intake notifier)."""
    from gateway.portal.settings import ProviderSettings

    web = state(request)
    notifier = getattr(web.applications, "notifier", None)
    return ProviderSettings(web.sessions, web.accounts_as, notifier, clock=web.clock.now)


@router.post("/providers/{code}/portal/contact")
async def set_portal_contact(request: Request, code: str, user: StaffView = Depends(admin)) -> Response:
    form = await request.form()
    _portal(request).set_contact(code, str(form.get("email", "")), actor=user.actor)
    return RedirectResponse(f"/providers/{code}?done=portal-contact", status_code=303)


@router.post("/providers/{code}/portal/password-link")
async def send_password_link(request: Request, code: str, user: StaffView = Depends(admin)) -> Response:
    config = state(request).config
    link, mailed = _portal(request).send_password_link(
        code, actor=user.actor, hours=config.password_link_hours, portal_url=config.portal_url
    )
    # Shown once, to be given by phone when there is no contact address (it is not kept in clear).
    return _detail(request, code, password_link=link, password_link_mailed=mailed)


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
    """Enables, or (confirmed, with a reason for the audit trail) disables, a provider's login."""
    form = await request.form()
    enabled = form.get("enabled") == "yes"
    reason = str(form.get("reason", "")).strip()
    if not enabled:
        # Disabling stops a provider's exchanges at once: never on a stray click, never without a why.
        if form.get("confirm") != "yes":
            raise BadInput("tick the confirmation box to disable the provider's access")
        if not 3 <= len(reason) <= 2000:
            raise BadInput("give the reason for disabling (3 to 2000 characters)")
    state(request).accounts_as(user.actor).set_enabled(
        code, enabled, reason=reason[:2000], address=client_address(request)
    )
    return RedirectResponse(f"/providers/{code}?done={'enabled' if enabled else 'disabled'}", status_code=303)
