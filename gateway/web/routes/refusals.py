"""Refused SFTP operations of one provider: the helpdesk's "why was this refused" page.

Reads the ``sftp.refused`` events of the audit trail (:mod:`gateway.sftp.refusals` writes
them) and explains each code with the same table the SFTP layer and docs/sftp.md use.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gateway.sftp.refusals import ACTION, REFUSALS, UNRECORDED_ACTION, refusal
from gateway.store.models.audit import AuditEvent
from gateway.web.app import render, state
from gateway.web.auth import staff_member
from gateway.web.errors import BadInput
from gateway.web.request_files import parse_date
from gateway.web.staff import StaffView

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
#: refusals shown on the provider's page
RECENT = 10


def refusals_query(code: str) -> Select[AuditEvent]:
    """The refusal events of provider ``code`` (and the "left out" summaries), newest first."""
    return (
        select(AuditEvent)
        .where(
            AuditEvent.target_type == "provider",
            AuditEvent.target_id == code,
            AuditEvent.action.in_((ACTION, UNRECORDED_ACTION)),
        )
        .order_by(AuditEvent.id.desc())
    )


def recent_refusals(session: Session, code: str, limit: int = RECENT) -> list[AuditEvent]:
    """The last ``limit`` refusals of ``code``, for the provider's page."""
    return list(session.scalars(refusals_query(code).limit(limit)))


@router.get("/providers/{code}/refusals")
def provider_refusals(
    request: Request,
    code: str,
    reason: str = "",
    name: str = "",
    date_from: str = "",
    date_to: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    user: StaffView = Depends(staff_member),
) -> Response:
    web = state(request)
    account = web.accounts.get(code)
    zone = ZoneInfo(web.config.timezone)
    query = refusals_query(code)
    if reason:
        if reason not in REFUSALS:
            raise BadInput(f"unknown reason: {reason[:40]}")
        query = query.where(AuditEvent.outcome == reason)
    if name.strip():
        query = query.where(AuditEvent.detail["name"].as_string().contains(name.strip(), autoescape=True))
    start, end = parse_date(date_from), parse_date(date_to)
    if start:
        query = query.where(AuditEvent.at >= dt.datetime.combine(start, dt.time(), zone))
    if end:
        query = query.where(AuditEvent.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone))
    with web.sessions() as session:
        events = list(session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    filters = {"reason": reason, "name": name, "date_from": date_from, "date_to": date_to}
    return render(
        request,
        "refusals.html",
        account=account,
        events=events[:PAGE_SIZE],
        has_next=len(events) > PAGE_SIZE,
        page=page,
        filters=filters,
        reasons=REFUSALS,
        explain=refusal,
        unrecorded=UNRECORDED_ACTION,
        query={k: v for k, v in filters.items() if v},
    )
