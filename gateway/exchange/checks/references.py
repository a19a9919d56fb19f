"""What files are judged with: the schema version registry and the nomenclature.

Both live in the schemas folder (``versions.toml``, ``*.xsd``, ``nomenclature*.csv``).
:class:`ReferenceStore` reads them once and rereads them when a file changes (an mtime check,
at most once a second); each check takes one immutable :class:`References` snapshot, so a
reload never changes a file half-way. Versions and lists carry the days they are in force:
a file is judged with those in force on its day of receipt.
"""

from __future__ import annotations

import csv
import datetime as dt
import threading
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from lxml import etree

from gateway.exchange.conventions import CODES
from gateway.exchange.errors import ExchangeError


class ReferenceError_(ExchangeError):
    """The schemas folder, the version registry or a nomenclature cannot be used."""

    code = "EXC-REF"
    exit_status = 2


@dataclass(frozen=True)
class SchemaVersion:
    """One accepted ``versionSchema`` of a convention, and the days it is accepted."""

    convention: str
    version: str
    path: Path
    namespace: str
    start: dt.date
    end: dt.date | None

    def accepted_on(self, day: dt.date) -> bool:
        """True when a file received on ``day`` may carry this version."""
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Tariff:
    """One row of the nomenclature."""

    convention: str
    code: str
    label: str
    tariff: Decimal
    max_per_record: int
    start: dt.date | None
    end: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        """True when an act on ``day`` may be billed under this row."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Nomenclature:
    """A published list: (convention, code) -> its rows (several when a tariff changed)."""

    start: dt.date
    rows: Mapping[tuple[str, str], tuple[Tariff, ...]]
    #: the list's published version (``version`` in versions.toml, else its first day), as forwarded
    version: str = ""

    def lookup(self, convention: str, code: str, day: dt.date) -> tuple[bool, Tariff | None]:
        """(code known at all, row valid on ``day`` or None)."""
        rows = self.rows.get((convention, code))
        if not rows:
            return False, None
        return True, next((r for r in rows if r.valid_on(day)), None)


@dataclass(frozen=True)
class References:
    """A consistent snapshot of the registry and the lists."""

    versions: tuple[SchemaVersion, ...]
    nomenclatures: tuple[Nomenclature, ...]

    def conventions_by_namespace(self) -> dict[str, str]:
        """Namespace -> convention, for every registered version."""
        return {v.namespace: v.convention for v in self.versions}

    def schema_for(self, convention: str, version: str, day: dt.date) -> SchemaVersion | None:
        """The entry accepting ``version`` of ``convention`` on ``day``, or None (XSD-003)."""
        return next(
            (v for v in self.versions if v.convention == convention and v.version == version and v.accepted_on(day)),
            None,
        )

    def default_schema(self, convention: str, day: dt.date) -> SchemaVersion | None:
        """The newest version accepted on ``day`` (used when ``versionSchema`` is missing)."""
        accepted = [v for v in self.versions if v.convention == convention and v.accepted_on(day)]
        candidates = accepted or [v for v in self.versions if v.convention == convention]
        return max(candidates, key=lambda v: tuple(int(p) for p in v.version.split(".") if p.isdigit()), default=None)

    def nomenclature_on(self, day: dt.date) -> Nomenclature:
        """The list in force on ``day`` (the earliest one before any is in force)."""
        in_force = [n for n in self.nomenclatures if n.start <= day]
        return max(in_force, key=lambda n: n.start) if in_force else min(self.nomenclatures, key=lambda n: n.start)


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ReferenceError_(f"{where}: expected a date (YYYY-MM-DD), got {value!r}")


def _optional_date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text.strip() else None


def read_nomenclature(path: Path, start: dt.date, version: str = "") -> Nomenclature:
    """Reads one list (columns of spec/exchange.md section 8)."""
    rows: dict[tuple[str, str], list[Tariff]] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    tariff = Tariff(
                        row["convention"].strip(),
                        row["code"].strip(),
                        row["label_fr"],
                        Decimal(row["tariff_eur"]),
                        int(row["max_per_record"]),
                        _optional_date(row["valid_from"] or ""),
                        _optional_date(row["valid_to"] or ""),
                    )
                except (KeyError, ValueError, ArithmeticError) as exc:
                    raise ReferenceError_(f"{path.name} line {number}: {exc}", path=str(path)) from None
                rows.setdefault((tariff.convention, tariff.code), []).append(tariff)
    except OSError as exc:
        raise ReferenceError_(f"cannot read {path}: {exc}", path=str(path)) from None
    return Nomenclature(start, {key: tuple(value) for key, value in rows.items()}, version or start.isoformat())


def _target_namespace(path: Path) -> str:
    try:
        for _, element in etree.iterparse(str(path), events=("start",), no_network=True, resolve_entities=False):
            return element.get("targetNamespace", "")
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ReferenceError_(f"cannot read schema {path}: {exc}", path=str(path)) from None
    return ""


def load_references(schemas_dir: Path) -> References:
    """Reads ``versions.toml`` and everything it names; raises ReferenceError_ when unusable."""
    registry = schemas_dir / "versions.toml"
    try:
        raw = tomllib.loads(registry.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReferenceError_(f"cannot read {registry}: {exc}", path=str(registry)) from None
    versions = []
    for i, entry in enumerate(raw.get("schema", [])):
        where = f"{registry.name} schema[{i}]"
        try:
            if entry["convention"] not in CODES:
                raise ReferenceError_(
                    f"{where}: convention {entry['convention']!r} is not in the registry "
                    f"({', '.join(CODES)}; gateway/exchange/conventions.py)"
                )
            path = schemas_dir / entry["file"]
            versions.append(
                SchemaVersion(
                    entry["convention"],
                    str(entry["version"]),
                    path,
                    _target_namespace(path),
                    _date(entry["from"], where),
                    _date(entry["until"], where) if "until" in entry else None,
                )
            )
        except KeyError as exc:
            raise ReferenceError_(f"{where}: missing {exc}") from None
    lists = []
    for i, entry in enumerate(raw.get("nomenclature", [])):
        where = f"{registry.name} nomenclature[{i}]"
        if "file" not in entry or "from" not in entry:
            raise ReferenceError_(f"{where}: needs file and from")
        lists.append(
            read_nomenclature(schemas_dir / entry["file"], _date(entry["from"], where), str(entry.get("version", "")))
        )
    if not versions or not lists:
        raise ReferenceError_(f"{registry} names no schema or no nomenclature")
    return References(tuple(versions), tuple(lists))


class ReferenceStore:
    """Holds the current :class:`References`, rereading them when their files change."""

    def __init__(self, schemas_dir: Path, *, recheck_seconds: float = 1.0) -> None:
        self.schemas_dir = Path(schemas_dir)
        self._recheck = recheck_seconds
        self._lock = threading.Lock()
        self._stamp = self._mtimes()
        self._current = load_references(self.schemas_dir)
        self._checked = time.monotonic()

    def _mtimes(self) -> tuple[tuple[str, int], ...]:
        stamps = []
        for path in sorted(self.schemas_dir.glob("*")):
            if path.suffix in {".toml", ".xsd", ".csv"}:
                try:
                    stamps.append((path.name, path.stat().st_mtime_ns))
                except OSError:
                    continue
        return tuple(stamps)

    def current(self) -> References:
        """The snapshot to judge one file with (reloaded first if a file changed)."""
        now = time.monotonic()
        if now - self._checked < self._recheck:
            return self._current
        with self._lock:
            if now - self._checked >= self._recheck:
                self._checked = now
                stamp = self._mtimes()
                if stamp != self._stamp:
                    # A broken edit keeps the previous snapshot in force rather than stopping checks.
                    try:
                        self._current = load_references(self.schemas_dir)
                        self._stamp = stamp
                    except ReferenceError_ as exc:
                        # imported here: structlog costs 16 MiB, and a checking process needs it only now
                        from gateway.logs import get_logger

                        get_logger(__name__).error(
                            "schemas folder unusable; keeping the previous references", error=str(exc)
                        )
            return self._current
