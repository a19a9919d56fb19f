"""Rules of one convention each: LAB-001 (home sampling), KIN-001 (sessions), DIE-001 (dietitian)."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.exchange.checks.messages import finding
from gateway.exchange.checks.model import Finding
from gateway.exchange.checks.rules.context import RuleContext, record_rule
from gateway.exchange.checks.rules.prescription import is_professional
from gateway.exchange.checks.rules.record import RecordView
from gateway.exchange.conventions import Convention

HOME_SAMPLING = "L0901"
HOME = "DOMICILE"


@record_rule(Convention.LAB)
def check_home_sampling(record: RecordView, context: RuleContext) -> Iterator[Finding]:
    """LAB-001: the home-sampling fee billed for a sampling made elsewhere."""
    if record.place == HOME:
        return
    for line in record.lines:
        if line.code.text == HOME_SAMPLING:
            yield finding("LAB-001", line=line.code.line, path=line.code.path, value=line.code.text, place=record.place)


@record_rule(Convention.KINE)
def check_sessions(record: RecordView, context: RuleContext) -> Iterator[Finding]:
    """KIN-001: more sessions billed than the prescription allows."""
    sessions = context.spec.session_code
    if record.prescribed_sessions is None or sessions is None:
        return
    billed = sum(line.quantity for line in record.lines if sessions.match(line.code.text))
    if billed > record.prescribed_sessions:
        yield finding(
            "KIN-001",
            line=record.line,
            path=record.path,
            value=str(billed),
            billed=billed,
            prescribed=record.prescribed_sessions,
        )


@record_rule(Convention.DIET)
def check_performer(record: RecordView, context: RuleContext) -> Iterator[Finding]:
    """DIE-001: an act performed by someone who is not a dietitian of the convention."""
    for line in record.lines:
        code = line.performer
        if code is not None and not is_professional(code.text, context.spec.prefix):
            yield finding("DIE-001", line=code.line, path=code.path, value=code.text)
