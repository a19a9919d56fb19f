"""The CSV layout a practice fills in (docs/client.md): one line per act, grouped by reference.

Every line carries the record's ``reference`` (the practice's invoice number); the lines of one
reference make one ``Enregistrement``, in the order their references first appear. The columns
that describe the record rather than the act (matricule, prescription, sampling) must be the
same on every line of a reference.

Spreadsheets are welcome as they are: ``;``, ``,`` or tab as separator (taken from the header
line), UTF-8 with or without BOM (else Windows-1252), headers in any case and with or without
accents, decimal comma or point, dates as ``2026-10-03`` or ``03/10/2026``. An empty (or absent)
``montant`` is the nomenclature's tariff times ``quantite``. Columns not in the layout are ignored (a practice may keep notes beside the data). Every problem is reported at
once, with its line number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.client.errors import CsvError
from gateway.exchange.conventions import CONVENTIONS, Convention

__all__ = [
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "RECORD_COLUMNS",
    "SAMPLING_PLACES",
    "Act",
    "Billing",
    "Convention",
    "Record",
    "Tariff",
    "parse_billing",
    "read_billing",
]


#: lieu of a sampling (spec section 3.2)
SAMPLING_PLACES = ("LABO", "DOMICILE", "HOPITAL", "MAISON_SOINS")

#: columns that may be left out: an empty montant is the nomenclature's tariff times quantite
OPTIONAL_COLUMNS = ("montant",)
#: columns of each convention, in the order of the documented layout
COLUMNS: dict[Convention, tuple[str, ...]] = {c: spec.csv_columns for c, spec in CONVENTIONS.items()}
#: columns describing the record: equal on every line of one reference
RECORD_COLUMNS: dict[Convention, tuple[str, ...]] = {c: spec.csv_record_columns for c, spec in CONVENTIONS.items()}

#: tariff(code, act date) -> euros, or None when the code is unknown or not valid that day
Tariff = Callable[[str, dt.date], Decimal | None]

_REFERENCE = re.compile(r"^[A-Za-z0-9._/-]{1,35}$")
_DIGITS = {"matricule": 13, "code_medecin": 8, "executant": 8}
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


@dataclass(frozen=True)
class Act:
    """One line of the CSV: an analysis, a session or a consultation."""

    line: int
    date: dt.date
    code: str
    quantity: int
    amount: Decimal
    #: a convention with performers: the professional who performed the act
    performer: str | None = None


@dataclass(frozen=True)
class Record:
    """The acts of one reference: one ``Enregistrement``."""

    reference: str
    matricule: str
    physician: str
    prescribed_on: dt.date
    acts: tuple[Act, ...]
    #: a convention with prescribed sessions: NombreSeancesPrescrites
    sessions_prescribed: int | None = None
    #: a sampled convention: Prelevement/@dateHeure (aware) and @lieu
    sampled_at: dt.datetime | None = None
    place: str | None = None

    @property
    def amount(self) -> Decimal:
        """MontantEnregistrement: the sum of the acts' amounts."""
        return sum((a.amount for a in self.acts), Decimal("0.00"))

    @property
    def lines(self) -> tuple[int, ...]:
        """CSV line numbers of the record's acts."""
        return tuple(a.line for a in self.acts)


@dataclass(frozen=True)
class Billing:
    """What a CSV holds: the records of one request file, in order."""

    convention: Convention
    records: tuple[Record, ...]

    @property
    def amount(self) -> Decimal:
        """MontantTotal."""
        return sum((r.amount for r in self.records), Decimal("0.00"))

    @property
    def act_dates(self) -> list[dt.date]:
        return [a.date for r in self.records for a in r.acts]


def normalise_header(name: str) -> str:
    """``"Code médecin "`` -> ``code_medecin``: case, accents, spaces and hyphens do not matter."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[\s\-]+", "_", plain.strip().lower())


def decode(data: bytes) -> str:
    """UTF-8 (BOM allowed), else Windows-1252 as older spreadsheets save it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep])


# ------------------------------------------------------------------------ field parsers
# Each returns the value or raises ValueError with a message for the practice.


