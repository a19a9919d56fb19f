"""The mail drop: real .eml messages delivered into a real Maildir."""

from __future__ import annotations

import json
import mailbox
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.intake.maildrop import MailDrop
from gateway.intake.requirements import DocumentKind as K
from gateway.intake.status import Channel, Status
from gateway.store.models.audit import AuditEvent
from gateway.store.models.intake import Application, ApplicationDocument, MailMessage
from tests.intake.applications.conftest import pdf_for, valid_data
from tests.intake.documents.samples import jpeg_bytes
from tests.support import wait_until

RIB = [("rib.pdf", pdf_for(K.RIB), "application/pdf")]


def message(
    sender: str,
    subject: str,
    attachments: list[tuple[str, bytes, str]],
    *,
    from_line: str | None = None,
    to: str = "agrements@cns.invalid",
) -> EmailMessage:
    """A message as a mail client would send it: text body and attachments."""
    msg = EmailMessage()
    msg["From"] = from_line if from_line is not None else f"Anne Dupont <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((sender, subject, from_line)))}@dupont.lu>"
    msg.set_content("Bonjour,\nveuillez trouver ci-joint les documents.\n")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def raw_message(headers: str, body: bytes) -> bytes:
    """A message written byte by byte, as a hostile sender would."""
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


def many_attachments(count: int) -> bytes:
    """One message with ``count`` empty attachments (about 100 bytes each)."""
    parts = b"".join(
        b'--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="a%d.pdf"\r\n\r\n\r\n' % i
        for i in range(count)
    )
    return raw_message(
        "From: anne@dupont.lu\nSubject: pieces\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
        parts + b"--b--\r\n",
    )


def deeply_nested(depth: int) -> bytes:
    """One message whose multipart parts nest ``depth`` deep."""
    opening = b"".join(b"Content-Type: multipart/mixed; boundary=n%d\r\n\r\n--n%d\r\n" % (i, i) for i in range(depth))
    closing = b"".join(b"\r\n--n%d--\r\n" % i for i in reversed(range(depth)))
    # the first Content-Type line ends the message's own header block
    return (
        b"From: anne@dupont.lu\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
        + opening
        + b"Content-Type: text/plain\r\n\r\nbonjour"
        + closing
    )


def deliver(maildir: Path, msg: EmailMessage | bytes) -> str:
    """Delivers like a mail server does (tmp/ then new/); returns the Maildir key."""
    return mailbox.Maildir(maildir, create=False).add(msg)


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def audit_actions(sessions, action: str) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def opened_by_mail(service, outbox) -> tuple[str, EmailMessage]:
    """A mail application and the acknowledgement the applicant received (a real message)."""
    reference = service.create(valid_data(), channel=Channel.MAIL, actor="mail:anne@dupont.lu").application.reference
    (ack,) = [m for m in outbox.messages() if reference in m["Subject"]]
    return reference, ack


# --------------------------------------------------------------------------- taking messages


def test_a_message_without_reference_opens_an_application(drop, maildir, service, outbox):
    deliver(
        maildir,
        message(
            "Anne@Dupont.lu",
            "Demande de code",
            [
                ("RIB.pdf", pdf_for(K.RIB), "application/pdf"),
                ("carte identité gérant.jpg", jpeg_bytes(), "image/jpeg"),
            ],
        ),
    )
    (outcome,) = drop.process_pending()
    assert outcome.state == "taken" and not outcome.joined and outcome.documents == 2
    view = service.get(outcome.reference)
    assert (view.channel, view.status, view.data.contact_email) == (Channel.MAIL, Status.TRANSMISE, "anne@dupont.lu")
    rib, card = view.documents
    assert (rib.kind, rib.suggested_kind, rib.kind_confirmed, rib.verdict) == (None, "rib", False, "accepted")
    assert (card.suggested_kind, card.verdict, card.reason) == ("piece_identite_gerant", "refused", "jpeg_refuse")
    assert list((maildir / "new").iterdir()) == [] and len(list((maildir / "cur").iterdir())) == 1
    assert outcome.reference in outbox.bodies_to("anne@dupont.lu")[0]
    assert service.read_document(rib.id, actor="staff:t")[1] == pdf_for(K.RIB)
    assert list((service.dossier.root / ".staging").iterdir()) == []


