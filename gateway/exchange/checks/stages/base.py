"""What every stage shares: the :class:`Stage` interface and the :class:`Context` of one file.

A file is read once. Each stage may look at the file before the pass (``begin``), at each
element directly under the root as the pass streams it by (``visit``: only the header and
the records are kept in memory, one at a time), and gives its verdict after the pass
(``end``). The pipeline calls ``begin`` and ``end`` in stage order and stops after the first
stage that found a FATAL error, so a later stage's work on a file an earlier one rejects is
simply dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Protocol
from zoneinfo import ZoneInfo

from lxml import etree

from gateway.exchange.checks.model import (
    ActKey,
    EarlierFile,
    Finding,
    History,
    Mode,
    Received,
    RecordResult,
    Severity,
)
from gateway.exchange.checks.references import References, SchemaVersion
from gateway.exchange.checks.xmlsafe import XmlProblem

if TYPE_CHECKING:
    from gateway.exchange.checks.rules.header import HeaderValues
    from gateway.exchange.checks.stages.name import NameParts


@dataclass
class Context:
    """The working state of one check: inputs, what the stages learnt, findings per stage.

    Mutable on purpose and private to one ``Checker.check`` call; what leaves it is the frozen
    :class:`~gateway.exchange.checks.model.Outcome`.
    """

    received: Received
    history: History
    references: References
    timezone: ZoneInfo
    max_file_bytes: int
    #: the day of receipt in exchange.timezone: every time rule is judged against it
    day: dt.date = field(init=False)
    findings: dict[int, list[Finding]] = field(default_factory=dict)
    name: NameParts | None = None
    duplicate_of: EarlierFile | None = None
    #: set by ValidateSchema: the file's convention (from its namespace) and namespace
    convention: str | None = None
    namespace: str | None = None
    schema: SchemaVersion | None = None
    #: False once the file is known not to pass stage 2: later stages stop working on it
    valid: bool = True
    #: set by the pass when the XML breaks (XML-001/002/003), reported by ParseXml
    xml_problem: XmlProblem | None = None
    #: the root element once the pass reached it (its children are removed as they pass)
    root: etree._Element | None = None
    header: HeaderValues | None = None
    records: list[RecordResult] = field(default_factory=list)
    record_count: int = 0
    records_total: Decimal = Decimal("0")
    #: DUP-001: first record id of each act key in this file
    seen_acts: dict[ActKey, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.day = self.received.received_at.astimezone(self.timezone).date()

    def add(self, stage: int, finding: Finding) -> None:
        """Records a file-level finding of ``stage``."""
        self.findings.setdefault(stage, []).append(finding)

    def fatal(self, stage: int) -> bool:
        """True when ``stage`` found a FATAL error."""
        return any(f.severity == Severity.FATAL for f in self.findings.get(stage, ()))

    @property
    def mode(self) -> Mode | None:
        """The file's Mode once its header was read."""
        return self.header.mode if self.header is not None else None


class Stage(Protocol):
    """One stage of the checks: a number (section 4) and three moments to act."""

    number: ClassVar[int]

    def begin(self, context: Context) -> None:
        """Before the pass over the document."""

    def visit(self, context: Context, element: etree._Element, position: int) -> None:
        """An element directly under the root; ``position`` counts Enregistrement (1-based, 0 otherwise)."""

    def end(self, context: Context) -> None:
        """After the pass: the stage's verdict."""


class StageBase:
    """Default no-op moments, so a stage writes only the ones it needs."""

    number: ClassVar[int] = 0

    def begin(self, context: Context) -> None:
        return None

    def visit(self, context: Context, element: etree._Element, position: int) -> None:
        return None

    def end(self, context: Context) -> None:
        return None
