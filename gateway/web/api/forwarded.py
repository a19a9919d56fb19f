"""The back office's feed: whole accepted records by increasing forwarding id (a cursor)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from gateway.exchange.runtime.forwarding import export_records
from gateway.exchange.runtime.forwarding.model import ForwardedOut
from gateway.web.api.common import CURSOR_PAGING, ERRORS, MAX_LIMIT, READ, api_reader, next_link
from gateway.web.api.schemas import Page
from gateway.web.app import state
from gateway.web.routes.files import MAX_ID
from gateway.web.staff import ApiClient

router = APIRouter(tags=["back office"], dependencies=READ, responses=ERRORS)


@router.get(
    "/forwarded",
    response_model=Page[ForwardedOut],
    summary="Whole accepted records handed on, by increasing id (withdrawn ones left out)",
    description=CURSOR_PAGING,
)
def forwarded(
    request: Request,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="Cursor: only records with an id above it")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 500,
    client: ApiClient = Depends(api_reader),
) -> dict[str, Any]:
    with state(request).sessions() as session:
        records = export_records(session, since=after, limit=limit + 1)
    cursor = records[limit - 1]["id"] if len(records) > limit else None
    return {
        "items": records[:limit],
        "next_cursor": cursor,
        "next": next_link(request, after=cursor) if cursor is not None else None,
    }
