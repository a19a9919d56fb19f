"""The staff page of mail waiting to be attached, driven over HTTP."""

from __future__ import annotations

import html
import mailbox

from sqlalchemy import select

from gateway.intake.maildrop import MailDrop
from gateway.intake.mailparse import MailReason
from gateway.intake.status import Channel
from gateway.store.models.audit import AuditEvent
from tests.web.conftest import csrf_of
from tests.web.data import pdf


def _drop(site) -> MailDrop:
    return MailDrop(site.applications, site.root / "var" / "maildrop")


def _deliver(site, from_line: str, subject: str) -> None:
    from tests.intake.applications.test_maildrop import message

    msg = message("", subject, [("rib.pdf", pdf("rib"), "application/pdf")], from_line=from_line)
    mailbox.Maildir(site.root / "var" / "maildrop", create=False).add(msg)
    _drop(site).process_pending()


def test_a_malformed_sender_is_listed_and_staff_attach_it(site, agent_client):
    reference = site.applications.create(None, channel=Channel.PAPER, actor="staff:bob").application.reference
    _deliver(site, "anne@dupont.lu (x) <mallory@evil.example>", "mes documents")
    page = agent_client.get("/applications/mail")
    bad_sender = MailReason.BAD_SENDER.fr  # the reason as a sentence; its code stays out of the page
    assert page.status_code == 200 and bad_sender in html.unescape(page.text) and "expediteur_invalide" not in page.text
    assert "anne@dupont.lu (x) &lt;mallory@evil.example&gt;" in page.text
    assert "/open" not in page.text.split('id="unattached"')[1].split("</table>")[0]  # no sender to open for
    message_id = page.text.split('action="/applications/mail/')[1].split("/")[0]
    response = agent_client.post(
        f"/applications/mail/{message_id}/attach", data={"csrf_token": csrf_of(page.text), "reference": reference}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/applications/{reference}?done=mail"
    assert len(site.applications.get(reference).documents) == 1
    assert bad_sender not in html.unescape(agent_client.get("/applications/mail").text.split('id="quarantined"')[0])
    with site.sessions() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "intake.mail.attach", AuditEvent.target_id == reference)
        )
    assert event.actor == "staff:bob"
    again = agent_client.post(
        f"/applications/mail/{message_id}/attach", data={"csrf_token": csrf_of(page.text), "reference": reference}
    )
    assert again.status_code == 409


def test_attaching_needs_the_csrf_token_and_a_login(site, agent_client):
    assert site.client().get("/applications/mail", follow_redirects=False).status_code == 303
    assert agent_client.post("/applications/mail/1/attach", data={"reference": "DEM-2026-000001"}).status_code == 403
