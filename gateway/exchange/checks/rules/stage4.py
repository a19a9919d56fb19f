"""The stage-4 rules in the order their findings are listed, and the record statuses.

Each rule declares the conventions it applies to (:func:`~gateway.exchange.checks.rules.context.record_rule`);
:func:`plan_for` works out once per convention which rules run and how its records are read,
so that nothing per record asks the registry again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from gateway.exchange.checks.model import Finding, RecordStatus, Severity
from gateway.exchange.checks.rules.context import RecordRule, RuleCheck
from gateway.exchange.checks.rules.conventions import check_home_sampling, check_performer, check_sessions
from gateway.exchange.checks.rules.dates import check_dates
from gateway.exchange.checks.rules.matricule import check_matricule
from gateway.exchange.checks.rules.prescription import check_physician
from gateway.exchange.checks.rules.record import RecordReader, reader_for
from gateway.exchange.checks.rules.tariffs import check_tariffs
from gateway.exchange.conventions import Convention

#: every stage-4 rule; each runs on the conventions it declares (the convention rules last)
RECORD_RULES: tuple[RecordRule, ...] = (
    check_matricule,
    check_physician,
    check_dates,
    check_tariffs,
    check_home_sampling,
    check_sessions,
    check_performer,
)


def rules_for(convention: str) -> tuple[RecordRule, ...]:
    """The stage-4 rules that judge records of ``convention``, in order."""
    return tuple(rule for rule in RECORD_RULES if rule.able_to_run(convention))


@dataclass(frozen=True)
class RecordPlan:
    """What stage 4 does on each record of one convention, worked out once from the registry."""

    convention: str
    #: reads a record element of the convention into the view the rules judge
    reader: RecordReader
    #: the rules' checks in finding order, those that do not apply to the convention left out
    checks: tuple[RuleCheck, ...]


def plan_for(convention: str) -> RecordPlan:
    """The plan of ``convention``'s records (built on first use, then shared by every file)."""
    return _plan(Convention(convention).value)


@cache
def _plan(convention: str) -> RecordPlan:
    return RecordPlan(convention, reader_for(convention), tuple(rule.check for rule in rules_for(convention)))


def record_status(findings: Iterable[Finding]) -> RecordStatus:
    """REJETE on any ERREUR, ACCEPTE_AVEC_AVERTISSEMENT on a warning, else ACCEPTE."""
    severities = {f.severity for f in findings}
    if Severity.ERREUR in severities or Severity.FATAL in severities:
        return RecordStatus.REJETE
    if Severity.AVERTISSEMENT in severities:
        return RecordStatus.ACCEPTE_AVEC_AVERTISSEMENT
    return RecordStatus.ACCEPTE


def unique(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Drops repeats of the same code at the same place (a LAB record's one act date)."""
    seen = set()
    kept = []
    for item in findings:
        key = (item.code, item.path, item.value)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return tuple(kept)
