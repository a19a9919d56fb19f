"""Stage 4: every rule on every record (MAT, PRE, DAT, NOM, MNT, LAB, KIN, DIE, DUP-001).

Records are judged as the pass streams them by (only while the file is still schema-valid),
so what stays in memory per record is its compact result.
"""

from __future__ import annotations

from lxml import etree

from gateway.exchange.checks.messages import CATALOGUE, finding
from gateway.exchange.checks.model import Finding, Mode, RecordResult, RecordStatus
from gateway.exchange.checks.rules.context import RuleContext
from gateway.exchange.checks.rules.stage4 import RecordPlan, plan_for, record_status, unique
from gateway.exchange.checks.stages.base import Context, StageBase
from gateway.exchange.checks.stages.capture import capture

_ORDER = {code: index for index, code in enumerate(CATALOGUE)}


def ordered(findings: list[Finding]) -> tuple[Finding, ...]:
    """A record's findings in the order of section 4's table (file order within a code)."""
    return unique(sorted(findings, key=lambda f: _ORDER[f.code]))


class CheckRecords(StageBase):
    """Stage 4 rules, record by record."""

    number = 4

    def begin(self, context: Context) -> None:
        self._rules: RuleContext | None = None
        self._plan: RecordPlan | None = None
        self._strings: dict[object, str] = {}
        self._tariffs: dict[tuple[str, str], str] = {}

    def _rule_context(self, context: Context) -> RuleContext | None:
        header = context.header
        if self._rules is None and header is not None and header.start and header.end and context.convention:
            self._rules = RuleContext(
                context.convention,
                header.start,
                header.end,
                context.day,
                context.references.nomenclature_on(context.day),
            )
            self._plan = plan_for(context.convention)
            self._capture = context.mode == Mode.PRODUCTION
        return self._rules

    def visit(self, context: Context, element: etree._Element, position: int) -> None:
        if position == 0:
            return
        context.record_count += 1
        if not context.valid:
            return
        rules = self._rule_context(context)
        if rules is None:
            return
        plan = self._plan
        assert plan is not None  # set with the rules
        record = plan.reader.read(element, position)
        context.records_total += record.amount
        findings: list[Finding] = []
        for check in plan.checks:
            findings.extend(check(record, rules))
        acts = record.act_keys(self._strings)
        for act in acts:
            earlier = context.seen_acts.get(act)
            if earlier is None:
                context.seen_acts[act] = record.id
            else:
                findings.append(
                    finding(
                        "DUP-001", line=record.line, path=record.path, value=f"{act.code} {act.date}", earlier=earlier
                    )
                )
        if findings:
            result = ordered(findings)
            status = record_status(result)
        else:  # most records: nothing to order
            result, status = (), RecordStatus.ACCEPTE
        # Forwarding's copy of the record, taken while it is parsed (the file is never read again).
        detail = capture(record, rules, self._tariffs) if self._capture and status != RecordStatus.REJETE else None
        context.records.append(
            RecordResult(
                position=position,
                id=record.id,
                reference=record.reference,
                status=status,
                findings=result,
                matricule=record.matricule.text,
                amount=record.amount,
                acts=acts,
                line=record.line,
                detail=detail,
            )
        )
