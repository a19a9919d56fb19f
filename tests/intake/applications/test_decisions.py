"""Decisions (spec/intake.md section 6): corrections, refusal, approval with its code."""

from __future__ import annotations

import json

import pytest

from gateway.intake.errors import InvalidData, NotComplete, TransitionRefused
from gateway.intake.requirements import DocumentKind as K
from gateway.intake.status import Outcome, Status
from tests.intake.applications.conftest import complete_application, pdf_for, valid_data


def test_request_correction_tells_the_applicant_and_reopens_editing(service, outbox):
    reference = complete_application(service)
    view = service.decisions.request_correction(reference, "Le RIB ne correspond pas à l'IBAN.", actor="staff:marie")
    assert view.status is Status.A_CORRIGER and view.correction_message == "Le RIB ne correspond pas à l'IBAN."
    body = outbox.bodies_to("anne@dupont.lu")[-1]
    assert "Le RIB ne correspond pas à l'IBAN." in body and "https://gw.example/suivi/" in body
    token = body.split("https://gw.example/suivi/")[1].split()[0]
    assert service.by_followup(token).correction_message == view.correction_message
    service.attach_document(reference, data=pdf_for(K.RIB), name="rib-corrige.pdf", kind="rib", actor="applicant")
    assert service.decisions.submit(reference, actor="applicant").status is Status.TRANSMISE


def test_a_sent_application_is_not_sent_again(service, outbox):
    """The status machine refuses the second submission; no second acknowledgement goes out."""
    reference = complete_application(service)
    sent = len(outbox.bodies_to("anne@dupont.lu"))
    with pytest.raises(TransitionRefused):
        service.decisions.submit(reference, actor="applicant")
    assert service.get(reference).status is Status.TRANSMISE
    assert len(outbox.bodies_to("anne@dupont.lu")) == sent


def test_refusal_needs_a_reason_and_closes(service, outbox, tmp_path):
    reference = complete_application(service)
    with pytest.raises(InvalidData):
        service.decisions.refuse(reference, "  ", actor="staff:m")
    view = service.decisions.refuse(reference, "Pas d'autorisation d'établissement valable.", actor="staff:m")
    assert (view.status, view.outcome, view.decision_reason) == (
        Status.CLOTUREE,
        Outcome.REFUSEE,
        "Pas d'autorisation d'établissement valable.",
    )
    assert "Pas d'autorisation" in outbox.bodies_to("anne@dupont.lu")[-1]
    final = tmp_path / "providers" / "applications" / reference / "report-final.json"
    assert json.loads(final.read_text())["status"] == "CLOTUREE"


def test_approval_allocates_registers_and_tells(service, outbox, accounts, tmp_path):
    reference = complete_application(service)
    view = service.decisions.approve(reference, actor="staff:marie")
    assert (view.status, view.outcome, view.provider_code) == (Status.CLOTUREE, Outcome.CODE_ATTRIBUE, "63000012")
    account = accounts.get("63000012")
    assert (account.profession, account.name, account.keys, account.has_password) == (
        "OCB",
        "Orthopédie Dupont",
        (),
        False,
    )
    body = outbox.bodies_to("anne@dupont.lu")[-1]
    assert "63000012" in body
    token = body.split("https://gw.example/suivi/")[1].split()[0]
    assert service.by_followup(token).provider_code == "63000012"
    assert (tmp_path / "providers" / "applications" / reference / "report-final.pdf").read_bytes()[:5] == b"%PDF-"
    assert service.get(reference).history[-1].reason == "code 63000012"


def test_only_complete_applications_are_approved(service):
    from gateway.intake.requirements import required_kinds
    from gateway.intake.status import Channel

    # On paper, an application arrives as it is (a web applicant could not send it with this IBAN).
    data = valid_data(iban="LU00 0000")
    reference = service.create(data, channel=Channel.PAPER, actor="staff:m").application.reference
    for kind in required_kinds(data.legal_form):
        service.attach_document(
            reference, data=pdf_for(kind), name=f"{kind}.pdf", kind=str(kind), actor="staff:m", by_staff=True
        )
    with pytest.raises(NotComplete) as caught:
        service.decisions.approve(reference, actor="staff:m")
    assert caught.value.context["problems"] == ["iban_invalide"]
    assert service.get(reference).status is Status.TRANSMISE


