"""Rules of one convention: LAB-001 (home sampling), KIN-001 (sessions), DIE-001 (dietitian)."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.exchange.messages import finding
from gateway.exchange.model import Finding
from gateway.exchange.rules.context import RuleContext
from gateway.exchange.rules.dates import SESSION_CODE
from gateway.exchange.rules.record import RecordView
from gateway.exchange.rules.prescription import is_professional
from gateway.identifiers import Profession

HOME_SAMPLING = "L0901"


def check_convention(record: RecordView, context: RuleContext) -> Iterator[Finding]:
    """The rule of the file's convention."""
    if context.convention == "LAB" and record.place != "DOMICILE":
        for line in record.lines:
            if line.code.text == HOME_SAMPLING:
                yield finding("LAB-001", line=line.code.line, path=line.code.path, value=line.code.text,
                              place=record.place)
    elif context.convention == "KINE" and record.prescribed_sessions is not None:
        billed = sum(line.quantity for line in record.lines if SESSION_CODE.match(line.code.text))
        if billed > record.prescribed_sessions:
            yield finding("KIN-001", line=record.line, path=record.path, value=str(billed), billed=billed,
                          prescribed=record.prescribed_sessions)
    elif context.convention == "DIET":
        for line in record.lines:
            code = line.performer
            if code is not None and not is_professional(code.text, Profession.DIET):
                yield finding("DIE-001", line=code.line, path=code.path, value=code.text)
