"""Builds valid request files: for the documented examples, the tests and the benchmark.

:func:`build_request` returns the bytes of a file that passes every check when given the
defaults; its arguments move it to where a test needs it. Amounts come from the shipped
nomenclature's tariffs, matricules and provider codes carry correct check digits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import quoteattr

from gateway.exchange.conventions import CONVENTIONS, Convention, spec_of
from gateway.identifiers import luhn_check_digit, verhoeff_check_digit

NAMESPACES = {spec.code: spec.namespace for spec in CONVENTIONS.values()}
#: the uploader of each convention's samples: its demo provider
PROVIDERS = {spec.code: spec.demo.code for spec in CONVENTIONS.values() if spec.demo is not None}
PHYSICIAN = "10042117"
DIETITIAN = "47003116"
#: tariffs of the codes the samples use (schemas/nomenclature.csv)
TARIFFS = {
    "L0101": Decimal("9.85"),
    "L0201": Decimal("2.10"),
    "L0901": Decimal("7.50"),
    "K101": Decimal("30.85"),
    "K201": Decimal("35.60"),
    "D102": Decimal("35.00"),
}


def make_matricule(birth: dt.date, serial: int) -> str:
    """A valid matricule for ``birth`` and a 3-digit ``serial``."""
    body = f"{birth:%Y%m%d}{serial % 1000:03d}"
    return f"{body}{luhn_check_digit(body)}{verhoeff_check_digit(body)}"


@dataclass(frozen=True)
class Act:
    """One billed act: code, quantity, date (None: the record's default) and amount."""

    code: str
    quantity: int = 1
    date: dt.date | None = None
    amount: Decimal | None = None
    performer: str = DIETITIAN


@dataclass(frozen=True)
class Record:
    """One ``Enregistrement``; ``total`` None means the sum of the act amounts."""

    id: str
    reference: str
    matricule: str = "1893120105732"
    physician: str = PHYSICIAN
    prescribed_on: dt.date = dt.date(2026, 10, 1)
    acts: Sequence[Act] = ()
    prescribed_sessions: int = 9
    sampled_at: str = "2026-10-03T08:15:00+02:00"
    place: str = "LABO"
    total: Decimal | None = None

    def act_amount(self, act: Act) -> Decimal:
        """The act's amount: given, else tariff × quantity."""
        return act.amount if act.amount is not None else TARIFFS.get(act.code, Decimal("1.00")) * act.quantity

    def amount(self) -> Decimal:
        """MontantEnregistrement: given, else the sum of the acts."""
        return self.total if self.total is not None else sum((self.act_amount(a) for a in self.acts), Decimal("0"))


DEFAULT_ACTS = {
    Convention.LAB: (Act("L0101"), Act("L0201")),
    Convention.KINE: (Act("K101"), Act("K101", date=dt.date(2026, 10, 7))),
    Convention.DIET: (Act("D102"),),
}


def default_record(convention: str, index: int) -> Record:
    """A valid record of ``convention`` numbered ``index`` (distinct matricules)."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=index % 20000)
    return Record(
        id=str(index),
        reference=f"INV-{index:06d}",
        matricule=make_matricule(birth, index // 20000),
        acts=DEFAULT_ACTS[convention],
    )


@dataclass(frozen=True)
class Header:
    """The ``Entete`` values; None totals are computed from the records."""

    convention: str = Convention.KINE.value
    provider: str | None = None
    sequence: int = 1
    id_fichier: str = "3f1c6a0e-8d2b-4c57-9a43-0b7e5f2d1c88"
    created: str = "2026-11-15T09:30:00+01:00"
    start: dt.date = dt.date(2026, 10, 1)
    end: dt.date = dt.date(2026, 10, 31)
    mode: str = "PRODUCTION"
    count: int | None = None
    total: Decimal | None = None
    version: str = "1.0"
    extra_root: str = ""
    software: tuple[str, str] = ("KineSoft", "3.2")

    @property
    def code(self) -> str:
        """CodePrestataire: given, else the sample provider of the convention."""
        return self.provider or PROVIDERS[self.convention]


def file_name(
    convention: str = Convention.KINE.value,
    provider: str | None = None,
    sequence: int = 1,
    stamp: str = "20261115093000",
) -> str:
    """The section 2 name for these values."""
    return f"{convention}_FACT_{provider or PROVIDERS[convention]}_{stamp}_{sequence:06d}.xml"


def _act_xml(convention: str, record: Record, act: Act) -> str:
    amount = record.act_amount(act)
    date = act.date or dt.date(2026, 10, 3)
    spec = spec_of(convention)
    dated = "" if spec.sampled else f"<Date>{date.isoformat()}</Date>"
    performer = f"<CodePrestataireExecutant>{act.performer}</CodePrestataireExecutant>" if spec.performer else ""
    return (
        f"    <{spec.act_element}>{dated}<Code>{act.code}</Code><Quantite>{act.quantity}</Quantite>"
        f"<Montant>{amount:.2f}</Montant>{performer}</{spec.act_element}>\n"
    )


def record_xml(convention: str, record: Record) -> str:
    """The XML of one record (indented as in the spec's examples)."""
    parts = [
        f"  <Enregistrement id={quoteattr(record.id)} reference={quoteattr(record.reference)}>\n",
        f"    <Matricule>{record.matricule}</Matricule>\n",
        f"    <Ordonnance>\n      <CodeMedecin>{record.physician}</CodeMedecin>\n"
        f"      <DateOrdonnance>{record.prescribed_on.isoformat()}</DateOrdonnance>\n",
    ]
    spec = spec_of(convention)
    if spec.prescribed_sessions:
        parts.append(f"      <NombreSeancesPrescrites>{record.prescribed_sessions}</NombreSeancesPrescrites>\n")
    parts.append("    </Ordonnance>\n")
    if spec.sampled:
        parts.append(f"    <Prelevement dateHeure={quoteattr(record.sampled_at)} lieu={quoteattr(record.place)}/>\n")
    parts.extend(_act_xml(convention, record, act) for act in record.acts)
    parts.append(f"    <MontantEnregistrement>{record.amount():.2f}</MontantEnregistrement>\n  </Enregistrement>\n")
    return "".join(parts)


def header_xml(header: Header, count: int, total: Decimal) -> str:
    """The root start tag and the ``Entete``."""
    nom, version = header.software
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Facturation xmlns="{NAMESPACES[header.convention]}" versionSchema="{header.version}"{header.extra_root}>\n'
        f"  <Entete>\n"
        f"    <IdFichier>{header.id_fichier}</IdFichier>\n"
        f"    <NumeroSequence>{header.sequence}</NumeroSequence>\n"
        f"    <Convention>{header.convention}</Convention>\n"
        f"    <TypeFichier>FACT</TypeFichier>\n"
        f"    <CodePrestataire>{header.code}</CodePrestataire>\n"
        f"    <DateCreation>{header.created}</DateCreation>\n"
        f'    <Periode debut="{header.start.isoformat()}" fin="{header.end.isoformat()}"/>\n'
        f"    <Mode>{header.mode}</Mode>\n"
        f"    <Logiciel nom={quoteattr(nom)} version={quoteattr(version)}/>\n"
        f"    <NombreEnregistrements>{header.count if header.count is not None else count}</NombreEnregistrements>\n"
        f"    <MontantTotal>{(header.total if header.total is not None else total):.2f}</MontantTotal>\n"
        f"  </Entete>\n"
    )


def build_request(header: Header | None = None, records: Iterable[Record] | None = None) -> bytes:
    """A whole request file; by default one valid record of the header's convention."""
    header = header or Header()
    records = list(records) if records is not None else [default_record(header.convention, 1)]
    total = sum((r.amount() for r in records), Decimal("0"))
    body = "".join(record_xml(header.convention, r) for r in records)
    return (header_xml(header, len(records), total) + body + "</Facturation>\n").encode("utf-8")


def build_sized(convention: str, target_bytes: int, header: Header | None = None) -> bytes:
    """A valid file of about ``target_bytes`` (records of distinct matricules), for the benchmark."""
    header = header or Header(convention=convention, id_fichier=str(uuid.UUID(int=target_bytes)))
    one = len(record_xml(convention, default_record(convention, 99_999)).encode())  # the longest ids
    count = max(1, min(100_000, (target_bytes - 700) // one))
    return build_request(header, (default_record(convention, i) for i in range(1, count + 1)))