@pytest.mark.parametrize(
    "before",
    [
        pytest.param("draft", id="in-preparation"),
        pytest.param("correct", id="to-correct"),
        pytest.param("approved", id="already-approved"),
    ],
)
def test_approval_only_from_forwarded(service, before):
    reference = complete_application(service, submit=before != "draft")
    if before == "correct":
        service.decisions.request_correction(reference, "?", actor="staff:m")
    if before == "approved":
        service.decisions.approve(reference, actor="staff:m")
    with pytest.raises(TransitionRefused):
        service.decisions.approve(reference, actor="staff:m")
    assert len([v for v in service.list() if v.provider_code]) == (1 if before == "approved" else 0)


def test_mail_application_waits_for_kinds_to_be_confirmed(service):
    from gateway.intake.status import Channel

    reference = service.create(valid_data(), channel=Channel.MAIL, actor="mail:anne@dupont.lu").application.reference
    docs = [
        service.attach_document(
            reference, data=pdf_for(k), name=f"{k}.pdf", kind=None, actor="mail:anne@dupont.lu", by_staff=True
        )
        for k in K
    ]
    report = service.report(reference)
    assert not report.complete and report.to_correct == () and len(report.to_confirm) == 6
    with pytest.raises(NotComplete):
        service.decisions.approve(reference, actor="staff:m")
    for doc in docs:
        assert doc.suggested_kind is not None
        service.confirm_kind(reference, doc.id, doc.suggested_kind, actor="staff:m")
    assert service.decisions.approve(reference, actor="staff:m").provider_code == "63000012"


def test_an_approval_whose_account_was_not_created_is_completed_at_start(service, accounts):
    """A crash between the approval's commit and the account's creation leaves a code without
    an account; the start-up pass creates it, and only once."""
    from gateway.errors import NotFound

    crashed = service.decisions
    register = crashed.register_provider
    crashed.register_provider = None  # the account step does not happen, as after a crash
    reference = complete_application(service)
    code = crashed.approve(reference, actor="staff:marie").provider_code
    with pytest.raises(NotFound):
        accounts.get(code)

    crashed.register_provider = register
    assert crashed.register_missing_providers() == [code]
    assert accounts.get(code).profession == "OCB"
    assert crashed.register_missing_providers() == []


@pytest.mark.parametrize(
    "changes,missing",
    [
        pytest.param({"contact_email": "anne(at)dupont"}, "email_invalide", id="wrong-email"),
        pytest.param({"iban": "LU28 0019 4006 4475 0001"}, "iban_invalide", id="wrong-iban"),
        pytest.param({"manager_last_name": ""}, "gerant_incomplet", id="no-manager"),
    ],
)
def test_an_application_with_open_problems_is_not_sent(service, outbox, changes, missing):
    reference = complete_application(service, valid_data(**changes), submit=False)
    with pytest.raises(NotComplete) as refused:
        service.decisions.submit(reference, actor="applicant")
    assert missing in refused.value.context["problems"]
    assert service.get(reference).status is Status.EN_PREPARATION
    assert outbox.messages() == []


def test_a_missing_document_holds_the_application_back(service):
    data = valid_data()
    created = service.create(data, actor="applicant")
    with pytest.raises(NotComplete) as refused:
        service.decisions.submit(created.application.reference, actor="applicant")
    assert any(p.startswith("document_manquant:") for p in refused.value.context["problems"])


def test_no_message_goes_to_an_invalid_address(service, outbox):
    from gateway.intake.status import Channel

    service.create(valid_data(contact_email="anne(at)dupont.lu"), channel=Channel.PAPER, actor="staff:marie")
    assert outbox.messages() == []