def parse_date(text: str) -> dt.date:
    """``2026-10-03``, ``03/10/2026`` or ``03.10.2026``."""
    match = _DAY_FIRST.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (write 2026-10-03 or 03/10/2026)") from None


def parse_datetime(text: str, zone: ZoneInfo) -> dt.datetime:
    """A date and a time (``2026-10-03 08:15``, ``03/10/2026 08:15``, ISO with offset).

    Without an offset the time is local to ``zone``; the offset is then written out so the
    file says exactly what the practice meant.
    """
    date_part, _, time_part = text.replace("T", " ", 1).partition(" ")
    if not time_part.strip():
        raise ValueError(f"{text!r} needs a time of sampling (write 2026-10-03 08:15)")
    try:
        day = parse_date(date_part)
        moment = dt.datetime.fromisoformat(f"{day.isoformat()}T{time_part.strip()}")
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time (write 2026-10-03 08:15)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_amount(text: str) -> Decimal:
    """``30.85``, ``30,85`` or ``€ 30,85``: at most two decimals, 0 to 99999999.99."""
    cleaned = text.replace("€", "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount (write 30.85 or 30,85)") from None
    if not value.is_finite() or value < 0 or value > Decimal("99999999.99"):
        raise ValueError(f"{text!r} is not an amount between 0 and 99999999.99")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} has more than two decimals")
    return value.quantize(Decimal("0.01"))


def parse_count(text: str, low: int, high: int) -> int:
    """A whole number between ``low`` and ``high``."""
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise ValueError(f"{text!r} is not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{value} is not between {low} and {high}")
    return value


def parse_digits(text: str, column: str) -> str:
    """A code of fixed length: matricule (13 digits), provider codes (8 digits)."""
    width = _DIGITS[column]
    if not re.fullmatch(r"[0-9]+", text):
        hint = " (format the column as text in the spreadsheet)" if re.search(r"[eE,.]", text) else ""
        raise ValueError(f"{text!r} must be {width} digits{hint}")
    if len(text) != width:
        raise ValueError(f"{text!r} must be {width} digits, not {len(text)}")
    return text


# ------------------------------------------------------------------------ reading


