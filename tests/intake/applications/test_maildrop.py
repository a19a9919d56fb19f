"""The mail drop: real .eml messages delivered into a real Maildir."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.intake.maildrop import MailDrop
from gateway.intake.requirements import DocumentKind as K
from gateway.intake.status import Channel, Status
from gateway.store.models.intake import Application, MailMessage
from tests.intake.applications.conftest import pdf_for, valid_data
from tests.intake.documents.samples import jpeg_bytes
from tests.support import wait_until


def message(sender: str, subject: str, attachments: list[tuple[str, bytes, str]]) -> EmailMessage:
    """A message as a mail client would send it: text body and attachments."""
    msg = EmailMessage()
    msg["From"] = f"Anne Dupont <{sender}>"
    msg["To"] = "agrements@cns.invalid"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((sender, subject)))}@dupont.lu>"
    msg.set_content("Bonjour,\nveuillez trouver ci-joint les documents.\n")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    folder = tmp_path / "var" / "maildrop"
    folder.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(folder, create=True)
    return folder


@pytest.fixture
def drop(service, maildir) -> MailDrop:
    return MailDrop(service, maildir, rescan_interval=1.0)


def deliver(maildir: Path, msg: EmailMessage) -> str:
    """Delivers like a mail server does (tmp/ then new/); returns the Maildir key."""
    return mailbox.Maildir(maildir, create=False).add(msg)


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_message_without_reference_opens_an_application(drop, maildir, service, outbox):
    deliver(maildir, message("Anne@Dupont.lu", "Demande de code", [
        ("RIB.pdf", pdf_for(K.RIB), "application/pdf"),
        ("carte identité gérant.jpg", jpeg_bytes(), "image/jpeg"),
    ]))
    (outcome,) = drop.process_pending()
    assert not outcome.joined and outcome.documents == 2
    view = service.get(outcome.reference)
    assert (view.channel, view.status, view.data.contact_email) == (Channel.MAIL, Status.TRANSMISE, "anne@dupont.lu")
    rib, card = view.documents
    assert (rib.kind, rib.suggested_kind, rib.kind_confirmed, rib.verdict) == (None, "rib", False, "accepted")
    assert (card.suggested_kind, card.verdict, card.reason) == ("piece_identite_gerant", "refused", "jpeg_refuse")
    assert list((maildir / "new").iterdir()) == [] and len(list((maildir / "cur").iterdir())) == 1
    assert outcome.reference in outbox.bodies_to("anne@dupont.lu")[0]


def test_a_message_from_the_contact_address_joins_its_application(drop, maildir, service):
    reference = service.create(valid_data(), channel=Channel.PAPER, actor="staff:m").application.reference
    deliver(maildir, message("ANNE@dupont.lu", f"Re: {reference} statuts", [("statuts.pdf", pdf_for(K.STATUTS), "application/pdf")]))
    (outcome,) = drop.process_pending()
    assert outcome.joined and outcome.reference == reference
    assert [d.suggested_kind for d in service.get(reference).documents] == ["statuts"]


@pytest.mark.parametrize("case, note", [
    pytest.param("other-sender", "expediteur_different", id="other-sender"),
    pytest.param("closed", "demande_cloturee", id="closed-application"),
    pytest.param("unknown", "reference_inconnue", id="unknown-reference"),
])
def test_otherwise_a_new_application_is_opened_and_the_report_says_why(drop, maildir, service, case, note):
    reference = service.create(valid_data(), channel=Channel.PAPER, actor="staff:m").application.reference
    sender = "anne@dupont.lu"
    if case == "other-sender":
        sender = "mallory@example.com"
    elif case == "closed":
        service.withdraw(reference, actor="staff:m")
    else:
        reference = "DEM-2026-123456"
    deliver(maildir, message(sender, f"{reference}", [("rib.pdf", pdf_for(K.RIB), "application/pdf")]))
    (outcome,) = drop.process_pending()
    assert not outcome.joined and outcome.reference != reference and outcome.note == note
    report = service.report(outcome.reference)
    assert report.notes[0]["code"] == note and reference in report.notes[0]["en"]
    if case != "unknown":
        assert len(service.get(reference).documents) == 0


def test_a_message_is_never_taken_twice(drop, maildir, service, sessions):
    msg = message("anne@dupont.lu", "Demande", [("rib.pdf", pdf_for(K.RIB), "application/pdf")])
    key = deliver(maildir, msg)
    drop.process_pending()
    # the same message delivered again, and the first one put back as if the move had been lost
    deliver(maildir, msg)
    (cur,) = (maildir / "cur").iterdir()
    cur.rename(maildir / "new" / key)
    outcomes = drop.process_pending()
    assert [o.already_taken for o in outcomes] == [True, True]
    assert count(sessions, Application) == 1 and count(sessions, MailMessage) == 1
    assert list((maildir / "new").iterdir()) == []


def test_watcher_takes_waiting_messages_at_start_then_new_ones(drop, maildir, sessions):
    deliver(maildir, message("a@dupont.lu", "Demande 1", [("rib.pdf", pdf_for(K.RIB), "application/pdf")]))
    drop.start()
    try:
        wait_until(lambda: count(sessions, MailMessage) == 1, timeout_s=10)
        deliver(maildir, message("b@weber.lu", "Demande 2", [("statuts.pdf", pdf_for(K.STATUTS), "application/pdf")]))
        wait_until(lambda: count(sessions, MailMessage) == 2, timeout_s=10)
    finally:
        drop.stop()
    assert count(sessions, Application) == 2
    assert list((maildir / "new").iterdir()) == []
