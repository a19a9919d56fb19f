"""Stage 3 rules on the header (ENT-001 to ENT-009) and the values they read.

ENT-003, ENT-004 and ENT-005 ask the history and ignore TEST files; every time rule is judged
against the moment of receipt.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from lxml import etree

from gateway import texts
from gateway.exchange.checks.messages import Where, finding
from gateway.exchange.checks.model import Finding, History, Mode, Received
from gateway.exchange.checks.rules.values import parse_date, parse_datetime, parse_decimal, parse_int
from gateway.exchange.checks.xmlsafe import line_of

HEADER = "/Facturation/Entete"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: DateCreation may be this far after the moment of receipt (clock skew)
CREATION_TOLERANCE = dt.timedelta(minutes=5)
MAX_PERIOD_DAYS = 30


@dataclass(frozen=True)
class Field:
    """One header value as written, and its line."""

    text: str | None
    line: int | None


@dataclass(frozen=True)
class HeaderValues:
    """The ``Entete`` as read; typed accessors return None for what is not valid."""

    fields: dict[str, Field]
    period: tuple[str | None, str | None]
    period_line: int | None

    def text(self, name: str) -> str | None:
        """The text of header element ``name``, trimmed, or None when absent."""
        field = self.fields.get(name)
        return field.text.strip() if field is not None and field.text is not None else None

    def line(self, name: str) -> int | None:
        """The line of header element ``name``."""
        field = self.fields.get(name)
        return field.line if field is not None else None

    @property
    def id_fichier(self) -> str | None:
        """IdFichier when it is a lower-case UUID."""
        value = self.text("IdFichier")
        return value if value is not None and _UUID.match(value) else None

    @property
    def sequence(self) -> int | None:
        """NumeroSequence when it is an integer 1..999999."""
        value = parse_int(self.text("NumeroSequence"))
        return value if value is not None and 1 <= value <= 999999 else None

    @cached_property  # asked for by every record's rules
    def mode(self) -> Mode | None:
        """Mode when it is PRODUCTION or TEST."""
        value = self.text("Mode")
        return Mode(value) if value in {m.value for m in Mode} else None

    @property
    def start(self) -> dt.date | None:
        """Periode/@debut as a date."""
        return parse_date(self.period[0])

    @property
    def end(self) -> dt.date | None:
        """Periode/@fin as a date."""
        return parse_date(self.period[1])


def read_header(element: etree._Element) -> HeaderValues:
    """The values of an ``Entete`` element (whatever its validity)."""
    fields: dict[str, Field] = {}
    period: tuple[str | None, str | None] = (None, None)
    period_line = None
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "Periode":
            period, period_line = (child.get("debut"), child.get("fin")), line_of(child)
        fields.setdefault(name, Field(child.text, line_of(child)))
    return HeaderValues(fields, period, period_line)


def header_findings(
    header: HeaderValues,
    *,
    received: Received,
    convention: str,
    name_convention: str | None,
    name_sequence: int | None,
    record_count: int,
    records_total: Decimal,
    day: dt.date,
    timezone: ZoneInfo,
    history: History,
    root_line: int | None = None,
) -> Iterator[Finding]:
    """Every stage-3 finding, in code order."""
    code = header.text("CodePrestataire")
    if code != received.provider_code:
        yield finding(
            "ENT-001",
            line=header.line("CodePrestataire"),
            path=f"{HEADER}/CodePrestataire",
            value=code,
            uploader=received.provider_code,
        )
    if name_convention is not None and name_convention != convention:
        yield finding(
            "ENT-002",
            path="/Facturation",
            value=convention,
            named=name_convention,
            what="la convention",
            what_en="convention",
            line=root_line,
        )
    sequence = header.sequence
    if name_sequence is not None and sequence is not None and name_sequence != sequence:
        yield finding(
            "ENT-002",
            line=header.line("NumeroSequence"),
            path=f"{HEADER}/NumeroSequence",
            value=header.text("NumeroSequence"),
            named=f"{name_sequence:06d}",
            what="la séquence",
            what_en="sequence",
        )
    if header.mode == Mode.PRODUCTION:
        id_fichier = header.id_fichier
        if id_fichier is not None and history.id_fichier_used(received.provider_code, id_fichier):
            yield finding("ENT-003", line=header.line("IdFichier"), path=f"{HEADER}/IdFichier", value=id_fichier)
        last = history.last_sequence(received.provider_code, convention)
        if last is not None and sequence is not None:
            where: Where = {
                "line": header.line("NumeroSequence"),
                "path": f"{HEADER}/NumeroSequence",
                "value": header.text("NumeroSequence"),
            }
            if sequence <= last:
                yield finding("ENT-004", last=last, **where)
            elif sequence > last + 1:
                yield finding("ENT-005", last=last, **where)
    count = parse_int(header.text("NombreEnregistrements"))
    if count != record_count:
        yield finding(
            "ENT-006",
            line=header.line("NombreEnregistrements"),
            path=f"{HEADER}/NombreEnregistrements",
            value=header.text("NombreEnregistrements"),
            count=record_count,
        )
    total = parse_decimal(header.text("MontantTotal"))
    if total != records_total:
        yield finding(
            "ENT-007",
            line=header.line("MontantTotal"),
            path=f"{HEADER}/MontantTotal",
            value=header.text("MontantTotal"),
            total=f"{records_total:.2f}",
        )
    created = parse_datetime(header.text("DateCreation"), timezone)
    if created is not None and created > received.received_at + CREATION_TOLERANCE:
        yield finding(
            "ENT-008",
            line=header.line("DateCreation"),
            path=f"{HEADER}/DateCreation",
            value=header.text("DateCreation"),
            received_at=received.received_at.astimezone(timezone).isoformat(timespec="seconds"),
        )
    start, end = header.start, header.end
    if start is not None and end is not None:
        reason = None
        if end < start:
            reason = texts.both("period.end_before_start")
        elif (end - start).days > MAX_PERIOD_DAYS:
            reason = texts.both("period.too_long")
        elif end > day:
            reason = texts.both("period.after_receipt", day=day.isoformat())
        if reason is not None:
            yield finding(
                "ENT-009",
                line=header.period_line,
                path=f"{HEADER}/Periode",
                value=f"{header.period[0]}/{header.period[1]}",
                reason_fr=reason[0],
                reason_en=reason[1],
            )
