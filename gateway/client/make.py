"""``make-request``: CSV -> numbered, named, checked request file, recorded in the local database.

The file is checked by the server's own stages (``Checker``) against the local history before
it is written: a file with any FATAL or ERREUR finding is not written at all (the findings are
raised, each pointing at its CSV line). Warnings are returned and the file is written.

Sequence numbers come from the local database (see :mod:`gateway.client.history`); a TEST
file takes the number the next PRODUCTION file would take without using it up (the server
ignores TEST files for numbering, but the name must still carry six digits equal to
``NumeroSequence``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from gateway.client.builder import Header, build_request, request_name
from gateway.client.csvlayout import Billing, Convention, Tariff, read_billing
from gateway.client.errors import ClientError, RequestRefused
from gateway.client.history import LocalHistory, next_sequence
from gateway.client.store import LocalAct, LocalRequest
from gateway.clock import Clock, SystemClock
from gateway.errors import GatewayError
from gateway.exchange.checks.model import Finding, Mode, Outcome, Received, Severity
from gateway.exchange.checks.pipeline import Checker
from gateway.exchange.checks.references import load_references
from gateway.exchange.conventions import CONVENTIONS
from gateway.store.db import transaction
from gateway.store.files import TEMP_PREFIX, fsync_dir

SOFTWARE_NAME = "gateway-client"
#: findings that make the server reject a record or the file
BLOCKING = (Severity.FATAL, Severity.ERREUR)

_ACTS = "|".join(sorted({re.escape(spec.act_element) for spec in CONVENTIONS.values()}))
#: a finding's path: the record's position and, inside an act, the act's
_LOCATION = re.compile(rf"^/Facturation/Enregistrement\[(\d+)\](?:/(?:{_ACTS})\[(\d+)\])?")


@dataclass(frozen=True)
class MakeOptions:
    """What ``make-request`` needs beyond the CSV; plain values from the CLI."""

    convention: Convention
    provider_code: str
    out_dir: Path
    schemas_dir: Path
    timezone: str
    max_file_bytes: int
    mode: Mode = Mode.PRODUCTION
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    #: force a sequence number (first file after another software, or a corrected file)
    sequence: int | None = None


@dataclass(frozen=True)
class LocatedFinding:
    """A finding of the checks and the CSV line it concerns (None for the header)."""

    finding: Finding
    csv_line: int | None


@dataclass(frozen=True)
class MadeFile:
    """A request file written and recorded."""

    path: Path
    sequence: int
    mode: Mode
    records: int
    amount: str
    period: tuple[dt.date, dt.date]
    #: warnings the server will report too (the file is still accepted)
    warnings: tuple[LocatedFinding, ...]


def default_period(billing: Billing, today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month of the acts (ending today at the latest), else first to last act.

    A practice bills a month at a time; acts spread over two months give the span between the
    first and last act, which the checks refuse if it is longer than 31 days.
    """
    dates = billing.act_dates
    first, last = min(dates), max(dates)
    if (first.year, first.month) == (last.year, last.month):
        end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return first.replace(day=1), max(min(end, today), last)
    return first, last


def locate(finding: Finding, billing: Billing) -> int | None:
    """The CSV line of the record or act a finding's path names."""
    match = _LOCATION.match(finding.path or "")
    if not match:
        return None
    position = int(match.group(1))
    if not 1 <= position <= len(billing.records):
        return None
    record = billing.records[position - 1]
    act = int(match.group(2)) if match.group(2) else 1
    return record.acts[act - 1].line if 1 <= act <= len(record.acts) else record.acts[0].line


def load_tariffs(schemas_dir: Path, convention: Convention, today: dt.date) -> Tariff:
    """``tariff(code, act date)`` from the nomenclature the gateway uses on ``today`` (spec section 8)."""
    try:
        nomenclature = load_references(schemas_dir).nomenclature_on(today)
    except GatewayError as exc:
        raise ClientError(
            f"cannot read the schemas and nomenclature in {schemas_dir}: {exc.message}", code="CLT-NOMENCLATURE"
        ) from None

    def tariff(code: str, day: dt.date) -> Decimal | None:
        row = nomenclature.lookup(str(convention), code, day)[1]
        return row.tariff if row is not None else None

    return tariff


