"""The intake report of spec/intake.md section 5, as a value, JSON, HTML fragment and PDF.

:func:`build_report` is pure: it reads an :class:`~gateway.intake.views.ApplicationView`
and decides, for each required kind, whether it is present and accepted, waiting for staff to
confirm a suggested kind (mail), present only as refused files, or missing; it lists every
file with what the checks found, the data checks, and the verdict ``COMPLET`` or
``INCOMPLET`` with what the applicant must correct, in French and English.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from gateway import texts
from gateway.intake.requirements import DocumentKind, required_kinds
from gateway.intake.validation import DataCheck, data_checks
from gateway.intake.views import ApplicationView, DocumentView


class ReportVerdict(StrEnum):
    """The report's conclusion."""

    COMPLET = "COMPLET"
    INCOMPLET = "INCOMPLET"


class KindState(StrEnum):
    """Where a kind stands."""

    PRESENT = "present"  # at least one accepted file of this kind, kind confirmed
    A_CONFIRMER = "a_confirmer"  # an accepted file was suggested for it; staff must confirm
    REFUSE = "refuse"  # only refused files
    MANQUANT = "manquant"  # nothing


class ScanState(StrEnum):
    """Whether the files were scanned for malware."""

    ALL = "all"
    PARTIAL = "partial"
    NONE = "none"
    NO_FILES = "no_files"


@dataclass(frozen=True)
class KindLine:
    """One kind of document in the report."""

    kind: str
    label_fr: str
    label_en: str
    required: bool
    state: KindState
    accepted_ids: tuple[int, ...]
    #: (display name, reason code, message fr, message en) of each refused file of this kind
    refusals: tuple[tuple[str, str, str, str], ...]


@dataclass(frozen=True)
class Correction:
    """One thing the applicant must correct."""

    code: str
    message_fr: str
    message_en: str


@dataclass(frozen=True)
class IntakeReport:
    """Everything staff decide on. ``files`` hold every file received, removed ones marked."""

    reference: str
    status: str
    outcome: str | None
    channel: str
    provider_code: str | None
    establishment_name: str
    legal_form: str
    generated_at: dt.datetime
    kinds: tuple[KindLine, ...]
    files: tuple[DocumentView, ...]
    data_checks: tuple[DataCheck, ...]
    verdict: ReportVerdict
    to_correct: tuple[Correction, ...]
    #: ids of accepted files whose suggested kind staff have not confirmed yet
    to_confirm: tuple[int, ...]
    malware_scan: ScanState
    notes: tuple[dict[str, str], ...]

    @property
    def complete(self) -> bool:
        """True when the verdict is COMPLET."""
        return self.verdict is ReportVerdict.COMPLET

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-friendly values (dates in ISO 8601)."""
        return {
            "reference": self.reference,
            "status": self.status,
            "outcome": self.outcome,
            "channel": self.channel,
            "provider_code": self.provider_code,
            "establishment_name": self.establishment_name,
            "legal_form": self.legal_form,
            "generated_at": self.generated_at.isoformat(),
            "verdict": str(self.verdict),
            "kinds": [
                {
                    **asdict(k),
                    "state": str(k.state),
                    "accepted_ids": list(k.accepted_ids),
                    "refusals": [
                        dict(zip(("display_name", "reason", "message_fr", "message_en"), r, strict=True))
                        for r in k.refusals
                    ],
                }
                for k in self.kinds
            ],
            "files": [f.as_dict() for f in self.files],
            "data_checks": [c.as_dict() for c in self.data_checks],
            "to_correct": [asdict(c) for c in self.to_correct],
            "to_confirm": list(self.to_confirm),
            "malware_scan": str(self.malware_scan),
            "notes": [dict(n) for n in self.notes],
        }

    def to_json(self) -> str:
        """The report as a JSON document."""
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


def _kind_line(kind: DocumentKind, required: bool, files: list[DocumentView]) -> KindLine:
    confirmed = [f for f in files if f.kind == kind and f.kind_confirmed]
    suggested = [f for f in files if not f.kind_confirmed and (f.kind or f.suggested_kind) == kind]
    accepted = [f for f in confirmed if f.accepted]
    refused = [f for f in confirmed + suggested if not f.accepted]
    if accepted:
        state = KindState.PRESENT
    elif any(f.accepted for f in suggested):
        state = KindState.A_CONFIRMER
    elif refused:
        state = KindState.REFUSE
    else:
        state = KindState.MANQUANT
    return KindLine(
        kind=str(kind),
        label_fr=kind.label_fr,
        label_en=kind.label_en,
        required=required,
        state=state,
        accepted_ids=tuple(f.id for f in accepted),
        refusals=tuple((f.display_name, f.reason or "", f.message_fr, f.message_en) for f in refused),
    )


def _scan_state(files: list[DocumentView]) -> ScanState:
    if not files:
        return ScanState.NO_FILES
    scanned = sum(1 for f in files if f.scanned)
    return ScanState.ALL if scanned == len(files) else ScanState.NONE if scanned == 0 else ScanState.PARTIAL


def build_report(application: ApplicationView, now: dt.datetime) -> IntakeReport:
    """The intake report of ``application`` as it stands at ``now``."""
    live = [f for f in application.documents if f.removed_at is None]
    required = set(required_kinds(application.data.legal_form))
    kinds = tuple(
        _kind_line(k, k in required, live)
        for k in DocumentKind
        if k in required or any((f.kind or f.suggested_kind) == k for f in live)
    )
    checks = tuple(data_checks(application.data))
    to_correct: list[Correction] = []
    for line in kinds:
        if not line.required or line.state in (KindState.PRESENT, KindState.A_CONFIRMER):
            continue
        if line.state is KindState.MANQUANT:
            to_correct.append(
                Correction(
                    f"document_manquant:{line.kind}",
                    texts.text("fr", "report.missing_document", label=line.label_fr),
                    texts.text("en", "report.missing_document", label=line.label_en),
                )
            )
        else:
            name, reason, message_fr, message_en = line.refusals[-1]
            to_correct.append(
                Correction(
                    f"document_refuse:{line.kind}",
                    texts.text(
                        "fr",
                        "report.refused_document",
                        label=line.label_fr,
                        name=name,
                        reason=texts.label("fr", "reasonlabel", reason),
                        message=message_fr,
                    ).strip(),
                    texts.text(
                        "en",
                        "report.refused_document",
                        label=line.label_en,
                        name=name,
                        reason=texts.label("en", "reasonlabel", reason),
                        message=message_en,
                    ).strip(),
                )
            )
    for check in checks:
        if not check.ok:
            to_correct.append(Correction(check.code or "", check.message_fr, check.message_en))
    to_confirm = tuple(f.id for f in live if f.accepted and not f.kind_confirmed)
    pending = any(line.required and line.state is KindState.A_CONFIRMER for line in kinds)
    verdict = ReportVerdict.COMPLET if not to_correct and not pending else ReportVerdict.INCOMPLET
    return IntakeReport(
        reference=application.reference,
        status=str(application.status),
        outcome=str(application.outcome) if application.outcome else None,
        channel=str(application.channel),
        provider_code=application.provider_code,
        establishment_name=application.data.establishment_name,
        legal_form=application.data.legal_form,
        generated_at=now,
        kinds=kinds,
        files=tuple(application.documents),
        data_checks=checks,
        verdict=verdict,
        to_correct=tuple(to_correct),
        to_confirm=to_confirm,
        malware_scan=_scan_state(live),
        notes=tuple(application.notes),
    )
