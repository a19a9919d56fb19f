"""Writing to and reading the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from gateway.clock import utcnow
from gateway.store.models.audit import AuditEvent

_INSERT = insert(AuditEvent.__table__)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: str = "",
    address: str = "",
    outcome: str = "ok",
    **detail: Any,
) -> AuditEvent:
    """Adds one audit event to ``session`` (committed with the caller's transaction)."""
    event = AuditEvent(
        at=utcnow(),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        address=address,
        outcome=outcome,
        detail=detail,
    )
    session.add(event)
    return event


def record_many(session: Session | Connection, events: list[dict[str, Any]]) -> None:
    """Adds several audit events in one statement (keys: the arguments of :func:`record`).

    For hot paths (the SFTP close): no ORM objects, one executemany, in a session's
    transaction or straight on a connection's.
    """
    if not events:
        return
    at = utcnow()
    rows = [
        {
            "at": at,
            "actor": e["actor"],
            "action": e["action"],
            "target_type": e.get("target_type", ""),
            "target_id": e.get("target_id", ""),
            "address": e.get("address", ""),
            "outcome": e.get("outcome", "ok"),
            "detail": {
                k: v
                for k, v in e.items()
                if k not in ("actor", "action", "target_type", "target_id", "address", "outcome")
            },
        }
        for e in events
    ]
    session.execute(_INSERT, rows)


def recent(session: Session, *, limit: int = 100, **filters: str) -> list[AuditEvent]:
    """The latest events, newest first, filtered by equal column values."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    for column, value in filters.items():
        query = query.where(getattr(AuditEvent, column) == value)
    return list(session.scalars(query))


def add_detail(session: Session, event_id: int, **detail: Any) -> None:
    """Adds keys to the detail of event ``event_id`` (a repeat count on its first record)."""
    event = session.get(AuditEvent, event_id)
    if event is not None:
        event.detail = {**(event.detail or {}), **detail}  # a new dict: the JSON column sees the change
