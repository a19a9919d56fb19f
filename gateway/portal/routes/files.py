"""The provider's own request files: list with filters, one file with its findings, downloads.

The queries and the rendering of findings are the staff file page's (:mod:`gateway.web.routes.files`),
always narrowed to the logged-in provider: a file of another provider is "not found". A
download of the response collects it exactly as an SFTP client's deletion from ``/outbox``
does (its name is freed; the archive keeps a copy, so it can be downloaded again here).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from gateway.errors import NotFound
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.exchange.runtime.void import record_file_view
from gateway.portal.app import LoggedIn, portal
from gateway.portal.login import ProviderView
from gateway.sftp.errors import NoSuchFile
from gateway.store.models.exchange import RequestFile, RequestFinding
from gateway.web import filestore
from gateway.web.app import client_address, render
from gateway.web.routes.files import (
    MAX_LINES,
    PAGE_SIZE,
    STATUSES,
    FileFilters,
    Id,
    filtered_query,
    parse_date,
    request_lines,
    response_messages,
)

router = APIRouter(include_in_schema=False)


def _spools(request: Request) -> SpoolPaths:
    config = portal(request).config
    return SpoolPaths(inbox=config.inbox, outbox=config.outbox, archive=config.archive, aside=config.data / "aside")


def own_file(request: Request, who: ProviderView, file_id: int) -> RequestFile:
    """The provider's file ``file_id``; another provider's file does not exist here."""
    with portal(request).sessions() as session:
        row = session.get(RequestFile, file_id)
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
    web = portal(request)
    filters = FileFilters(
        who.code, "", status.strip(), parse_date(date_from), parse_date(date_to), error_code.strip().upper()[:40], ""
    )
    with web.sessions() as session:
        rows = list(
            session.scalars(
                filtered_query(filters, web.config.timezone).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
            )
        )
    query = {k: v for k, v in filters.as_query().items() if k != "provider"}
    return render(
        request,
        "portal_files.html",
        files=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        filters=filters,
        query=query,
        statuses=STATUSES,
    )


@router.get("/files/{file_id}")
def file_detail(request: Request, file_id: Id, who: ProviderView = LoggedIn) -> Response:
    web = portal(request)
    row = own_file(request, who, file_id)
    with web.sessions() as session:
        findings = list(
            session.scalars(
                select(RequestFinding)
                .where(RequestFinding.request_file_id == file_id)
                .order_by(RequestFinding.position)
            )
        )
    record_file_view(web.sessions, file_id=file_id, actor=who.actor, address=client_address(request))
    request_path = filestore.request_path(_spools(request), row)
    response_path = filestore.response_path(_spools(request), row)
    lines, truncated = request_lines(request_path.read_bytes(), findings) if request_path else ([], False)
    response_bytes = response_path.read_bytes() if response_path else None
    messages = response_messages(response_bytes) if response_bytes else []
    if len(messages) != len(findings):
        messages = [("", "")] * len(findings)
    return render(
        request,
        "portal_file.html",
        file=row,
        findings=list(zip(findings, messages, strict=True)),
        lines=lines,
        truncated=truncated,
        max_lines=MAX_LINES,
        has_request=request_path is not None,
        has_response=response_bytes is not None,
    )


@router.get("/files/{file_id}/state.json")
def file_state(request: Request, file_id: Id, who: ProviderView = LoggedIn) -> Response:
    """What the file page's script polls: the state and status, until the response is written."""
    row = own_file(request, who, file_id)
    # The response reaches the outbox just before the worker commits ANSWERED: wait for both,
    # so the reloaded page shows the final status.
    answered = row.state == "ANSWERED" and filestore.response_path(_spools(request), row) is not None
    return JSONResponse({"state": row.state, "status": row.status, "answered": answered})


@router.get("/files/{file_id}/request")
def download_request(request: Request, file_id: Id, who: ProviderView = LoggedIn) -> Response:
    row = own_file(request, who, file_id)
    path = filestore.request_path(_spools(request), row)
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
    path = filestore.response_path(_spools(request), row)
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