def software_version() -> str:
    """This package's version, written in ``Logiciel/@version``."""
    try:
        return metadata.version("gateway")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def make_request(
    csv_path: Path,
    options: MakeOptions,
    sessions: sessionmaker[Session],
    *,
    checker_factory: Callable[[], Checker] | None = None,
    clock: Clock | None = None,
) -> MadeFile:
    """Builds, checks, writes and records one request file from the CSV at ``csv_path``.

    Raises :class:`CsvError` for a CSV off the layout, :class:`RequestRefused` when the checks
    reject the file (nothing written, no number used).
    """
    zone = ZoneInfo(options.timezone)
    created_at = (clock or SystemClock()).now().astimezone(zone).replace(microsecond=0)
    tariff = load_tariffs(options.schemas_dir, options.convention, created_at.date())
    billing = read_billing(csv_path, options.convention, timezone=options.timezone, tariff=tariff)
    start, end = default_period(billing, created_at.date())
    period = (options.period_start or start, options.period_end or end)
    checker = (checker_factory or _default_checker(options))()
    options.out_dir.mkdir(parents=True, exist_ok=True)

    linked = False
    try:
        with transaction(sessions) as session:
            sequence = options.sequence or next_sequence(session, options.provider_code, options.convention)
            header = Header(
                id_fichier=str(uuid.uuid4()),
                sequence=sequence,
                provider_code=options.provider_code,
                created_at=created_at,
                period_start=period[0],
                period_end=period[1],
                mode=options.mode,
                software_name=SOFTWARE_NAME,
                software_version=software_version(),
            )
            data = build_request(billing, header)
            name = request_name(options.convention, options.provider_code, created_at, sequence)
            final = options.out_dir / name
            if final.exists():
                raise ClientError(
                    f"{final} already exists: a file with this name and number was made this second",
                    code="CLT-EXISTS",
                    path=str(final),
                )
            temp = options.out_dir / f"{TEMP_PREFIX}{uuid.uuid4().hex}-{name}"
            try:
                _write(temp, data)
                received = Received(
                    name=name,
                    provider_code=options.provider_code,
                    profession=str(options.convention),
                    received_at=created_at,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    path=temp,
                )
                outcome: Outcome = checker.check(received, LocalHistory(session))
                located = tuple(LocatedFinding(f, locate(f, billing)) for f in _all_findings(outcome))
                blocking = tuple(f for f in located if f.finding.severity in BLOCKING)
                if blocking:
                    raise RequestRefused(
                        f"the checks reject this file ({outcome.status}): {len(blocking)} error(s); "
                        "nothing was written",
                        findings=located,
                        status=str(outcome.status),
                    )
                session.add(_row(name, header, billing, options, received, final))
                session.flush()
                os.link(temp, final)  # never replaces a file of the same name
                linked = True
                fsync_dir(options.out_dir)
            finally:
                temp.unlink(missing_ok=True)
    except BaseException:
        if linked:  # written but not recorded (the commit failed): take it back
            final.unlink(missing_ok=True)
        raise
    warnings = tuple(f for f in located if f.finding.severity not in BLOCKING)
    return MadeFile(
        path=final,
        sequence=sequence,
        mode=options.mode,
        records=len(billing.records),
        amount=f"{billing.amount:.2f}",
        period=period,
        warnings=warnings,
    )


def _default_checker(options: MakeOptions) -> Callable[[], Checker]:
    def build() -> Checker:
        return Checker(options.schemas_dir, timezone=options.timezone, max_file_bytes=options.max_file_bytes)

    return build


def _all_findings(outcome: Outcome) -> list[Finding]:
    findings = list(outcome.file_findings)
    for record in outcome.records or ():
        findings.extend(record.findings)
    return findings


def _write(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _row(
    name: str, header: Header, billing: Billing, options: MakeOptions, received: Received, final: Path
) -> LocalRequest:
    row = LocalRequest(
        name=name,
        provider_code=options.provider_code,
        convention=str(options.convention),
        mode=str(options.mode),
        sequence=header.sequence,
        id_fichier=header.id_fichier,
        sha256=received.sha256,
        size=received.size,
        record_count=len(billing.records),
        amount=billing.amount,
        path=str(final.resolve()),
        made_at=header.created_at,
    )
    for number, record in enumerate(billing.records, start=1):
        for act in record.acts:
            row.acts.append(
                LocalAct(
                    record_id=number,
                    reference=record.reference,
                    matricule=record.matricule,
                    code=act.code,
                    act_date=act.date,
                    csv_line=act.line,
                )
            )
    return row
