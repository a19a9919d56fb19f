"""What every stage-4 rule may look at besides the record, and how a rule says where it applies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from gateway.exchange.checks.model import Finding
from gateway.exchange.checks.references import Nomenclature, Tariff
from gateway.exchange.checks.rules.record import RecordView
from gateway.exchange.conventions import Convention, ConventionSpec, spec_of


@dataclass(frozen=True)
class RuleContext:
    """The file's convention and period, the day of receipt, the list in force that day.

    One per file: what it works out (the registry's record, the list's rows of each code and
    day) is worked out once for the file's records.
    """

    convention: str
    start: dt.date
    end: dt.date
    day: dt.date
    nomenclature: Nomenclature
    _rows: dict[tuple[str, dt.date], tuple[bool, Tariff | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def spec(self) -> ConventionSpec:
        """The registry's record of the file's convention."""
        return spec_of(self.convention)

    def lookup(self, code: str, day: dt.date) -> tuple[bool, Tariff | None]:
        """The list's answer for ``code`` on ``day`` in the file's convention (see Nomenclature.lookup)."""
        key = (code, day)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = self.nomenclature.lookup(self.convention, code, day)
        return found


#: what a record rule does: every finding it has on one record
RuleCheck = Callable[[RecordView, RuleContext], Iterator[Finding]]


@dataclass(frozen=True)
class RecordRule:
    """A stage-4 rule and the conventions it applies to (``None``: every convention)."""

    check: RuleCheck
    conventions: frozenset[Convention] | None = None

    def able_to_run(self, convention: str) -> bool:
        """True when the rule judges records of ``convention``."""
        return self.conventions is None or convention in self.conventions

    def __call__(self, record: RecordView, context: RuleContext) -> Iterator[Finding]:
        return self.check(record, context)


def record_rule(*conventions: Convention) -> Callable[[RuleCheck], RecordRule]:
    """Declares a rule; given conventions, it runs on their files only (as a plugin's ``able_to_run``)."""

    def declare(check: RuleCheck) -> RecordRule:
        return RecordRule(check, frozenset(conventions) if conventions else None)

    return declare
