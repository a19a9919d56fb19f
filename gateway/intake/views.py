"""Read-only values of applications, handed to the web pages, the CLI and the report.

Rows never leave :mod:`gateway.intake.applications`; callers get these frozen values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from gateway.intake.status import Channel, Outcome, Status
from gateway.intake.validation import ApplicationData
from gateway.store.models.intake import Application, ApplicationDocument, StatusChange


@dataclass(frozen=True)
class DocumentView:
    """One file received for an application and its verdict.

    ``kept`` is False when nothing of the file was kept (over the size limit, or purged).
    ``kind`` is None for a mail attachment whose kind staff have not confirmed;
    ``suggested_kind`` is the gateway's guess.
    """

    id: int
    reference: str
    kind: str | None
    suggested_kind: str | None
    kind_confirmed: bool
    source: str
    display_name: str
    size: int
    sha256: str
    verdict: str
    reason: str | None
    flags: tuple[str, ...]
    detected_type: str
    page_count: int | None
    pdf_version: str | None
    producer: str | None
    message_fr: str
    message_en: str
    scanned: bool
    scan_result: str
    received_at: dt.datetime
    received_by: str
    removed_at: dt.datetime | None
    kept: bool

    @property
    def accepted(self) -> bool:
        """True when the checks accepted the file (flags or not)."""
        return self.verdict == "accepted"

    def as_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["flags"] = list(self.flags)
        for key in ("received_at", "removed_at"):
            values[key] = values[key].isoformat() if values[key] else None
        return values


@dataclass(frozen=True)
class StatusChangeView:
    """One status change: who, when, why."""

    at: dt.datetime
    actor: str
    address: str
    from_status: Status | None
    to_status: Status
    outcome: Outcome | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "address": self.address,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "outcome": self.outcome,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ApplicationView:
    """An application with its data, documents and history."""

    id: int
    reference: str
    channel: Channel
    status: Status
    outcome: Outcome | None
    data: ApplicationData
    provider_code: str | None
    correction_message: str
    decision_reason: str
    notes: tuple[dict[str, str], ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    closed_at: dt.datetime | None
    purged_at: dt.datetime | None
    documents: tuple[DocumentView, ...]
    history: tuple[StatusChangeView, ...]

    @property
    def live_documents(self) -> tuple[DocumentView, ...]:
        """Documents not removed from the application."""
        return tuple(d for d in self.documents if d.removed_at is None)

    def document(self, doc_id: int) -> DocumentView | None:
        """The document with ``doc_id``, or None."""
        return next((d for d in self.documents if d.id == doc_id), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly values (dates in ISO 8601)."""

        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "reference": self.reference,
            "channel": self.channel,
            "status": self.status,
            "outcome": self.outcome,
            "data": self.data.as_dict(),
            "provider_code": self.provider_code,
            "correction_message": self.correction_message,
            "decision_reason": self.decision_reason,
            "notes": list(self.notes),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "submitted_at": iso(self.submitted_at),
            "closed_at": iso(self.closed_at),
            "purged_at": iso(self.purged_at),
            "documents": [d.as_dict() for d in self.documents],
            "history": [h.as_dict() for h in self.history],
        }


def document_view(row: ApplicationDocument, reference: str) -> DocumentView:
    """The value of a document row."""
    return DocumentView(
        id=row.id,
        reference=reference,
        kind=row.kind,
        suggested_kind=row.suggested_kind,
        kind_confirmed=row.kind_confirmed,
        source=row.source,
        display_name=row.display_name,
        size=row.size,
        sha256=row.sha256,
        verdict=row.verdict,
        reason=row.reason,
        flags=tuple(row.flags or ()),
        detected_type=row.detected_type,
        page_count=row.page_count,
        pdf_version=row.pdf_version,
        producer=row.producer,
        message_fr=row.message_fr,
        message_en=row.message_en,
        scanned=row.scanned,
        scan_result=row.scan_result,
        received_at=row.received_at,
        received_by=row.received_by,
        removed_at=row.removed_at,
        kept=row.stored_name is not None,
    )


def application_data(row: Application) -> ApplicationData:
    """The data fields of an application row."""
    return ApplicationData(**{f.name: getattr(row, f.name) for f in fields(ApplicationData)})


def application_view(row: Application) -> ApplicationView:
    """The value of an application row, with its documents and history."""
    return ApplicationView(
        id=row.id,
        reference=row.reference,
        channel=Channel(row.channel),
        status=Status(row.status),
        outcome=Outcome(row.outcome) if row.outcome else None,
        data=application_data(row),
        provider_code=row.provider_code,
        correction_message=row.correction_message,
        decision_reason=row.decision_reason,
        notes=tuple(row.notes or ()),
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        closed_at=row.closed_at,
        purged_at=row.purged_at,
        documents=tuple(document_view(d, row.reference) for d in row.documents),
        history=tuple(_change_view(h) for h in row.history),
    )


def _change_view(row: StatusChange) -> StatusChangeView:
    return StatusChangeView(
        at=row.at,
        actor=row.actor,
        address=row.address,
        from_status=Status(row.from_status) if row.from_status else None,
        to_status=Status(row.to_status),
        outcome=Outcome(row.outcome) if row.outcome else None,
        reason=row.reason,
    )
