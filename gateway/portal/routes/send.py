"""Sending a request file through the browser (the SFTP reception code receives it)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from gateway.errors import GatewayError
from gateway.exchange.runtime.reception import UPLOAD_NAME, NameHeld
from gateway.portal.app import LoggedIn, portal
from gateway.portal.login import ProviderView
from gateway.sftp.errors import SftpError
from gateway.store.models.exchange import RequestFile
from gateway.web.app import client_address, render
from gateway.web.errors import WebError

router = APIRouter(include_in_schema=False)
_CHUNK = 1 << 20


class ReceptionUnavailable(WebError):
    """The portal runs without a reception (misconfigured): nothing can be sent."""

    code = "WEB-PORTAL-NO-RECEPTION"
    http_status = 503


def _page(request: Request, *, status_code: int = 200, error: GatewayError | None = None, name: str = "") -> Response:
    web = portal(request)
    return render(
        request,
        "portal_send.html",
        status_code=status_code,
        error=error,
        name=name,
        name_pattern=UPLOAD_NAME.pattern,
        max_bytes=web.reception.max_bytes if web.reception else 0,
    )


@router.get("/send")
def send_form(request: Request, who: ProviderView = LoggedIn) -> Response:
    return _page(request)


@router.post("/send")
async def send_submit(request: Request, who: ProviderView = LoggedIn) -> Response:
    web = portal(request)
    if web.reception is None:
        raise ReceptionUnavailable("files cannot be sent here at the moment; use SFTP")
    form = await request.form(max_files=1, max_fields=4)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, status_code=400, error=None, name="")
    # The name as the browser sent it (browsers send the base name only); the SFTP rules judge it.
    name = upload.filename

    def chunks() -> Iterator[bytes]:  # read in the thread that writes
        while data := upload.file.read(_CHUNK):
            yield data

    area = web.reception.area(who.code, who.profession, client_address(request))
    try:
        await run_in_threadpool(web.reception.send, area, name, chunks())
    except (SftpError, NameHeld) as exc:
        status = 413 if exc.code in {"SFTP-TOO-LARGE", "SFTP-QUOTA"} else 507 if exc.code == "SFTP-DISK-FULL" else 409
        return _page(request, status_code=status, error=exc, name=name)
    finally:
        await upload.close()
    with web.sessions() as session:
        file_id = session.scalar(
            select(RequestFile.id)
            .where(RequestFile.provider_code == who.code, RequestFile.name == name)
            .order_by(RequestFile.id.desc())
            .limit(1)
        )
    return RedirectResponse(f"/files/{file_id}?sent=1", status_code=303)
