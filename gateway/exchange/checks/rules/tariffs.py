"""NOM-001 to NOM-003, MNT-001 and MNT-002: codes, quantities and amounts against the list."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from gateway.exchange.checks.messages import Where, finding
from gateway.exchange.checks.model import Finding
from gateway.exchange.checks.references import Tariff
from gateway.exchange.checks.rules.context import RuleContext, record_rule
from gateway.exchange.checks.rules.record import RecordView

CENT = Decimal("0.01")
ZERO = Decimal("0")


@record_rule()
def check_tariffs(record: RecordView, context: RuleContext) -> Iterator[Finding]:
    """Per line NOM-001/NOM-002 or else MNT-001; per code NOM-003; per record MNT-002."""
    quantities: dict[str, int] = {}
    rows: dict[str, Tariff] = {}
    for line in record.lines:
        code = line.code
        quantities[code.text] = quantities.get(code.text, 0) + line.quantity
        if line.date is None:
            continue
        known, row = context.lookup(code.text, line.date)
        if row is None:  # the code is unknown (NOM-001) or not in force on the act's date (NOM-002)
            where: Where = {"line": code.line, "path": code.path, "value": code.text}
            if not known:
                yield finding("NOM-001", convention=context.convention, **where)
            else:
                yield finding("NOM-002", date=line.date.isoformat(), **where)
            continue
        rows.setdefault(code.text, row)
        expected = (row.tariff * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        if line.amount_decimal != expected:
            yield finding(
                "MNT-001",
                line=line.amount.line,
                path=line.amount.path,
                value=line.amount.text,
                tariff=f"{row.tariff:.2f}",
                quantity=line.quantity,
                expected=f"{expected:.2f}",
            )
    for code_text, quantity in quantities.items():
        row = rows.get(code_text)
        if row is not None and quantity > row.max_per_record:
            yield finding(
                "NOM-003",
                line=record.line,
                path=record.path,
                value=code_text,
                quantity=quantity,
                maximum=row.max_per_record,
            )
    expected_total = sum((line.amount_decimal for line in record.lines), ZERO)
    if record.amount != expected_total:
        yield finding(
            "MNT-002",
            line=record.total.line,
            path=record.total.path,
            value=record.total.text,
            expected=f"{expected_total:.2f}",
        )
