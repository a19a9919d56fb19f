"""Request files, their findings, responses and voiding (forwarded records: forwarded.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from gateway.errors import NotFound
from gateway.exchange.forwarding import euros
from gateway.exchange.void import record_file_view, void_file
from gateway.store.models.exchange import RequestFile, RequestFinding
from gateway.web import filestore
from gateway.web.api.common import ERRORS, MAX_LIMIT, READ, api_admin, api_reader
from gateway.web.api.schemas import FileDetail, FileOut, FindingOut, Page, VoidIn, VoidOut
from gateway.web.app import client_address, state
from gateway.web.routes.files import MAX_ID, FileFilters, Id, filtered_query, load_file, roots
from gateway.web.staff import ApiClient

router = APIRouter(tags=["request files"], dependencies=READ, responses=ERRORS)
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Cursor: only items with an id above it")]


def file_out(row: RequestFile) -> dict:
    values = {name: getattr(row, name) for name in FileOut.model_fields
              if name not in ("amount_received", "amount_accepted", "collected_at", "deleted_at")}
    # "collected" is the first whole download; the column collected_at holds the deletion
    values["collected_at"] = row.downloaded_at
    values["deleted_at"] = row.collected_at
    values["amount_received"] = euros(row.amount_received_cents) if row.amount_received_cents is not None else None
    values["amount_accepted"] = euros(row.amount_accepted_cents) if row.amount_accepted_cents is not None else None
    return values


@router.get("/files", response_model=Page[FileOut], summary="Request files, oldest first, filtered")
def list_files(request: Request, provider: str = "", convention: str = "", status: str = "",
               date_from: dt.date | None = None, date_to: dt.date | None = None, error_code: str = "",
               after: After = 0, limit: Limit = 100, client: ApiClient = Depends(api_reader)) -> dict:
    web = state(request)
    filters = FileFilters(provider, convention, status, date_from, date_to, error_code.upper())
    query = filtered_query(filters, web.config.timezone).order_by(None).where(RequestFile.id > after)
    with web.sessions() as session:
        rows = list(session.scalars(query.order_by(RequestFile.id).limit(limit + 1)))
    items = [file_out(r) for r in rows[:limit]]
    return {"items": items, "next_cursor": rows[limit - 1].id if len(rows) > limit else None}


@router.get("/files/{file_id}", response_model=FileDetail, summary="One request file with its findings")
def get_file(request: Request, file_id: Id, client: ApiClient = Depends(api_reader)) -> dict:
    web = state(request)
    with web.sessions() as session:
        row = load_file(session, file_id)
        findings = list(session.scalars(select(RequestFinding).where(RequestFinding.request_file_id == file_id)
                                        .order_by(RequestFinding.position)))
        body = file_out(row)
        body["findings"] = [FindingOut.model_validate(f, from_attributes=True).model_dump() for f in findings]
    record_file_view(web.sessions, file_id=file_id, actor=client.actor, address=client_address(request),
                     what="api")
    return body


def _download(request: Request, file_id: Id, client: ApiClient, which: str) -> Response:
    web = state(request)
    with web.sessions() as session:
        row = load_file(session, file_id)
    finder = filestore.request_path if which == "request" else filestore.response_path
    path = finder(roots(request), row)
    if path is None:
        raise NotFound(f"the {which} of file {file_id} is not available", code="WEB-FILE-GONE")
    record_file_view(web.sessions, file_id=file_id, actor=client.actor, address=client_address(request),
                     what=f"api download {which}")
    return FileResponse(path, media_type="application/xml",
                        filename=row.name if which == "request" else row.response_name,
                        content_disposition_type="attachment")


@router.get("/files/{file_id}/response", summary="The response XML (attachment)",
            response_class=Response, responses={200: {"content": {"application/xml": {}}}})
def get_response(request: Request, file_id: Id, client: ApiClient = Depends(api_reader)) -> Response:
    return _download(request, file_id, client, "response")


@router.get("/files/{file_id}/request", summary="The request file as received (attachment)",
            response_class=Response, responses={200: {"content": {"application/xml": {}}}})
def get_request(request: Request, file_id: Id, client: ApiClient = Depends(api_reader)) -> Response:
    return _download(request, file_id, client, "request")


@router.post("/files/{file_id}/void", response_model=VoidOut, summary="Void a file (admin scope)")
def void(request: Request, file_id: Id, body: VoidIn, client: ApiClient = Depends(api_admin)) -> dict:
    web = state(request)
    with web.sessions() as session:
        row = load_file(session, file_id)
    result = void_file(web.sessions, provider_code=row.provider_code, file_id=file_id, reason=body.reason,
                       actor=client.actor, address=client_address(request), now=web.clock.now())
    return {"file_id": result.file_id, "withdrawn_records": result.withdrawn, "voided_at": result.voided_at}
