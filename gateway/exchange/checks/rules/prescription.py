"""PRE-001: the prescribing physician's code (prefix 10 and Luhn check digit)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from gateway.exchange.checks.messages import finding
from gateway.exchange.checks.model import Finding
from gateway.exchange.checks.rules.context import RuleContext, record_rule
from gateway.exchange.checks.rules.record import RecordView
from gateway.identifiers import Profession, is_valid_provider_code


@lru_cache(maxsize=4096)
def is_professional(code: str, prefix: str) -> bool:
    """True when ``code`` is a valid provider code with profession ``prefix`` (and its check digit)."""
    return code.startswith(prefix) and is_valid_provider_code(code)


PHYSICIAN = Profession.PHYSICIAN.value


@record_rule()
def check_physician(record: RecordView, context: RuleContext) -> Iterator[Finding]:
    """PRE-001 when CodeMedecin is not a valid physician code."""
    code = record.physician
    if not is_professional(code.text, PHYSICIAN):
        yield finding("PRE-001", line=code.line, path=code.path, value=code.text)