def read_billing(path: Path, convention: Convention | str, *, timezone: str, tariff: Tariff | None = None) -> Billing:
    """Reads the CSV at ``path``; raises :class:`CsvError` listing every problem found.

    ``tariff(code, date)`` gives the amount of one act when the montant cell is empty.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror or exc}", path=str(path)) from None
    return parse_billing(decode(data), Convention(convention), timezone=timezone, source=str(path), tariff=tariff)


def parse_billing(
    text: str, convention: Convention, *, timezone: str, source: str = "<csv>", tariff: Tariff | None = None
) -> Billing:
    """Parses CSV text in the layout of ``convention`` (see the module docstring)."""
    zone = ZoneInfo(timezone)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=_separator(first))
    header: list[str] | None = None
    problems: list[str] = []
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [normalise_header(cell) for cell in row]
            missing = [c for c in COLUMNS[convention] if c not in header and c not in OPTIONAL_COLUMNS]
            if missing:
                raise CsvError(
                    f"{source}: the header line lacks column(s) {', '.join(missing)}",
                    problems=[f"line {line}: missing column {c!r}" for c in missing]
                    + [f"expected for {convention}: {';'.join(COLUMNS[convention])}"],
                )
            continue
        values = dict.fromkeys(COLUMNS[convention], "")
        values.update({name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)})
        reference = values["reference"]
        if not _REFERENCE.match(reference):
            problems.append(f"line {line}: reference {reference!r} must be 1 to 35 of A-Z a-z 0-9 . _ / -")
            continue
        groups.setdefault(reference, []).append((line, values))
    if header is None:
        raise CsvError(f"{source}: the file is empty (expected a header line and one line per act)")
    if not groups and not problems:
        raise CsvError(f"{source}: no act lines after the header")

    records = []
    for reference, rows in groups.items():
        record = _record(convention, reference, rows, zone, problems, tariff)
        if record is not None:
            records.append(record)
    if len(records) > 100_000:
        problems.append(f"{len(records)} records: a file holds at most 100000 (split the CSV)")
    if problems:
        raise CsvError(f"{source}: {len(problems)} problem(s) in the CSV", problems=problems)
    return Billing(convention=convention, records=tuple(records))


def _record(
    convention: Convention,
    reference: str,
    rows: list[tuple[int, dict[str, str]]],
    zone: ZoneInfo,
    problems: list[str],
    tariff: Tariff | None,
) -> Record | None:
    """One record from its lines; appends problems and returns None when any is found."""
    before = len(problems)
    first_line, first = rows[0]
    for line, values in rows[1:]:
        for column in RECORD_COLUMNS[convention]:
            if values[column] != first[column]:
                problems.append(
                    f"line {line}: {column} {values[column]!r} differs from line {first_line} "
                    f"({first[column]!r}) for reference {reference}"
                )

    # Any: a parsed value, or None after a problem was recorded, in which case the record is
    # dropped below before its acts are used (the acts are still built, to count them)
    def field(column: str, parser: Callable[[str], Any], line: int, values: dict[str, str]) -> Any:
        text = values[column]
        if not text:
            problems.append(f"line {line}: {column} is empty")
            return None
        try:
            return parser(text)
        except ValueError as exc:
            problems.append(f"line {line}: {column}: {exc}")
            return None

    matricule = field("matricule", lambda t: parse_digits(t, "matricule"), first_line, first)
    physician = field("code_medecin", lambda t: parse_digits(t, "code_medecin"), first_line, first)
    prescribed_on = field("date_ordonnance", parse_date, first_line, first)
    spec = CONVENTIONS[convention]
    sessions = sampled_at = place = None
    if spec.prescribed_sessions:
        sessions = field("seances_prescrites", lambda t: parse_count(t, 1, 64), first_line, first)
    if spec.sampled:
        sampled_at = field("prelevement", lambda t: parse_datetime(t, zone), first_line, first)
        place = field("lieu", _place, first_line, first)

    acts = []
    for line, values in rows:
        code = field("code", lambda t: _code(convention, t), line, values)
        quantity = field("quantite", lambda t: parse_count(t, 1, 99), line, values)
        if spec.sampled:
            date: Any = sampled_at.date() if sampled_at else None  # the act date of every act
        else:
            date = field("date", parse_date, line, values)
        if values["montant"]:
            amount = field("montant", parse_amount, line, values)
        else:
            amount = _priced(code, quantity, date, tariff, line, problems)
        performer = field("executant", lambda t: parse_digits(t, "executant"), line, values) if spec.performer else None
        acts.append(Act(line=line, date=date, code=code, quantity=quantity, amount=amount, performer=performer))
    limit = spec.max_acts
    if len(acts) > limit:
        problems.append(
            f"line {rows[limit][0]}: reference {reference} has {len(acts)} acts; "
            f"a {convention} record holds at most {limit}"
        )
    if len(problems) > before:
        return None
    return Record(
        reference=reference,
        matricule=matricule,
        physician=physician,
        prescribed_on=prescribed_on,
        acts=tuple(acts),
        sessions_prescribed=sessions,
        sampled_at=sampled_at,
        place=place,
    )


def _priced(
    code: str | None, quantity: int | None, date: dt.date | None, tariff: Tariff | None, line: int, problems: list[str]
) -> Decimal | None:
    """tariff x quantity, rounded to the cent, for an empty montant cell."""
    if code is None or quantity is None or date is None:
        return None  # the cause is reported already
    price = tariff(code, date) if tariff is not None else None
    if price is None:
        problems.append(f"line {line}: montant is empty and {code} has no tariff on {date} in the nomenclature")
        return None
    return (price * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _place(text: str) -> str:
    value = text.upper()
    if value not in SAMPLING_PLACES:
        raise ValueError(f"{text!r} is not one of {', '.join(SAMPLING_PLACES)}")
    return value


def _code(convention: Convention, text: str) -> str:
    value = text.upper()
    pattern = CONVENTIONS[convention].act_code
    if not pattern.match(value):
        raise ValueError(f"{text!r} is not a {convention} act code ({pattern.pattern[1:-1]})")
    return value
