"""Request files, their findings, responses and voiding (forwarded records: forwarded.py).

What is read comes from :mod:`gateway.web.request_files`; API clients see every file.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response

from gateway.errors import NotFound
from gateway.exchange.checks.messages import CATALOGUE
from gateway.exchange.runtime.forwarding import euros
from gateway.exchange.runtime.void import record_file_view, void_file
from gateway.identifiers import EXCHANGE_PROFESSIONS
from gateway.store.models.exchange import RequestFile
from gateway.web.api.common import CURSOR_PAGING, ERRORS, MAX_LIMIT, READ, api_admin, api_reader, next_link
from gateway.web.api.schemas import FileDetail, FileOut, FindingOut, Page, VoidIn, VoidOut
from gateway.web.app import client_address, state
from gateway.web.errors import FilterRefused
from gateway.web.request_files import STATUSES, FileFilters
from gateway.web.routes.files import MAX_ID, Id, files
from gateway.web.staff import ApiClient

router = APIRouter(tags=["request files"], dependencies=READ, responses=ERRORS)
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Cursor: only items with an id above it")]


def file_out(row: RequestFile) -> dict[str, Any]:
    values = {
        name: getattr(row, name)
        for name in FileOut.model_fields
        if name not in ("amount_received", "amount_accepted", "collected_at", "deleted_at")
    }
    # "collected" is the first whole download; the column collected_at holds the deletion
    values["collected_at"] = row.downloaded_at
    values["deleted_at"] = row.collected_at
    values["amount_received"] = euros(row.amount_received_cents) if row.amount_received_cents is not None else None
    values["amount_accepted"] = euros(row.amount_accepted_cents) if row.amount_accepted_cents is not None else None
    return values


@router.get(
    "/files", response_model=Page[FileOut], summary="Request files, oldest first, filtered", description=CURSOR_PAGING
)
def list_files(
    request: Request,
    provider: Annotated[str, Query(description="A provider code (8 digits) with an account")] = "",
    convention: Annotated[str, Query(description=f"One of {', '.join(EXCHANGE_PROFESSIONS)}")] = "",
    status: Annotated[str, Query(description=f"One of {', '.join(STATUSES)}")] = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    error_code: Annotated[str, Query(description="A finding code of docs/exchange.md, e.g. MAT-002")] = "",
    after: After = 0,
    limit: Limit = 100,
    client: ApiClient = Depends(api_reader),
) -> dict[str, Any]:
    filters = FileFilters(
        provider.strip(),
        convention.strip().upper(),
        status.strip().upper(),
        date_from,
        date_to,
        error_code.strip().upper(),
    )
    _check_filters(request, filters)
    rows, cursor = files(request).after(filters, after, limit)
    return {
        "items": [file_out(r) for r in rows],
        "next_cursor": cursor,
        "next": next_link(request, after=cursor) if cursor is not None else None,
    }


def _check_filters(request: Request, filters: FileFilters) -> None:
    """Refuses (422) a filter value that names nothing: an empty list would read as "no match"."""
    if filters.convention and filters.convention not in EXCHANGE_PROFESSIONS:
        raise FilterRefused(f"unknown convention {filters.convention[:20]!r}: one of {', '.join(EXCHANGE_PROFESSIONS)}")
    if filters.status and filters.status not in STATUSES:
        raise FilterRefused(f"unknown status {filters.status[:30]!r}: one of {', '.join(STATUSES)}")
    if filters.error_code and filters.error_code not in CATALOGUE:
        raise FilterRefused(f"unknown error code {filters.error_code[:20]!r}: see docs/exchange.md")
    if filters.provider:
        try:
            state(request).accounts.get(filters.provider)
        except NotFound:
            raise FilterRefused(f"unknown provider {filters.provider[:20]!r}") from None


@router.get("/files/{file_id}", response_model=FileDetail, summary="One request file with its findings")
def get_file(request: Request, file_id: Id, client: ApiClient = Depends(api_reader)) -> dict[str, Any]:
    web, reading = state(request), files(request)
    shown = reading.shown(reading.get(file_id))
    body = file_out(shown.file)
    body["findings"] = [
        {
            **FindingOut.model_validate(f, from_attributes=True).model_dump(),
            "message_fr": fr or None,
            "message_en": en or None,
        }
        for f, (fr, en) in shown.findings
    ]
    record_file_view(web.sessions, file_id=file_id, actor=client.actor, address=client_address(request), what="api")
    return body


def _download(request: Request, file_id: Id, client: ApiClient, which: str) -> Response:
    web, reading = state(request), files(request)
    row = reading.get(file_id)
    path = (reading.request_path if which == "request" else reading.response_path)(row)
    if path is None:
        raise NotFound(f"the {which} of file {file_id} is not available", code="WEB-FILE-GONE")
    record_file_view(
        web.sessions, file_id=file_id, actor=client.actor, address=client_address(request), what=f"api download {which}"
    )
    return FileResponse(
        path,
        media_type="application/xml",
        filename=row.name if which == "request" else row.response_name,
        content_disposition_type="attachment",
    )


@router.get(
    "/files/{file_id}/response",
    summary="The response XML (attachment)",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def get_response(request: Request, file_id: Id, client: ApiClient = Depends(api_reader)) -> Response:
    return _download(request, file_id, client, "response")


@router.get(
    "/files/{file_id}/request",
    summary="The request file as received (attachment)",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def get_request(request: Request, file_id: Id, client: ApiClient = Depends(api_reader)) -> Response:
    return _download(request, file_id, client, "request")


@router.post("/files/{file_id}/void", response_model=VoidOut, summary="Void a file (admin scope)")
def void(request: Request, file_id: Id, body: VoidIn, client: ApiClient = Depends(api_admin)) -> dict[str, Any]:
    web = state(request)
    row = files(request).get(file_id)
    result = void_file(
        web.sessions,
        provider_code=row.provider_code,
        file_id=file_id,
        reason=body.reason,
        actor=client.actor,
        address=client_address(request),
        now=web.clock.now(),
    )
    return {"file_id": result.file_id, "withdrawn_records": result.withdrawn, "voided_at": result.voided_at}
