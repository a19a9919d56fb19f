"""Values passed between the stages, the worker and the response writer.

Statuses are ``StrEnum``s whose values are the words of spec/exchange.md. Everything here
is frozen: a stage returns new values, it never changes the ones it was given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class Severity(StrEnum):
    """``gravite`` of a finding."""

    FATAL = "FATAL"
    ERREUR = "ERREUR"
    AVERTISSEMENT = "AVERTISSEMENT"
    INFO = "INFO"


class FileStatus(StrEnum):
    """``Statut`` of a response."""

    DOUBLON = "DOUBLON"
    REJETE = "REJETE"
    PARTIELLEMENT_ACCEPTE = "PARTIELLEMENT_ACCEPTE"
    ACCEPTE = "ACCEPTE"


class RecordStatus(StrEnum):
    """``statut`` of a record in a response."""

    ACCEPTE = "ACCEPTE"
    ACCEPTE_AVEC_AVERTISSEMENT = "ACCEPTE_AVEC_AVERTISSEMENT"
    REJETE = "REJETE"


class Mode(StrEnum):
    """``Mode`` of a request file."""

    PRODUCTION = "PRODUCTION"
    TEST = "TEST"


@dataclass(frozen=True, slots=True)
class Finding:
    """One error, warning or note, located where the spec says (section 4, 'chemin')."""

    code: str
    severity: Severity
    message_fr: str
    message_en: str
    line: int | None = None
    column: int | None = None
    path: str | None = None
    value: str | None = None
    #: the checking tool's own words (libxml2's English) when the messages retell them
    diagnostic: str | None = None


@dataclass(frozen=True, slots=True)
class ActKey:
    """What DUP-001/DUP-002 compare: matricule, act code and act date (ISO)."""

    matricule: str
    code: str
    date: str


@dataclass(frozen=True)
class Received:
    """A received request file as the checks see it."""

    name: str
    provider_code: str
    #: the uploader's profession (LAB, KINE, DIET)
    profession: str
    #: recuLe, aware
    received_at: dt.datetime
    size: int
    sha256: str
    #: where the bytes are (read by the stages, never modified)
    path: Path


@dataclass(frozen=True)
class EarlierFile:
    """The earlier file a DOUBLON names."""

    name: str
    received_at: dt.datetime


#: separators of a packed RecordDetail: XML 1.0 forbids both characters, so no value holds them
_FIELD, _ITEM = "\x1f", "\x1e"


@dataclass(frozen=True, slots=True)
class ActDetail:
    """One act of an accepted record as forwarded: what was billed and at which tariff.

    Text as written in the file (dates ISO, amounts as decimal strings); ``unit_tariff`` is the
    nomenclature's tariff applied on the act date; ``performer`` is DIET's performing dietitian.
    """

    code: str
    date: str
    quantity: int
    unit_tariff: str
    amount: str
    performer: str | None = None


@dataclass(frozen=True, slots=True)
class RecordDetail:
    """What the back office needs of an accepted record beyond its ids: prescription, acts.

    Captured by stage 4 while the record is parsed (PRODUCTION files only), so forwarding
    never reads the request file again. ``sampled_at`` and ``sampling_place`` are LAB's
    ``Prelevement``; ``sessions_prescribed`` is KINE's ``NombreSeancesPrescrites``.

    A file may hold 100,000 records: between the stages and the forwarding a detail travels
    packed into one string (:meth:`pack`, :meth:`unpack`), a third of the size of objects.
    """

    physician: str
    prescribed_on: str
    acts: tuple[ActDetail, ...]
    nomenclature: str
    sessions_prescribed: int | None = None
    sampled_at: str | None = None
    sampling_place: str | None = None

    def pack(self) -> str:
        """The one-string form (what :attr:`RecordResult.detail` holds)."""
        return pack_detail(
            self.physician,
            self.prescribed_on,
            self.sessions_prescribed,
            self.sampled_at,
            self.sampling_place,
            self.nomenclature,
            [(a.code, a.date, a.quantity, a.unit_tariff, a.amount, a.performer) for a in self.acts],
        )

    @classmethod
    def unpack(cls, packed: str) -> RecordDetail:
        """The detail packed by :meth:`pack` or :func:`pack_detail`."""
        head, *items = packed.split(_ITEM)
        physician, prescribed, sessions, sampled, place, nomenclature = head.split(_FIELD)
        acts = []
        for item in items:
            code, date, quantity, tariff, amount, performer = item.split(_FIELD)
            acts.append(ActDetail(code, date, int(quantity), tariff, amount, performer or None))
        return cls(
            physician,
            prescribed,
            tuple(acts),
            nomenclature,
            int(sessions) if sessions else None,
            sampled or None,
            place or None,
        )


def pack_detail(
    physician: str,
    prescribed_on: str,
    sessions_prescribed: int | None,
    sampled_at: str | None,
    sampling_place: str | None,
    nomenclature: str,
    acts: list[tuple[str, str, int, str, str, str | None]],
) -> str:
    """A :class:`RecordDetail` packed without building it; ``acts`` as (code, date, quantity,
    unit tariff, amount, performer)."""
    head = _FIELD.join(
        (
            physician,
            prescribed_on,
            "" if sessions_prescribed is None else str(sessions_prescribed),
            sampled_at or "",
            sampling_place or "",
            nomenclature,
        )
    )
    return _ITEM.join(
        [head, *(f"{c}{_FIELD}{d}{_FIELD}{q}{_FIELD}{t}{_FIELD}{m}{_FIELD}{p or ''}" for c, d, q, t, m, p in acts)]
    )


@dataclass(frozen=True, slots=True)
class RecordResult:
    """A record of a file that reached stage 4, in file order."""

    position: int
    id: str
    reference: str
    status: RecordStatus
    findings: tuple[Finding, ...] = ()
    matricule: str = ""
    amount: Decimal = Decimal("0")
    acts: tuple[ActKey, ...] = ()
    #: the line the record starts on
    line: int | None = None
    #: what forwarding hands on, packed (RecordDetail.unpack); accepted records of PRODUCTION files only
    detail: str | None = None


@dataclass(frozen=True)
class Outcome:
    """Everything a response and the forwarding need to know about a checked file."""

    received: Received
    status: FileStatus
    mode: Mode | None = None
    convention: str | None = None
    id_fichier: str | None = None
    sequence: int | None = None
    file_findings: tuple[Finding, ...] = ()
    #: None when the file did not reach stage 4
    records: tuple[RecordResult, ...] | None = None
    duplicate_of: EarlierFile | None = None
    amount_received: Decimal | None = None
    amount_accepted: Decimal | None = None
    #: set when the checks failed (the file gets SYS-001): what failed, for staff, never for the response
    internal_error: str | None = None

    @property
    def accepted_records(self) -> tuple[RecordResult, ...]:
        """Records forwarded when the file is a PRODUCTION file."""
        return tuple(r for r in self.records or () if r.status != RecordStatus.REJETE)


class History(Protocol):
    """What the stateful rules ask about a provider's earlier files.

    The worker answers from the database; ``gateway validate`` from the database (read-only)
    plus the files given before in the same run. Voided files count for nothing.
    """

    def identical_file(self, provider_code: str, sha256: str) -> EarlierFile | None:
        """An earlier received file with these bytes (FIC-005), whatever its outcome."""

    def last_sequence(self, provider_code: str, convention: str) -> int | None:
        """Highest NumeroSequence of an accepted or partly accepted production file."""

    def id_fichier_used(self, provider_code: str, id_fichier: str) -> bool:
        """True when an accepted or partly accepted production file carried it (ENT-003)."""

    def accepted_acts(self, provider_code: str, acts: frozenset[ActKey]) -> frozenset[ActKey]:
        """The subset of ``acts`` accepted in earlier production files (DUP-002)."""


@dataclass(frozen=True)
class EmptyHistory:
    """A provider with no earlier files."""

    def identical_file(self, provider_code: str, sha256: str) -> EarlierFile | None:
        return None

    def last_sequence(self, provider_code: str, convention: str) -> int | None:
        return None

    def id_fichier_used(self, provider_code: str, id_fichier: str) -> bool:
        return False

    def accepted_acts(self, provider_code: str, acts: frozenset[ActKey]) -> frozenset[ActKey]:
        return frozenset()
