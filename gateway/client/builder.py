"""Request files from a :class:`Billing`: the XML of spec section 3 and the name of section 2.

Elements are written in the order of the spec's examples, every amount with two decimals,
records numbered 1..n in CSV order. The builder checks nothing: ``make`` runs the server's
own checks on what it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from lxml import etree

from gateway.client.csvlayout import Billing, Convention, Record
from gateway.exchange.checks.model import Mode
from gateway.exchange.conventions import CONVENTIONS

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Header:
    """What the ``Entete`` says beyond the records' counts and totals."""

    id_fichier: str
    sequence: int
    provider_code: str
    #: aware; written with its offset, and (in local time) in the file name
    created_at: dt.datetime
    period_start: dt.date
    period_end: dt.date
    mode: Mode
    software_name: str
    software_version: str


def request_name(convention: Convention | str, provider_code: str, created_at: dt.datetime, sequence: int) -> str:
    """``<CONVENTION>_FACT_<code>_<YYYYMMDDhhmmss>_<sequence6>.xml`` (spec section 2)."""
    return f"{convention}_FACT_{provider_code}_{created_at:%Y%m%d%H%M%S}_{sequence:06d}.xml"


def money(value: Decimal) -> str:
    """An amount as the schema wants it: two decimals, point separator."""
    return f"{value.quantize(Decimal('0.01')):.2f}"


def build_request(billing: Billing, header: Header) -> bytes:
    """The request file's bytes: UTF-8 XML with declaration, indented for people reading it."""
    ns = CONVENTIONS[billing.convention].namespace

    def el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        node = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    root = etree.Element(f"{{{ns}}}Facturation", {"versionSchema": SCHEMA_VERSION}, nsmap={None: ns})
    entete = el(root, "Entete")
    el(entete, "IdFichier", header.id_fichier)
    el(entete, "NumeroSequence", str(header.sequence))
    el(entete, "Convention", str(billing.convention))
    el(entete, "TypeFichier", "FACT")
    el(entete, "CodePrestataire", header.provider_code)
    el(entete, "DateCreation", header.created_at.isoformat(timespec="seconds"))
    el(entete, "Periode", debut=header.period_start.isoformat(), fin=header.period_end.isoformat())
    el(entete, "Mode", str(header.mode))
    el(entete, "Logiciel", nom=header.software_name, version=header.software_version)
    el(entete, "NombreEnregistrements", str(len(billing.records)))
    el(entete, "MontantTotal", money(billing.amount))
    for number, record in enumerate(billing.records, start=1):
        _record(el, root, billing.convention, number, record)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _Append(Protocol):
    """``build_request``'s ``el``: appends one element in the convention's namespace."""

    def __call__(self, parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element: ...


def _record(el: _Append, root: etree._Element, convention: Convention, number: int, record: Record) -> None:
    node = el(root, "Enregistrement", id=str(number), reference=record.reference)
    el(node, "Matricule", record.matricule)
    prescription = el(node, "Ordonnance")
    el(prescription, "CodeMedecin", record.physician)
    el(prescription, "DateOrdonnance", record.prescribed_on.isoformat())
    spec = CONVENTIONS[convention]
    if spec.prescribed_sessions:
        el(prescription, "NombreSeancesPrescrites", str(record.sessions_prescribed))
    if spec.sampled:
        assert record.sampled_at is not None and record.place is not None, "a sampled record has its sampling"
        el(node, "Prelevement", dateHeure=record.sampled_at.isoformat(timespec="seconds"), lieu=record.place)
    for act in record.acts:
        line = el(node, spec.act_element)
        if not spec.sampled:  # a sampled act's date is the sampling's
            el(line, "Date", act.date.isoformat())
        el(line, "Code", act.code)
        el(line, "Quantite", str(act.quantity))
        el(line, "Montant", money(act.amount))
        if spec.performer:
            el(line, "CodePrestataireExecutant", act.performer)
    el(node, "MontantEnregistrement", money(record.amount))