@pytest.mark.parametrize("where", ["subject", "plus-address"])
def test_a_reply_carrying_the_token_joins_its_application(drop, maildir, service, outbox, where):
    from gateway.intake import notify
    from gateway.intake.replytoken import ReplyAddress

    drop.mailbox = ReplyAddress.parse("demandes@cns.invalid")
    service.notifier = notify.Notifier(
        notify.FolderMailer(outbox.folder), "fonds@cns.invalid", reply_address="demandes@cns.invalid"
    )
    reference, ack = opened_by_mail(service, outbox)
    assert ack["Reply-To"].startswith("demandes+") and f"[{reference} #" in ack["Subject"]
    if where == "subject":  # a reply to the acknowledgement, sent to the fund's plain address
        reply = message(
            "ANNE@dupont.lu", f"Re: {ack['Subject']}", [("statuts.pdf", pdf_for(K.STATUTS), "application/pdf")]
        )
    else:  # a reply whose client dropped the subject's mark but kept the Reply-To address
        reply = message(
            "anne@dupont.lu",
            "mes statuts",
            [("statuts.pdf", pdf_for(K.STATUTS), "application/pdf")],
            to=str(ack["Reply-To"]),
        )
    deliver(maildir, reply)
    (outcome,) = drop.process_pending()
    assert (outcome.state, outcome.joined, outcome.reference) == ("taken", True, reference)
    assert [d.suggested_kind for d in service.get(reference).documents] == ["statuts"]


def test_a_forged_sender_naming_a_reference_joins_nothing_and_opens_nothing(drop, maildir, service, sessions):
    reference = service.create(valid_data(), channel=Channel.PAPER, actor="staff:m").application.reference
    before = count(sessions, Application)
    deliver(maildir, message("anne@dupont.lu", f"Re: {reference} statuts", RIB))  # From: the contact address
    deliver(maildir, message("anne@dupont.lu", f"[{reference} #{'0' * 24}] statuts", RIB))  # a guessed token
    outcomes = drop.process_pending()
    assert sorted((o.state, o.reason) for o in outcomes) == [
        ("unattached", "jeton_absent"),
        ("unattached", "jeton_inconnu"),
    ]
    assert count(sessions, Application) == before and service.get(reference).documents == ()
    assert count(sessions, ApplicationDocument) == 0
    assert len(list((maildir / "unattached").iterdir())) == 2 and list((maildir / "new").iterdir()) == []


@pytest.mark.parametrize(
    "case, reason",
    [
        pytest.param("other-sender", "expediteur_different", id="token-from-another-sender"),
        pytest.param("closed", "demande_cloturee", id="token-of-a-closed-application"),
        pytest.param("other-reference", "reference_differente", id="token-with-another-reference"),
    ],
)
def test_a_token_alone_is_not_enough(drop, maildir, service, outbox, case, reason):
    reference, ack = opened_by_mail(service, outbox)
    other, _ = opened_by_mail(service, outbox)
    subject, sender = f"Re: {ack['Subject']}", "anne@dupont.lu"
    if case == "other-sender":
        sender = "mallory@example.com"
    elif case == "closed":
        service.decisions.withdraw(reference, actor="staff:m")
    else:
        subject = f"{other} {subject}"
    deliver(maildir, message(sender, subject, RIB))
    (outcome,) = drop.process_pending()
    assert (outcome.state, outcome.reason) == ("unattached", reason)
    assert service.get(reference).documents == () and service.get(other).documents == ()


@pytest.mark.parametrize(
    "from_line",
    [
        pytest.param("anne@dupont.lu (x) <mallory@evil.example>", id="comment"),
        pytest.param('"anne@dupont.lu" <mallory@evil.example>', id="display-name-is-an-address"),
        pytest.param("=?utf-8?q?anne=40dupont.lu?= <mallory@evil.example>", id="encoded-display-name-is-an-address"),
        pytest.param("anne@dupont.lu, mallory@evil.example", id="two-addresses"),
        pytest.param("undisclosed-senders:;", id="group"),
        pytest.param("Anne Dupont", id="no-address"),
    ],
)
def test_a_malformed_from_opens_nothing_and_waits_for_staff(drop, maildir, service, sessions, from_line):
    from gateway.intake.unattached import UnattachedMail

    deliver(maildir, message("anne@dupont.lu", "Demande de code", RIB, from_line=from_line))
    (outcome,) = drop.process_pending()
    assert (outcome.state, outcome.reason) == ("unattached", "expediteur_invalide")
    assert count(sessions, Application) == 0
    (waiting,) = UnattachedMail(drop).waiting()
    assert waiting.reason == "expediteur_invalide" and waiting.sender == "" and waiting.from_line
    assert not waiting.can_open


