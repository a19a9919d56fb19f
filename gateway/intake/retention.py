"""Retention (spec/intake.md section 7): dossiers deleted two years after close.

:func:`purge_intake` is what ``gateway purge`` calls. For each application closed more than
``retention_days`` ago (and each draft, ``EN_PREPARATION``, untouched for that long) it deletes
the dossier folder (documents as received and final reports), the document rows, the
applicant's personal data in the application row, its follow-up tokens, and the sender and
subject of its mail messages. What stays: the reference, status, outcome, dates, the allocated
code (codes are never reused) and the status history (who decided what, when).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.intake import ratelimit
from gateway.intake.dossier import Dossier
from gateway.intake.status import Status
from gateway.intake.validation import ApplicationData
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.intake import Application, ApplicationDocument, FollowupToken, MailMessage


@dataclass(frozen=True)
class PurgedApplication:
    """One application whose dossier was (or, in a dry run, would be) deleted."""

    reference: str
    status: str
    closed_at: dt.datetime | None
    documents: int
    files: int
    bytes: int


@dataclass(frozen=True)
class IntakePurgeReport:
    """What a purge did (or would do with ``dry_run``)."""

    dry_run: bool
    cutoff: dt.datetime
    applications: tuple[PurgedApplication, ...]
    rate_events: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "cutoff": self.cutoff.isoformat(),
            "rate_events": self.rate_events,
            "applications": [
                {**a.__dict__, "closed_at": a.closed_at.isoformat() if a.closed_at else None} for a in self.applications
            ],
        }


def _due(session: Session, cutoff: dt.datetime) -> list[Application]:
    query = (
        select(Application)
        .where(
            Application.purged_at.is_(None),
            or_(
                Application.closed_at <= cutoff,
                (Application.status == str(Status.EN_PREPARATION)) & (Application.updated_at <= cutoff),
            ),
        )
        .order_by(Application.id)
    )
    return list(session.scalars(query))


def purge_intake(
    sessions: sessionmaker[Session],
    *,
    applications_root: Path,
    now: dt.datetime,
    retention_days: int,
    dry_run: bool,
    actor: str = "system",
) -> IntakePurgeReport:
    """Deletes what retention says must go; with ``dry_run`` only reports it."""
    cutoff = now - dt.timedelta(days=retention_days)
    dossier = Dossier(applications_root)
    done: list[PurgedApplication] = []
    with sessions() as session:
        due = [(row.id, row.reference) for row in _due(session, cutoff)]
    for app_id, reference in due:
        with sessions() as session:
            row = session.get_one(Application, app_id)
            files, size = dossier.size(reference)
            done.append(PurgedApplication(reference, row.status, row.closed_at, len(row.documents), files, size))
        if dry_run:
            continue
        # Files first: a crash in between leaves rows whose files are gone (shown as "not
        # kept"), and the next purge finishes the job, since the row is not marked yet.
        dossier.delete(reference)
        with transaction(sessions) as session:
            row = session.get_one(Application, app_id)
            session.execute(delete(ApplicationDocument).where(ApplicationDocument.application_id == app_id))
            session.execute(delete(FollowupToken).where(FollowupToken.application_id == app_id))
            session.execute(
                update(MailMessage)
                .where(MailMessage.application_id == app_id)
                .values(sender="", subject="", message_id="")
            )
            for f in fields(ApplicationData):
                setattr(row, f.name, "")
            row.correction_message, row.decision_reason, row.notes = "", "", []
            row.purged_at = now
            audit.record(
                session,
                actor=actor,
                action="intake.purge",
                target_type="application",
                target_id=reference,
                files=files,
                bytes=size,
            )
    with transaction(sessions) as session:
        if dry_run:
            rate_events = 0
        else:
            rate_events = ratelimit.prune(session, now)
    return IntakePurgeReport(dry_run, cutoff, tuple(done), rate_events)
