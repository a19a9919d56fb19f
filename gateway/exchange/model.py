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


