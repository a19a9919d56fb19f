"""The exchange conventions (spec/exchange.md sections 2, 3 and 5): one frozen record each.

Everything that differs between conventions is stated here once, and the rest of the tree
asks: the file-name pattern, the elements that repeat in a path, how a record is read, the
date rules, the client's CSV layout, the demo accounts and the lists shown in the web. Rules
that hold for one convention only declare the conventions they apply to
(:func:`gateway.exchange.checks.rules.context.record_rule`). A convention's schema and nomenclature
are references (``schemas/versions.toml``, ``schemas/nomenclature.csv``), not code.

This module imports nothing from the gateway so that every layer, down to
:mod:`gateway.identifiers`, may ask it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Convention(StrEnum):
    """An exchange convention; its value is the word of file names and ``Entete/Convention``."""

    LAB = "LAB"
    KINE = "KINE"
    DIET = "DIET"


@dataclass(frozen=True)
class DemoProvider:
    """The demo account of a convention (valid code of section 5), also the samples' uploader."""

    code: str
    name: str


@dataclass(frozen=True)
class ConventionSpec:
    """What one convention's files look like and how they are judged."""

    convention: Convention
    #: two-digit prefix of its providers' codes (section 5)
    prefix: str
    #: target namespace of its schemas (section 3)
    namespace: str
    #: the element of one act: repeated in a record, so positioned in paths (section 6)
    act_element: str
    #: most acts in one record (the schema's maxOccurs; the client checks it before building)
    max_acts: int
    #: pattern of its act codes (nomenclature), as the client checks a CSV cell
    act_code: re.Pattern[str]
    #: DAT-004: days after the prescription within which acts are expected
    prescription_days: int
    #: acts are dated by the record's ``Prelevement/@dateHeure`` (placed after ``Ordonnance``)
    #: instead of a ``Date`` in each act
    sampled: bool = False
    #: the prescription states ``NombreSeancesPrescrites``
    prescribed_sessions: bool = False
    #: the act codes that are sessions proper: DAT-004 judges only the first of them, KIN-001
    #: counts them (None: DAT-004 judges every act)
    session_code: re.Pattern[str] | None = None
    #: each act names its performer in ``CodePrestataireExecutant``
    performer: bool = False
    demo: DemoProvider | None = None

    @property
    def code(self) -> str:
        """The convention's word (``LAB``)."""
        return self.convention.value

    @property
    def csv_record_columns(self) -> tuple[str, ...]:
        """CSV columns describing the record: equal on every line of one reference."""
        columns = ["matricule", "code_medecin", "date_ordonnance"]
        if self.prescribed_sessions:
            columns.append("seances_prescrites")
        if self.sampled:
            columns += ["prelevement", "lieu"]
        return tuple(columns)

    @property
    def csv_columns(self) -> tuple[str, ...]:
        """The client's CSV columns, in the order of the documented layout."""
        act = ["code", "quantite", "montant"] if self.sampled else ["date", "code", "quantite", "montant"]
        if self.performer:
            act.append("executant")
        return ("reference", *self.csv_record_columns, *act)


CONVENTIONS: dict[Convention, ConventionSpec] = {
    spec.convention: spec
    for spec in (
        ConventionSpec(
            Convention.LAB,
            prefix="31",
            namespace="urn:cns:echange:lab:1",
            act_element="Analyse",
            max_acts=200,
            act_code=re.compile(r"^L[0-9]{4}$"),
            prescription_days=90,
            sampled=True,
            demo=DemoProvider("31000425", "Demo laboratory"),
        ),
        ConventionSpec(
            Convention.KINE,
            prefix="45",
            namespace="urn:cns:echange:kine:1",
            act_element="Seance",
            max_acts=64,
            act_code=re.compile(r"^K[0-9]{3}$"),
            prescription_days=60,
            prescribed_sessions=True,
            session_code=re.compile(r"^K[1-3][0-9]{2}$"),  # K1xx to K3xx
            demo=DemoProvider("45001237", "Demo physiotherapy practice"),
        ),
        ConventionSpec(
            Convention.DIET,
            prefix="47",
            namespace="urn:cns:echange:diet:1",
            act_element="Consultation",
            max_acts=32,
            act_code=re.compile(r"^D[0-9]{3}$"),
            prescription_days=365,
            performer=True,
            demo=DemoProvider("47000070", "Demo dietitian practice"),
        ),
    )
}
#: the conventions' words, in the registry's order
CODES: tuple[str, ...] = tuple(c.value for c in CONVENTIONS)


def spec_of(convention: Convention | str) -> ConventionSpec:
    """The record of ``convention``; raises ``ValueError`` for a word that is not one."""
    return CONVENTIONS[Convention(convention)]


def listing(words: tuple[str, ...] = CODES, last: str = "or") -> str:
    """``LAB, KINE or DIET``: words for a help text."""
    return f"{', '.join(words[:-1])} {last} {words[-1]}" if len(words) > 1 else "".join(words)


#: ``<CONVENTION>_FACT_<code>_<YYYYMMDDhhmmss>_<sequence>.xml`` (section 2): groups convention,
#: provider code, stamp, sequence. The server checks uploads by it (FIC-001), the client its files.
REQUEST_NAME = re.compile(
    rf"^({'|'.join(re.escape(code) for code in CODES)})_FACT_([0-9]{{8}})_([0-9]{{14}})_([0-9]{{6}})\.xml$"
)
