"""The provider's account page: SSH keys, the server's host-key fingerprint, notification choices;
and the page of a one-time password link staff sent (no login: the link is the credential)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.errors import AccountError, NotFound, UsageError
from gateway.portal.app import LoggedIn, portal
from gateway.portal.login import ProviderView
from gateway.portal.settings import LinkInvalid, ProviderSettings
from gateway.sftp.hostkey import fingerprint_of_file
from gateway.web import csrf
from gateway.web.app import client_address, render
from gateway.web.errors import WebError

router = APIRouter(include_in_schema=False)


class SettingsUnavailable(WebError):
    """The portal runs without its settings service (misconfigured)."""

    code = "WEB-PORTAL-NO-SETTINGS"
    http_status = 503


def _settings(request: Request) -> ProviderSettings:
    settings = portal(request).settings
    if settings is None:
        raise SettingsUnavailable("account settings are not available at the moment")
    return settings


def _page(
    request: Request, who: ProviderView, *, status_code: int = 200, error: Exception | None = None, key_text: str = ""
) -> Response:
    config = portal(request).config
    view = _settings(request).view(who.code)
    host_key = fingerprint_of_file(config.host_key_path) if config.host_key_path else ""
    return render(
        request,
        "portal_account.html",
        status_code=status_code,
        view=view,
        error=error,
        key_text=key_text,
        host_key=host_key,
        sftp_host=config.sftp_host,
        sftp_port=config.sftp_port,
        done=request.query_params.get("done", ""),
    )


@router.get("/account")
def account(request: Request, who: ProviderView = LoggedIn) -> Response:
    return _page(request, who)


@router.post("/account/keys")
async def add_key(request: Request, who: ProviderView = LoggedIn) -> Response:
    form = await request.form()
    key_text = str(form.get("key", ""))
    try:
        _settings(request).add_key(who.code, key_text, address=client_address(request))
    except (AccountError, UsageError) as exc:
        return _page(request, who, status_code=400, error=exc, key_text=key_text)
    return RedirectResponse("/account?done=key-added", status_code=303)


@router.post("/account/keys/remove")
async def remove_key(request: Request, who: ProviderView = LoggedIn) -> Response:
    form = await request.form()
    try:
        _settings(request).remove_key(who.code, str(form.get("fingerprint", "")), address=client_address(request))
    except NotFound as exc:
        return _page(request, who, status_code=404, error=exc)
    return RedirectResponse("/account?done=key-removed", status_code=303)


@router.post("/account/notifications")
async def notifications(request: Request, who: ProviderView = LoggedIn) -> Response:
    form = await request.form()
    _settings(request).set_notifications(
        who.code,
        response=form.get("response") == "yes",
        digest=form.get("digest") == "yes",
        address=client_address(request),
    )
    return RedirectResponse("/account?done=notifications", status_code=303)


@router.get("/password/{token}")
def password_form(request: Request, token: str) -> Response:
    code = _settings(request).link_owner(token)
    return render(request, "portal_password.html", code=code, token=token, error=None)


@router.post("/password/{token}")
async def password_submit(request: Request, token: str) -> Response:
    await csrf.check(request)
    form = await request.form()
    settings = _settings(request)
    code = settings.link_owner(token)
    password = str(form.get("password", ""))
    if password != str(form.get("confirm", "")):
        return render(
            request, "portal_password.html", status_code=400, code=code, token=token, error="account.mismatch"
        )
    try:
        settings.set_password_with_link(token, password, address=client_address(request))
    except LinkInvalid:
        raise
    except UsageError:
        return render(
            request, "portal_password.html", status_code=400, code=code, token=token, error="account.too_short"
        )
    return RedirectResponse("/login?password=set", status_code=303)