def test_two_from_headers_are_ambiguous(drop, maildir, sessions):
    deliver(maildir, raw_message("From: anne@dupont.lu\nFrom: mallory@evil.example\nSubject: x\n", b"bonjour"))
    (outcome,) = drop.process_pending()
    assert outcome.reason == "expediteur_invalide" and count(sessions, Application) == 0


def test_staff_attach_a_waiting_message_and_it_is_audited(drop, maildir, service, sessions):
    from gateway.intake.errors import MailNotWaiting
    from gateway.intake.unattached import UnattachedMail

    reference = service.create(valid_data(), channel=Channel.PAPER, actor="staff:m").application.reference
    deliver(
        maildir,
        message("anne@dupont.lu", f"{reference} statuts", [("statuts.pdf", pdf_for(K.STATUTS), "application/pdf")]),
    )
    drop.process_pending()
    mail = UnattachedMail(drop)
    (waiting,) = mail.waiting()
    outcome = mail.attach(waiting.id, reference, actor="staff:bob", address="192.0.2.9")
    assert outcome.reference == reference and outcome.documents == 1
    assert [d.suggested_kind for d in service.get(reference).documents] == ["statuts"]
    assert mail.waiting() == [] and list((maildir / "unattached").iterdir()) == []
    assert len(list((maildir / "cur").iterdir())) == 1
    (event,) = audit_actions(sessions, "intake.mail.attach")
    assert (event.actor, event.target_id, event.address, event.detail["reason"]) == (
        "staff:bob",
        reference,
        "192.0.2.9",
        "jeton_absent",
    )
    with pytest.raises(MailNotWaiting):
        mail.attach(waiting.id, reference, actor="staff:bob")


def test_staff_open_an_application_for_a_waiting_message(drop, maildir, service, outbox):
    from gateway.intake.unattached import UnattachedMail

    deliver(maildir, message("anne@dupont.lu", "Re: DEM-2026-000999", RIB))
    drop.process_pending()
    mail = UnattachedMail(drop)
    (waiting,) = mail.waiting()
    assert waiting.can_open
    outcome = mail.open_new(waiting.id, actor="staff:bob")
    view = service.get(outcome.reference)
    assert view.data.contact_email == "anne@dupont.lu" and len(view.documents) == 1
    assert service.report(outcome.reference).notes[0]["code"] == "jeton_absent"
    assert outcome.reference in outbox.bodies_to("anne@dupont.lu")[0]


def test_a_message_is_never_taken_twice(drop, maildir, service, sessions):
    msg = message("anne@dupont.lu", "Demande", RIB)
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
    deliver(maildir, message("a@dupont.lu", "Demande 1", RIB))
    drop.start()
    try:
        wait_until(lambda: count(sessions, MailMessage) == 1, timeout_s=10)
        deliver(maildir, message("b@weber.lu", "Demande 2", [("statuts.pdf", pdf_for(K.STATUTS), "application/pdf")]))
        wait_until(lambda: count(sessions, MailMessage) == 2, timeout_s=10)
    finally:
        drop.stop()
    assert count(sessions, Application) == 2
    assert list((maildir / "new").iterdir()) == []


# --------------------------------------------------------------------------- bounds and quarantine


def _quarantined(maildir: Path) -> dict[str, dict]:
    folder = maildir / "quarantine"
    return {p.name[: -len(".reason.json")]: json.loads(p.read_text()) for p in folder.glob("*.reason.json")}


@pytest.mark.parametrize(
    "raw, reason",
    [
        pytest.param(many_attachments(8000), "trop_de_parties", id="8000-empty-attachments"),
        pytest.param(many_attachments(21), "trop_de_pieces_jointes", id="21-attachments"),
        pytest.param(deeply_nested(3000), "trop_de_parties", id="3000-deep"),
        pytest.param(deeply_nested(12), "imbrication_trop_profonde", id="12-deep"),
    ],
)
def test_a_message_over_a_bound_is_quarantined_once_and_the_drop_goes_on(drop, maildir, sessions, raw, reason):
    first = deliver(maildir, raw)
    deliver(maildir, message("b@weber.lu", "Demande", RIB))
    outcomes = drop.process_pending()
    assert sorted((o.state, o.reason or "") for o in outcomes) == [("quarantined", reason), ("taken", "")]
    assert _quarantined(maildir)[first]["reason"] == reason
    assert (maildir / "quarantine" / first).read_bytes() == raw
    assert drop.process_pending() == []  # never retried
    assert [e.detail["reason"] for e in audit_actions(sessions, "intake.mail.quarantine")] == [reason]
    assert count(sessions, Application) == 1 and count(sessions, ApplicationDocument) == 1


