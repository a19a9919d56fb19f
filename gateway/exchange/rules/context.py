"""What every stage-4 rule may look at besides the record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from gateway.exchange.model import Finding
from gateway.exchange.references import Nomenclature
from gateway.exchange.rules.record import RecordView


@dataclass(frozen=True)
class RuleContext:
    """The file's convention and period, the day of receipt, the list in force that day."""

    convention: str
    start: dt.date
    end: dt.date
    day: dt.date
    nomenclature: Nomenclature


#: a record rule: every finding it has on one record
RecordRule = Callable[[RecordView, RuleContext], Iterator[Finding]]
