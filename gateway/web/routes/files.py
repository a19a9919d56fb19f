"""Request files: filtered list, detail (request with its errors, response, timings), downloads, void.

Staff see every file; what is read comes from :mod:`gateway.web.request_files`. Every staff
view and download of a file is recorded in the audit trail. Files are served only as
attachments (``application/octet-stream``, nosniff), never rendered by the browser.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from gateway.errors import NotFound
from gateway.exchange.conventions import CODES
from gateway.exchange.runtime.void import record_file_view, void_file
from gateway.web import i18n
from gateway.web.app import client_address, render, state
from gateway.web.auth import staff_member
from gateway.web.errors import BadInput
from gateway.web.request_files import MAX_LINES, STATUSES, FileFilters, RequestFiles, parse_date
from gateway.web.staff import StaffView

router = APIRouter(include_in_schema=False)
#: ids are 32-bit integers on every database; larger values are refused before any query
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def files(request: Request) -> RequestFiles:
    """The read service over this site's database and spool folders."""
    web = state(request)
    return RequestFiles.of(web.sessions, web.config)


@router.get("/files")
def file_list(
    request: Request,
    provider: str = "",
    convention: str = "",
    status: str = "",
    date_from: str = "",
    date_to: str = "",
    error_code: str = "",
    name: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    user: StaffView = Depends(staff_member),
) -> Response:
    filters = FileFilters(
        provider.strip(),
        convention.strip(),
        status.strip(),
        parse_date(date_from),
        parse_date(date_to),
        error_code.strip().upper(),
        name.strip(),
    )
    page = max(1, page)
    reading = files(request)
    listed = reading.page(filters, page)
    names = reading.provider_names()
    errors = reading.first_errors(listed.files, i18n.language_of(request))
    return render(
        request,
        "files.html",
        files=listed.files,
        has_next=listed.has_next,
        page=page,
        filters=filters,
        query=filters.as_query(),
        providers=sorted(names),
        names=names,
        first_errors=errors,
        statuses=STATUSES,
        conventions=CODES,
    )


@router.get("/files/{file_id}")
def file_detail(request: Request, file_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    web = state(request)
    reading = files(request)
    row = reading.get(file_id)
    shown = reading.shown(row)
    forwarded, withdrawn = reading.forwarded_counts(file_id)
    duplicate_of = reading.find(row.duplicate_of_id) if row.duplicate_of_id else None
    record_file_view(web.sessions, file_id=file_id, actor=user.actor, address=client_address(request))
    lines, truncated = shown.lines()
    return render(
        request,
        "file.html",
        file=row,
        findings=shown.findings,
        lines=lines,
        truncated=truncated,
        max_lines=MAX_LINES,
        has_request=shown.request_path is not None,
        response_text=shown.response.decode("utf-8", errors="replace") if shown.response is not None else None,
        forwarded=forwarded,
        withdrawn=withdrawn,
        duplicate_of=duplicate_of,
        error_lines={f.line for f, _ in shown.findings if f.line},
    )


def _attachment(request: Request, user: StaffView, file_id: Id, which: str) -> Response:
    web, reading = state(request), files(request)
    row = reading.get(file_id)
    path = (reading.request_path if which == "request" else reading.response_path)(row)
    if path is None:
        raise NotFound(f"the {which} of file {file_id} is no longer kept", code="WEB-FILE-GONE")
    record_file_view(
        web.sessions, file_id=file_id, actor=user.actor, address=client_address(request), what=f"download {which}"
    )
    name = row.name if which == "request" else row.response_name
    return FileResponse(
        path, media_type="application/octet-stream", filename=name, content_disposition_type="attachment"
    )


@router.get("/files/{file_id}/request")
def download_request(request: Request, file_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    return _attachment(request, user, file_id, "request")


@router.get("/files/{file_id}/response")
def download_response(request: Request, file_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    return _attachment(request, user, file_id, "response")


@router.post("/files/{file_id}/void")
async def void(request: Request, file_id: Id, user: StaffView = Depends(staff_member)) -> Response:
    form = await request.form()
    reason = str(form.get("reason", "")).strip()
    if form.get("confirm") != "yes":
        raise BadInput("tick the confirmation box to void the file")
    if not 3 <= len(reason) <= 2000:
        raise BadInput("give the reason for voiding (3 to 2000 characters)")
    web = state(request)
    row = files(request).get(file_id)
    void_file(
        web.sessions,
        provider_code=row.provider_code,
        file_id=file_id,
        reason=reason,
        actor=user.actor,
        address=client_address(request),
        now=web.clock.now(),
    )
    return RedirectResponse(f"/files/{file_id}?voided=1", status_code=303)
