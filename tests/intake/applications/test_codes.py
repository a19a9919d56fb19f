"""OCB code allocation (spec/intake.md section 6): above the highest known, unique, never reused."""

from __future__ import annotations

import subprocess
import threading

import pytest

from gateway.clock import utcnow
from gateway.identifiers import is_valid_provider_code, make_provider_code
from gateway.intake.codes import highest_sequence, import_codes, parse_import
from gateway.intake.errors import InvalidData, TransitionRefused
from gateway.store.db import transaction
from tests.intake.applications.conftest import complete_application
from tests.support import GATEWAY, clean_env


def import_text(sessions, text):
    with transaction(sessions) as session:
        return import_codes(session, text, actor="cli", at=utcnow())


def test_first_code_and_the_next(service):
    first = service.decisions.approve(complete_application(service), actor="staff:m").provider_code
    second = service.decisions.approve(complete_application(service), actor="staff:m").provider_code
    assert (first, second) == ("63000012", "63000020")
    assert all(is_valid_provider_code(c, "OCB") for c in (first, second))


def test_allocation_continues_above_imported_codes(service, sessions):
    result = import_text(
        sessions, "# codes before the gateway\n63000012;Orthopédie Dupont\n\n63004121;Bandages Weber\n"
    )
    assert result.imported == ("63000012", "63004121") and result.highest == "63004121"
    assert service.decisions.approve(
        complete_application(service), actor="staff:m"
    ).provider_code == make_provider_code("63", 413)


def test_allocation_continues_above_existing_ocb_accounts(service, accounts):
    accounts.add(make_provider_code("63", 777), profession="OCB", name="Compte existant")
    accounts.add(make_provider_code("31", 90000), profession="LAB", name="Laboratoire")
    assert service.decisions.approve(
        complete_application(service), actor="staff:m"
    ).provider_code == make_provider_code("63", 778)


def test_a_code_is_never_reused(service, sessions, accounts):
    code = service.decisions.approve(complete_application(service), actor="staff:m").provider_code
    with transaction(sessions) as session:
        from gateway.store.models.accounts import Provider

        session.delete(session.get(Provider, code))  # the account is deleted; the code stays taken
    assert service.decisions.approve(complete_application(service), actor="staff:m").provider_code == "63000020"


def test_import_refuses_bad_lines_and_reports_known_codes(sessions):
    import_text(sessions, "63000012;Dupont\n")
    result = import_text(
        sessions,
        "63000012;Dupont\n63000013;Luhn faux\n31000016;Laboratoire\n63000020\n63000038\tWeber\n63000046,Muller\n",
    )
    assert result.already_known == ("63000012",)
    assert result.imported == ("63000038", "63000046")
    assert [line.line for line in result.refused] == [2, 3, 4]
    assert "check digit" in result.refused[0].problem and "name" in result.refused[2].problem


def test_import_refuses_a_code_twice_with_different_names():
    _, refused = parse_import("63000012;A\n")
    assert refused == []
    with pytest.raises(InvalidData):
        import_codes(None, "63000012;A\n63000012;B\n", actor="cli", at=utcnow())  # refused before any query


def test_concurrent_approvals_never_share_a_code(service, sessions):
    references = [complete_application(service) for _ in range(6)]
    barrier = threading.Barrier(len(references))
    codes, errors = {}, []

    def approve(reference):
        barrier.wait()
        try:
            codes[reference] = service.decisions.approve(reference, actor=f"staff:{reference}").provider_code
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(r,)) for r in references]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(codes.values()) == [make_provider_code("63", n) for n in range(1, 7)]
    with sessions() as session:
        assert highest_sequence(session) == 6


def test_two_staff_approving_the_same_application_at_once(service):
    reference = complete_application(service)
    barrier = threading.Barrier(2)
    results = []

    def approve():
        barrier.wait()
        try:
            results.append(service.decisions.approve(reference, actor="staff:x").provider_code)
        except TransitionRefused as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["63000012", "INT-STATUS"]


@pytest.mark.heavy
def test_concurrent_approvals_from_separate_processes(service, project):
    references = [complete_application(service) for _ in range(3)]
    processes = [
        subprocess.Popen(
            [GATEWAY, "intake", "approve", r, "--json", "--config", str(project.config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        for r in references
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], [o[1] for o in outputs]
    codes = sorted(service.get(r).provider_code for r in references)
    assert codes == [make_provider_code("63", n) for n in range(1, 4)]
