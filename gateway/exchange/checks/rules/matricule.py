"""MAT-002 to MAT-005: the matricule's birth date and check digits (section 5)."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.exchange.checks.messages import Where, finding
from gateway.exchange.checks.model import Finding
from gateway.exchange.checks.rules.context import RuleContext, record_rule
from gateway.exchange.checks.rules.record import RecordView
from gateway.identifiers import matricule_birth_date, matricule_problems


@record_rule()
def check_matricule(record: RecordView, context: RuleContext) -> Iterator[Finding]:
    """MAT-002 (birth date), MAT-003 (Luhn), MAT-004 (Verhoeff), MAT-005 (born after the act)."""
    value = record.matricule
    where: Where = {"line": value.line, "path": value.path, "value": value.text}
    for code, _ in matricule_problems(value.text):
        if code != "MAT-001":  # the schema already refuses anything but 13 digits
            yield finding(code, **where)
    birth = matricule_birth_date(value.text)
    dates = [line.date for line in record.lines if line.date is not None]
    if birth is not None and dates and birth > min(dates):
        yield finding("MAT-005", birth=birth.isoformat(), act=min(dates).isoformat(), **where)
