"""Changing an application's status: checked, recorded in its history and the audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gateway.intake.status import Outcome, Status, check_transition
from gateway.metrics import APPLICATIONS
from gateway.store import audit
from gateway.store.models.intake import Application, StatusChange


def change_status(
    session: Session,
    row: Application,
    new: Status,
    outcome: Outcome | None = None,
    *,
    actor: str,
    address: str = "",
    now: dt.datetime,
    reason: str = "",
) -> StatusChange:
    """Moves ``row`` to ``new`` (with ``outcome`` when closing) in the caller's transaction.

    A row without history is being created (``from`` is None). Raises
    :class:`~gateway.intake.errors.TransitionRefused` when the machine forbids the change.
    """
    creating = not row.history
    current = None if creating else Status(row.status)
    check_transition(current, new, outcome, reference=row.reference)
    change = StatusChange(
        at=now,
        actor=actor,
        address=address,
        from_status=None if current is None else str(current),
        to_status=str(new),
        outcome=None if outcome is None else str(outcome),
        reason=reason,
    )
    row.history.append(change)
    row.status = str(new)
    row.updated_at = now
    if new is Status.TRANSMISE and row.submitted_at is None:
        row.submitted_at = now
    if new is Status.CLOTUREE:
        row.outcome = str(outcome)
        row.closed_at = now
    audit.record(
        session,
        actor=actor,
        action="intake.status",
        target_type="application",
        target_id=row.reference,
        address=address,
        from_status=change.from_status,
        to_status=change.to_status,
        # the audit column's default for a change that closes nothing, as None gave before
        outcome=change.outcome if change.outcome is not None else "ok",
        reason=reason,
    )
    APPLICATIONS.labels(status=str(new) if outcome is None else f"{new}/{outcome}").inc()
    return change
