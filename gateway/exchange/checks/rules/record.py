"""One record as the stage-4 rules see it: values as written, with their lines and paths.

:func:`read_record` reads a schema-valid ``Enregistrement`` element of any convention into a
:class:`RecordView`; the element itself is dropped right after the rules ran.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from gateway.exchange.checks.model import ActKey
from gateway.exchange.checks.rules.values import parse_date, parse_decimal, parse_int
from gateway.exchange.checks.xmlsafe import line_of
from gateway.exchange.conventions import spec_of


@dataclass(frozen=True)
class Value:
    """A value as written, where it is (its element, for the line, and its path)."""

    text: str
    element: etree._Element
    path: str

    @property
    def line(self) -> int | None:
        """Only asked for when a rule fires, while the record's element is still whole."""
        return line_of(self.element)


@dataclass(frozen=True)
class ActLine:
    """One act element of the convention (``Seance``, ...)."""

    index: int
    path: str
    #: the act date as written and where (a sampled convention: Prelevement/@dateHeure)
    date_value: Value
    date: dt.date | None
    code: Value
    quantity: int
    amount: Value
    performer: Value | None = None

    @property
    def amount_decimal(self) -> Decimal:
        """Montant as a decimal."""
        return parse_decimal(self.amount.text) or Decimal("0")


@dataclass(frozen=True)
class RecordView:
    """A schema-valid record of one file."""

    position: int
    path: str
    line: int | None
    id: str
    reference: str
    matricule: Value
    physician: Value
    prescribed: Value
    prescribed_sessions: int | None
    place: str | None
    lines: tuple[ActLine, ...]
    total: Value

    @property
    def amount(self) -> Decimal:
        """MontantEnregistrement as a decimal."""
        return parse_decimal(self.total.text) or Decimal("0")

    def act_keys(self, intern: dict[str, str] | None = None) -> tuple[ActKey, ...]:
        """Distinct (matricule, code, date) of the record's acts, in file order.

        ``intern`` shares one string per code and date across a file's records (memory).
        """
        shared = intern if intern is not None else {}
        keys = dict.fromkeys(
            ActKey(
                self.matricule.text,
                shared.setdefault(line.code.text, line.code.text),
                shared.setdefault(iso := line.date.isoformat(), iso),
            )
            for line in self.lines
            if line.date is not None
        )
        return tuple(keys)


def _value(element: etree._Element, path: str) -> Value:
    return Value((element.text or "").strip(), element, path)


def read_record(element: etree._Element, convention: str, position: int) -> RecordView:
    """The view of a record element that passed the schema.

    The schema fixes the order of every child, so they are taken by position (comments and
    processing instructions are not kept by the parser).
    """
    path = f"/Facturation/Enregistrement[{position}]"
    children = list(element)
    matricule, ordonnance, total = children[0], children[1], children[-1]
    prescription = list(ordonnance)
    spec = spec_of(convention)
    if spec.sampled:
        sampling = children[2]
        sampled = Value(sampling.get("dateHeure", ""), sampling, f"{path}/Prelevement/@dateHeure")
        place = sampling.get("lieu")
        lines = children[3:-1]
    else:
        sampled, place, lines = None, None, children[2:-1]
    line_name = spec.act_element
    acts = []
    for index, line in enumerate(lines, start=1):
        line_path = f"{path}/{line_name}[{index}]"
        parts = list(line)
        if sampled is not None:
            date_value, rest = sampled, parts
        else:
            date_value, rest = _value(parts[0], f"{line_path}/Date"), parts[1:]
        code, quantity, amount = rest[0], rest[1], rest[2]
        acts.append(
            ActLine(
                index=index,
                path=line_path,
                date_value=date_value,
                date=parse_date(date_value.text[:10]),
                code=_value(code, f"{line_path}/Code"),
                quantity=parse_int(quantity.text) or 0,
                amount=_value(amount, f"{line_path}/Montant"),
                performer=_value(rest[3], f"{line_path}/CodePrestataireExecutant") if len(rest) > 3 else None,
            )
        )
    return RecordView(
        position=position,
        path=path,
        line=line_of(element),
        id=element.get("id", "").strip(),
        reference=element.get("reference", ""),
        matricule=_value(matricule, f"{path}/Matricule"),
        physician=_value(prescription[0], f"{path}/Ordonnance/CodeMedecin"),
        prescribed=_value(prescription[1], f"{path}/Ordonnance/DateOrdonnance"),
        prescribed_sessions=parse_int(prescription[2].text) if len(prescription) > 2 else None,
        place=place,
        lines=tuple(acts),
        total=_value(total, f"{path}/MontantEnregistrement"),
    )
