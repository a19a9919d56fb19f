"""Applications and their intake reports (read-only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from gateway.intake.rendering import render_pdf
from gateway.web.api.common import ERRORS, MAX_LIMIT, OFFSET_PAGING, READ, api_reader, next_link
from gateway.web.api.schemas import ApplicationDetail, ApplicationsPage
from gateway.web.routes.applications import service
from gateway.web.staff import ApiClient

router = APIRouter(tags=["applications"], dependencies=READ, responses=ERRORS)
Status = Annotated[str, Query(pattern="^(|EN_PREPARATION|TRANSMISE|A_CORRIGER|CLOTUREE)$")]


@router.get(
    "/applications", response_model=ApplicationsPage, summary="Applications, newest first", description=OFFSET_PAGING
)
def list_applications(
    request: Request,
    status: Status = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    client: ApiClient = Depends(api_reader),
) -> dict[str, Any]:
    rows = service(request).list(status=status or None, limit=limit + 1, offset=offset)
    items = [
        {
            "reference": a.reference,
            "status": a.status,
            "outcome": a.outcome,
            "channel": a.channel,
            "establishment_name": a.data.establishment_name,
            "provider_code": a.provider_code,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
        }
        for a in rows[:limit]
    ]
    more = len(rows) > limit
    return {
        "items": items,
        "next_offset": offset + limit if more else None,
        "next": next_link(request, offset=offset + limit) if more else None,
    }


@router.get(
    "/applications/{reference}",
    response_model=ApplicationDetail,
    summary="An application with its documents, history and intake report",
)
def get_application(request: Request, reference: str, client: ApiClient = Depends(api_reader)) -> dict[str, Any]:
    applications = service(request)
    view = applications.get(reference)
    return {"application": view.as_dict(), "report": applications.report(reference).as_dict()}


@router.get(
    "/applications/{reference}/report.pdf",
    summary="The intake report, printable",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_report_pdf(request: Request, reference: str, client: ApiClient = Depends(api_reader)) -> Response:
    report = service(request).report(reference)
    return Response(
        render_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{reference}-report.pdf"'},
    )
