"""Creating applications, their data and documents, and the record of every change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from gateway.intake.errors import ApplicationNotFound, InvalidData, NotEditable
from gateway.intake.requirements import DocumentKind as K
from gateway.intake.status import Channel, Outcome, Status
from gateway.intake.validation import ApplicationData
from gateway.store.models.audit import AuditEvent
from gateway.store.models.intake import Application, StatusChange
from tests.intake.applications.conftest import complete_application, pdf_for, valid_data
from tests.intake.documents.samples import html_with_pdf_line, jpeg_bytes, reportlab_pdf


def test_references_are_sequential_per_year(service, clock):
    first = service.create(actor="applicant").application.reference
    second = service.create(actor="applicant").application.reference
    clock.set(dt.datetime(2027, 1, 1, 0, 0, 1, tzinfo=dt.UTC))
    third = service.create(actor="applicant").application.reference
    assert (first, second, third) == ("DEM-2026-000001", "DEM-2026-000002", "DEM-2027-000001")
    assert re.fullmatch(r"DEM-\d{4}-\d{6}", third)


@pytest.mark.parametrize(
    "channel, status",
    [
        pytest.param(Channel.WEB, Status.EN_PREPARATION, id="web"),
        pytest.param(Channel.MAIL, Status.TRANSMISE, id="mail"),
        pytest.param(Channel.PAPER, Status.TRANSMISE, id="paper"),
    ],
)
def test_starting_status_depends_on_the_channel(service, channel, status):
    view = service.create(valid_data(), channel=channel, actor="staff:marie").application
    assert view.status is status
    assert view.history[0].to_status is status and view.history[0].actor == "staff:marie"


def test_paper_application_is_acknowledged_with_a_followup_link(service, outbox):
    created = service.create(valid_data(), channel=Channel.PAPER, actor="staff:marie")
    (body,) = outbox.bodies_to("anne@dupont.lu")
    assert created.application.reference in body
    assert f"https://gw.example/suivi/{created.followup_token}" in body


def test_web_draft_is_acknowledged_on_submission_only(service, outbox):
    reference = complete_application(service, submit=False)
    assert outbox.messages() == []
    service.decisions.submit(reference, actor="applicant")
    assert len(outbox.bodies_to("anne@dupont.lu")) == 1


def test_data_update_is_audited_with_the_fields_changed(service, sessions):
    reference = service.create(actor="applicant").application.reference
    view = service.update_data(reference, valid_data(), actor="applicant", address="192.0.2.7")
    assert view.data == valid_data().normalised()
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "intake.data.update")).one()
    assert event.address == "192.0.2.7" and "iban" in event.detail["fields"]


def test_documents_are_checked_and_kept_as_received_under_generated_names(service, tmp_path):
    reference = service.create(valid_data(), actor="applicant").application.reference
    pdf = reportlab_pdf()
    accepted = service.attach_document(reference, data=pdf, name="../../etc/passwd.pdf", kind="rib", actor="applicant")
    jpeg = service.attach_document(reference, data=jpeg_bytes(), name="rib.pdf", kind="rib", actor="applicant")
    html = service.attach_document(
        reference, data=html_with_pdf_line(), name="statuts.pdf", kind="statuts", actor="applicant"
    )
    assert (accepted.verdict, accepted.reason, accepted.page_count) == ("accepted", None, 1)
    assert (jpeg.verdict, jpeg.reason) == ("refused", "jpeg_refuse")
    assert (html.verdict, html.reason) == ("refused", "htm_refuse")
    assert "JPEG" in jpeg.message_en and jpeg.message_fr
    assert accepted.display_name == "passwd.pdf" and "nom_assaini" in accepted.flags
    folder = tmp_path / "providers" / "applications" / reference
    stored = sorted(p.name for p in folder.iterdir())
    assert len(stored) == 3 and all(re.fullmatch(r"doc-[0-9a-f]{32}", n) for n in stored)
    assert sorted(p.read_bytes() for p in folder.iterdir()) == sorted([pdf, jpeg_bytes(), html_with_pdf_line()])
    assert not (tmp_path / "etc").exists()


def test_nothing_is_kept_of_a_file_over_the_limit(service, tmp_path):
    reference = service.create(valid_data(), actor="applicant").application.reference
    view = service.attach_document(
        reference, data=b"%PDF-1.7\n" + b"0" * 200_000, name="big.pdf", kind="rib", actor="applicant"
    )
    assert (view.reason, view.kept) == ("fichier_trop_volumineux", False)
    assert not (tmp_path / "providers" / "applications" / reference).exists()
    with pytest.raises(ApplicationNotFound):
        service.read_document(view.id, actor="staff:marie")


def test_reading_a_document_is_audited(service, sessions):
    reference = service.create(valid_data(), actor="applicant").application.reference
    pdf = pdf_for(K.RIB)
    doc = service.attach_document(reference, data=pdf, name="rib.pdf", kind="rib", actor="applicant")
    view, data = service.read_document(doc.id, actor="staff:marie", address="10.0.0.5")
    assert data == pdf and view.sha256 == doc.sha256
    with sessions() as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "intake.document.view"))
    assert (event.actor, event.address, event.target_id) == ("staff:marie", "10.0.0.5", str(doc.id))


def test_unknown_kind_is_refused(service):
    reference = service.create(actor="applicant").application.reference
    with pytest.raises(InvalidData):
        service.attach_document(reference, data=pdf_for(K.RIB), name="x.pdf", kind="passport", actor="applicant")


def test_applicant_edits_only_in_preparation_or_to_correct(service):
    reference = complete_application(service)  # TRANSMISE
    with pytest.raises(NotEditable):
        service.update_data(reference, valid_data(locality="Esch"), actor="applicant")
    with pytest.raises(NotEditable):
        service.attach_document(reference, data=pdf_for(K.RIB), name="rib.pdf", kind="rib", actor="applicant")
    # staff fill in forwarded applications (paper, mail)
    assert (
        service.update_data(reference, valid_data(locality="Esch"), actor="staff:m", by_staff=True).data.locality
        == "Esch"
    )
    service.decisions.request_correction(reference, "Le RIB est illisible.", actor="staff:m")
    service.attach_document(reference, data=pdf_for(K.RIB), name="rib2.pdf", kind="rib", actor="applicant")
    service.decisions.withdraw(reference, actor="applicant")
    with pytest.raises(NotEditable):
        service.update_data(reference, valid_data(), actor="staff:m", by_staff=True)


def test_removed_document_stays_on_record(service):
    reference = service.create(valid_data(), actor="applicant").application.reference
    doc = service.attach_document(reference, data=pdf_for(K.RIB), name="rib.pdf", kind="rib", actor="applicant")
    removed = service.remove_document(reference, doc.id, actor="applicant")
    view = service.get(reference)
    assert removed.removed_at is not None and view.documents[0].id == doc.id and view.live_documents == ()


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param([], id="from-preparation"),
        pytest.param(["submit"], id="from-forwarded"),
        pytest.param(["submit", "correct"], id="from-to-correct"),
    ],
)
def test_withdrawal_from_any_open_status(service, steps):
    reference = complete_application(service, submit=False)
    for step in steps:
        if step == "submit":
            service.decisions.submit(reference, actor="applicant")
        else:
            service.decisions.request_correction(reference, "IBAN?", actor="staff:m")
    view = service.decisions.withdraw(reference, actor="staff:m", reason="à la demande du demandeur par téléphone")
    assert (view.status, view.outcome) == (Status.CLOTUREE, Outcome.RETIREE)
    assert view.closed_at is not None


def test_every_status_change_is_recorded_with_who_when_why(service, sessions, clock):
    reference = complete_application(service, submit=False)
    clock.advance(60)
    service.decisions.submit(reference, actor="applicant", address="192.0.2.7")
    clock.advance(60)
    service.decisions.request_correction(
        reference, "Merci de joindre un RIB lisible.", actor="staff:marie", address="10.0.0.5"
    )
    clock.advance(60)
    service.decisions.submit(reference, actor="applicant", address="192.0.2.7")
    clock.advance(60)
    service.decisions.refuse(reference, "Établissement hors Luxembourg.", actor="staff:paul", address="10.0.0.6")
    with sessions() as session:
        app_id = session.scalar(select(Application.id).where(Application.reference == reference))
        history = list(
            session.scalars(select(StatusChange).where(StatusChange.application_id == app_id).order_by(StatusChange.id))
        )
        audited = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == "intake.status", AuditEvent.target_id == reference)
            )
        )
    steps = [(h.from_status, h.to_status, h.outcome, h.actor) for h in history]
    assert steps == [
        (None, "EN_PREPARATION", None, "applicant"),
        ("EN_PREPARATION", "TRANSMISE", None, "applicant"),
        ("TRANSMISE", "A_CORRIGER", None, "staff:marie"),
        ("A_CORRIGER", "TRANSMISE", None, "applicant"),
        ("TRANSMISE", "CLOTUREE", "REFUSEE", "staff:paul"),
    ]
    assert history[2].reason == "Merci de joindre un RIB lisible." and history[2].address == "10.0.0.5"
    assert history[4].reason == "Établissement hors Luxembourg."
    assert [h.at for h in history] == sorted(h.at for h in history) and history[-1].at > history[0].at
    assert len(audited) == 5


def test_unknown_reference(service):
    with pytest.raises(ApplicationNotFound):
        service.get("DEM-2026-999999")


def test_list_and_search(service):
    complete_application(service)
    service.create(ApplicationData(establishment_name="Bandagisterie Weber"), actor="applicant")
    assert [v.data.establishment_name for v in service.list(search="weber")] == ["Bandagisterie Weber"]
    assert len(service.list(status=Status.TRANSMISE)) == 1
    assert service.count_by_status() == {"TRANSMISE": 1, "EN_PREPARATION": 1}


def test_creations_at_the_same_moment_get_distinct_references(service):
    import threading

    barrier = threading.Barrier(8)
    references, errors = [], []

    def create():
        barrier.wait()
        try:
            references.append(service.create(actor="applicant").application.reference)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(references) == [f"DEM-2026-{n:06d}" for n in range(1, 9)]
