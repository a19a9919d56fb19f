"""The provider's own request files: list with filters, one file with its findings, downloads.

What is read comes from :mod:`gateway.web.request_files`, as for the staff pages, always
narrowed to the logged-in provider: a file of another provider is "not found". A
download of the response collects it exactly as an SFTP client's deletion from ``/outbox``
does (its name is freed; the archive keeps a copy, so it can be downloaded again here).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from gateway.errors import NotFound
from gateway.exchange.runtime.void import record_file_view
from gateway.portal.app import LoggedIn, portal
from gateway.portal.login import ProviderView
from gateway.sftp.errors import NoSuchFile
from gateway.store.models.exchange import RequestFile
from gateway.web.app import client_address, render
from gateway.web.request_files import MAX_LINES, STATUSES, FileFilters, RequestFiles, parse_date
from gateway.web.routes.files import Id

router = APIRouter(include_in_schema=False)


def files(request: Request) -> RequestFiles:
    """The read service over the portal's database and spool folders."""
    web = portal(request)
    return RequestFiles.of(web.sessions, web.config)


def own_file(request: Request, who: ProviderView, file_id: int) -> RequestFile:
    """The provider's file ``file_id``; another provider's file does not exist here."""
    row = files(request).find(file_id)
    if row is None or row.provider_code != who.code:
        raise NotFound(f"no request file {file_id}", code="WEB-FILE-NOT-FOUND")
    return row


@router.get("/files")
def file_list(
    request: Request,
    status: str = "",
    date_from: str = "",
    date_to: str = "",
    error_code: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    who: ProviderView = LoggedIn,
) -> Response:
    filters = FileFilters(
        who.code, "", status.strip(), parse_date(date_from), parse_date(date_to), error_code.strip().upper()[:40], ""
    )
    listed = files(request).page(filters, page)
    query = {k: v for k, v in filters.as_query().items() if k != "provider"}
    return render(
        request,
        "portal_files.html",
        files=listed.files,
        has_next=listed.has_next,
        page=page,
        filters=filters,
        query=query,
        statuses=STATUSES,
    )


@router.get("/files/{file_id}")
def file_detail(request: Request, file_id: Id, who: ProviderView = LoggedIn) -> Response:
    web = portal(request)
    shown = files(request).shown(own_file(request, who, file_id))
    record_file_view(web.sessions, file_id=file_id, actor=who.actor, address=client_address(request))
    lines, truncated = shown.lines()
    return render(
        request,
        "portal_file.html",
        file=shown.file,
        findings=shown.findings,
        lines=lines,
        truncated=truncated,
        max_lines=MAX_LINES,
        has_request=shown.request_path is not None,
        has_response=shown.response is not None,
    )


@router.get("/files/{file_id}/state.json")
def file_state(request: Request, file_id: Id, who: ProviderView = LoggedIn) -> Response:
    """What the file page's script polls: the state and status, until the response is written."""
    row = own_file(request, who, file_id)
    # The response reaches the outbox just before the worker commits ANSWERED: wait for both,
    # so the reloaded page shows the final status.
    answered = row.state == "ANSWERED" and files(request).response_path(row) is not None
    return JSONResponse({"state": row.state, "status": row.status, "answered": answered})


@router.get("/files/{file_id}/request")
def download_request(request: Request, file_id: Id, who: ProviderView = LoggedIn) -> Response:
    row = own_file(request, who, file_id)
    path = files(request).request_path(row)
    if path is None:
        raise NotFound(f"the request of file {file_id} is no longer kept", code="WEB-FILE-GONE")
    record_file_view(
        portal(request).sessions,
        file_id=file_id,
        actor=who.actor,
        address=client_address(request),
        what="download request",
    )
    return _attachment(path.read_bytes(), row.name)


@router.get("/files/{file_id}/response")
def download_response(request: Request, file_id: Id, who: ProviderView = LoggedIn) -> Response:
    web = portal(request)
    row = own_file(request, who, file_id)
    path = files(request).response_path(row)
    if path is None:
        raise NotFound(f"the response of file {file_id} is not there (yet)", code="WEB-FILE-GONE")
    data = path.read_bytes()
    record_file_view(
        web.sessions, file_id=file_id, actor=who.actor, address=client_address(request), what="download response"
    )
    if row.collected_at is None and web.reception is not None:
        try:
            web.reception.collect(
                web.reception.area(who.code, who.profession, client_address(request)), row.response_name
            )
        except NoSuchFile:  # collected meanwhile over SFTP: the archived copy was served
            pass
    return _attachment(data, row.response_name)


def _attachment(data: bytes, name: str) -> Response:
    """Bytes as a download, never rendered by the browser."""
    return Response(
        data, media_type="application/octet-stream", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
