"""Stage 5: DUP-002, acts already accepted for this provider in earlier production files."""

from __future__ import annotations

import dataclasses

from gateway.exchange.checks.messages import finding
from gateway.exchange.checks.model import Mode
from gateway.exchange.checks.rules.stage4 import record_status
from gateway.exchange.checks.stages.base import Context, StageBase
from gateway.exchange.checks.stages.records import ordered


class CheckHistory(StageBase):
    """Asks the history once for every act of the file (PRODUCTION files only)."""

    number = 5

    def end(self, context: Context) -> None:
        if context.mode != Mode.PRODUCTION or not context.records:
            return
        wanted = frozenset(act for record in context.records for act in record.acts)
        known = context.history.accepted_acts(context.received.provider_code, wanted)
        if not known:
            return
        for index, record in enumerate(context.records):
            repeated = [act for act in record.acts if act in known]
            if not repeated:
                continue
            extra = [
                finding(
                    "DUP-002",
                    path=f"/Facturation/Enregistrement[{record.position}]",
                    line=record.line,
                    value=f"{act.code} {act.date}",
                )
                for act in repeated
            ]
            findings = ordered([*record.findings, *extra])
            context.records[index] = dataclasses.replace(record, findings=findings, status=record_status(findings))
