"""The audit trail with filters (actor, action, target, dates) and paging."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from gateway.store.models.audit import AuditEvent
from gateway.web.app import render, state
from gateway.web.auth import staff_member
from gateway.web.request_files import parse_date
from gateway.web.staff import StaffView

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


@router.get("/audit")
def audit_log(
    request: Request,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    outcome: str = "",
    date_from: str = "",
    date_to: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    user: StaffView = Depends(staff_member),
) -> Response:
    web = state(request)
    zone = ZoneInfo(web.config.timezone)
    query = select(AuditEvent)
    if actor.strip():
        query = query.where(AuditEvent.actor.contains(actor.strip(), autoescape=True))
    if action.strip():
        query = query.where(AuditEvent.action.startswith(action.strip(), autoescape=True))
    if target_type.strip():
        query = query.where(AuditEvent.target_type == target_type.strip())
    if target_id.strip():
        query = query.where(AuditEvent.target_id == target_id.strip())
    if outcome.strip():  # "refused", "failed", or a refusal code such as SFTP-NAME
        query = query.where(AuditEvent.outcome == outcome.strip())
    start, end = parse_date(date_from), parse_date(date_to)
    if start:
        query = query.where(AuditEvent.at >= dt.datetime.combine(start, dt.time(), zone))
    if end:
        query = query.where(AuditEvent.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone))
    page = max(1, page)
    with web.sessions() as session:
        events = list(
            session.scalars(query.order_by(AuditEvent.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
        )
    filters = {
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "outcome": outcome,
        "date_from": date_from,
        "date_to": date_to,
    }
    return render(
        request,
        "audit.html",
        events=events[:PAGE_SIZE],
        has_next=len(events) > PAGE_SIZE,
        page=page,
        filters=filters,
        query={k: v for k, v in filters.items() if v},
    )
