"""Stage 4's per-convention plan: every declared rule runs, where it says, in the catalogue's order.

The plan (:func:`~gateway.exchange.checks.rules.stage4.plan_for`) is worked out once per
convention for speed; these tests keep it the same thing as the rules' declarations.
"""

from __future__ import annotations

import importlib
import pkgutil
import random

import pytest

from gateway.exchange.checks import rules
from gateway.exchange.checks.rules.context import RecordRule
from gateway.exchange.checks.rules.matricule import check_digits_hold
from gateway.exchange.checks.rules.stage4 import RECORD_RULES, plan_for, rules_for
from gateway.exchange.conventions import Convention
from gateway.identifiers import matricule_problems
from tests.exchange import samples


def declared_rules() -> set[RecordRule]:
    """Every ``@record_rule`` of the rules package, found by looking at its modules."""
    found = set()
    for module in pkgutil.iter_modules(rules.__path__):
        loaded = importlib.import_module(f"{rules.__name__}.{module.name}")
        found |= {value for value in vars(loaded).values() if isinstance(value, RecordRule)}
    return found


def test_every_declared_rule_is_listed() -> None:
    assert declared_rules() == set(RECORD_RULES)


@pytest.mark.parametrize("convention", list(Convention))
def test_the_plan_runs_the_rules_declared_for_the_convention_in_order(convention: Convention) -> None:
    plan = plan_for(convention.value)
    assert plan.checks == tuple(rule.check for rule in RECORD_RULES if rule.able_to_run(convention.value))
    assert plan.checks == tuple(rule.check for rule in rules_for(convention))
    assert plan_for(convention) is plan  # one plan per convention, whichever way it is named


def test_every_rule_runs_on_some_convention() -> None:
    planned = {check for convention in Convention for check in plan_for(convention.value).checks}
    assert planned == {rule.check for rule in RECORD_RULES}


def test_the_quick_check_digit_test_agrees_with_the_identifiers() -> None:
    draw = random.Random(20261203)
    candidates = [
        samples.make_matricule(samples.dt.date(1900, 1, 1) + samples.dt.timedelta(days=n), n)
        for n in range(0, 60000, 7)
    ]
    candidates += ["".join(draw.choice("0123456789") for _ in range(13)) for _ in range(20000)]
    candidates += ["", "123", "12345678901234", "1234567890123\n", "\uff11" * 13, "189312010573a"]
    for matricule in candidates:
        digits_wrong = {"MAT-001", "MAT-003", "MAT-004"} & {code for code, _ in matricule_problems(matricule)}
        assert check_digits_hold(matricule) == (not digits_wrong), matricule
