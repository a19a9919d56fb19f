"""One record as the stage-4 rules see it: values as written, with their lines and paths.

:func:`read_record` reads a schema-valid ``Enregistrement`` element of any convention into a
:class:`RecordView`; the element itself is dropped right after the rules ran. How a record
is read depends on its convention only, so each convention's :class:`RecordReader` is
worked out once from the registry (:func:`reader_for`).

The views are named tuples: a file may hold 100,000 records of up to 200 acts, and building
a tuple costs a fraction of a frozen dataclass.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache, partial
from typing import NamedTuple

from lxml import etree

from gateway.exchange.checks.model import ActKey
from gateway.exchange.checks.rules.values import parse_date, parse_decimal, parse_int
from gateway.exchange.checks.xmlsafe import line_of
from gateway.exchange.conventions import spec_of

_ZERO = Decimal("0")


class Value(NamedTuple):
    """A value as written, where it is (its element, for the line, and what its path is made of)."""

    text: str
    element: etree._Element
    #: the path of the record or act the value belongs to
    owner: str
    #: the rest of the value's path, from its owner (``/Code``)
    name: str

    @property
    def line(self) -> int | None:
        """Only asked for when a rule fires, while the record's element is still whole."""
        return line_of(self.element)

    @property
    def path(self) -> str:
        """Only asked for when a rule fires: a record's dozen paths are not joined for nothing."""
        return self.owner + self.name


class ActLine(NamedTuple):
    """One act element of the convention (``Seance``, ...)."""

    # the act's position: a field named like tuple.index, which no ActLine caller uses
    index: int  # type: ignore[assignment]
    path: str
    #: the act date as written and where (a sampled convention: Prelevement/@dateHeure)
    date_value: Value
    date: dt.date | None
    code: Value
    quantity: int
    amount: Value
    performer: Value | None = None
    #: Montant as a decimal (read once: the tariff rule and the record's total both need it)
    amount_decimal: Decimal = _ZERO


class RecordView(NamedTuple):
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
    #: MontantEnregistrement as a decimal
    amount: Decimal = _ZERO

    def act_keys(self, intern: dict[object, str] | None = None) -> tuple[ActKey, ...]:
        """Distinct (matricule, code, date) of the record's acts, in file order.

        ``intern`` shares one string per code and date across a file's records (memory), and
        spares formatting a date already seen.
        """
        shared = intern if intern is not None else {}
        matricule = self.matricule.text
        keys: dict[ActKey, None] = {}
        for line in self.lines:
            date = line.date
            if date is None:
                continue
            code = line.code.text
            iso = shared.get(date)
            if iso is None:
                iso = date.isoformat()
                iso = shared[date] = shared.setdefault(iso, iso)
            keys[ActKey(matricule, shared.setdefault(code, code), iso)] = None
        return tuple(keys)


#: builds a named tuple from a plain one without the Python frame of its ``__new__``
#: (a record builds a dozen of them)
_value_of = partial(tuple.__new__, Value)
_act_of = partial(tuple.__new__, ActLine)
_record_of = partial(tuple.__new__, RecordView)


def _value(element: etree._Element, owner: str, name: str) -> Value:
    return _value_of(((element.text or "").strip(), element, owner, name))


class RecordReader:
    """How records of one convention are read: what the registry says, looked up once."""

    def __init__(self, convention: str) -> None:
        spec = spec_of(convention)
        self.sampled = spec.sampled
        self.act_element = spec.act_element

    def read(self, element: etree._Element, position: int) -> RecordView:
        """The view of a record element that passed the schema.

        The schema fixes the order of every child, so they are taken by position (comments and
        processing instructions are not kept by the parser).
        """
        path = f"/Facturation/Enregistrement[{position}]"
        children = list(element)
        matricule, ordonnance, total = children[0], children[1], children[-1]
        prescription = list(ordonnance)
        if self.sampled:
            sampling = children[2]
            sampled = _value_of((sampling.get("dateHeure", ""), sampling, path, "/Prelevement/@dateHeure"))
            place = sampling.get("lieu")
            lines = children[3:-1]
            sampled_date = parse_date(sampled.text[:10])
        else:
            sampled, place, lines, sampled_date = None, None, children[2:-1], None
        line_name = f"{path}/{self.act_element}["
        acts = []
        for index, line in enumerate(lines, start=1):
            line_path = f"{line_name}{index}]"
            parts = list(line)
            if sampled is not None:
                date_value, date, rest = sampled, sampled_date, parts
            else:
                date_value = _value(parts[0], line_path, "/Date")
                date, rest = parse_date(date_value.text[:10]), parts[1:]
            amount = _value(rest[2], line_path, "/Montant")
            acts.append(
                _act_of(
                    (
                        index,
                        line_path,
                        date_value,
                        date,
                        _value(rest[0], line_path, "/Code"),
                        parse_int(rest[1].text) or 0,
                        amount,
                        _value(rest[3], line_path, "/CodePrestataireExecutant") if len(rest) > 3 else None,
                        parse_decimal(amount.text) or _ZERO,
                    )
                )
            )
        total_value = _value(total, path, "/MontantEnregistrement")
        return _record_of(
            (
                position,
                path,
                line_of(element),
                element.get("id", "").strip(),
                element.get("reference", ""),
                _value(matricule, path, "/Matricule"),
                _value(prescription[0], path, "/Ordonnance/CodeMedecin"),
                _value(prescription[1], path, "/Ordonnance/DateOrdonnance"),
                parse_int(prescription[2].text) if len(prescription) > 2 else None,
                place,
                tuple(acts),
                total_value,
                parse_decimal(total_value.text) or _ZERO,
            )
        )


@cache
def reader_for(convention: str) -> RecordReader:
    """The reader of ``convention``'s records (one per convention, built on first use)."""
    return RecordReader(convention)


def read_record(element: etree._Element, convention: str, position: int) -> RecordView:
    """The view of a record element of ``convention`` that passed the schema."""
    return reader_for(convention).read(element, position)