def test_nesting_deep_enough_to_break_the_parser_is_quarantined(service, maildir):
    from gateway.intake.mailparse import MailLimits

    drop = MailDrop(service, maildir, limits=MailLimits(max_parts=100_000, max_depth=100_000))
    key = deliver(maildir, deeply_nested(3000))
    (outcome,) = drop.process_pending()  # the parser raises RecursionError: no bound stopped it before
    assert (outcome.state, outcome.reason) == ("quarantined", "imbrication_trop_profonde")
    assert (maildir / "quarantine" / key).exists()


def test_a_message_over_the_size_limit_is_quarantined_unread(service, maildir):
    from gateway.intake.mailparse import MailLimits

    drop = MailDrop(service, maildir, limits=MailLimits(max_bytes=50_000))
    key = deliver(
        maildir, message("anne@dupont.lu", "gros", [("big.pdf", b"%PDF-1.4\n" + b"0" * 60_000, "application/pdf")])
    )
    (outcome,) = drop.process_pending()
    assert outcome.reason == "message_trop_volumineux"
    assert _quarantined(maildir)[key]["size"] > 50_000


def test_a_message_the_parser_fails_on_is_quarantined_after_bounded_attempts(service, maildir, sessions):
    # Python's email package raises IndexError on this Content-Disposition parameter.
    broken = raw_message(
        "From: anne@dupont.lu\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
        b'--b\r\nContent-Disposition: attachment; filename*="x\'"\r\n\r\nhi\r\n--b--\r\n',
    )
    drop = MailDrop(service, maildir, max_attempts=3)
    key = deliver(maildir, broken)
    for n in range(1, 4):
        deliver(maildir, message(f"n{n}@weber.lu", f"Demande {n}", RIB))
        states = sorted(o.state for o in drop.process_pending())
        assert states == (["taken"] if n < 3 else ["quarantined", "taken"])  # the others go on
    assert _quarantined(maildir)[key]["reason"] == "message_illisible"
    assert "IndexError" in _quarantined(maildir)[key]["detail"]
    assert drop.process_pending() == [] and count(sessions, Application) == 3


# --------------------------------------------------------------------------- the database stays free


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_staff_logins_keep_answering_while_hostile_messages_are_taken(database_url, tmp_path):
    """The mail drop and the web share one SQLite file, as `gateway serve` does.

    Bound: every login answers within 2 s. A login itself takes well under 0.5 s here (an
    argon2 check and one short transaction); the rest is margin for a loaded machine. Before
    the bounds, the 8,000-attachment message held the write lock for its 8,000 fsyncs and
    logins waited out the busy timeout (10 s) and failed.
    """
    from tests.web.conftest import AGENT, log_in, start_site

    site, web = start_site(tmp_path / "site", database_url)
    maildir = tmp_path / "maildrop"
    mailbox.Maildir(maildir, create=True)
    try:
        drop = MailDrop(site.applications, maildir)
        deliver(maildir, many_attachments(8000))
        deliver(maildir, deeply_nested(3000))
        for n in range(3):
            deliver(maildir, message(f"n{n}@weber.lu", f"Demande {n}", RIB))
        outcomes: list = []
        taking = threading.Thread(target=lambda: outcomes.extend(drop.process_pending()))
        durations = []
        taking.start()
        while taking.is_alive() or len(durations) < 3:
            with site.client() as client:
                started = time.monotonic()
                response = log_in(client, *AGENT)
                durations.append(time.monotonic() - started)
            assert response.status_code == 303, response.text
        taking.join()
    finally:
        web.stop()
        site.engine.dispose()
    assert sorted(o.state for o in outcomes) == ["quarantined", "quarantined", "taken", "taken", "taken"]
    assert max(durations) < 2.0, durations
