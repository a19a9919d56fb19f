"""Messages the mail drop kept for staff, and what staff do with them.

A message that could not be joined safely (no valid reply token, a malformed or ambiguous
``From:``, see :mod:`gateway.intake.mailroute`) is kept as received in the mail drop's
``unattached/`` folder and listed for staff, with its reason. Staff either attach it to an
open application they choose, or open a new application for its sender (only when the
sender is a plain address). Either way its attachments are checked and recorded like any
mail attachment, the message moves to ``cur/``, and the action is audited
(``intake.mail.attach``, ``intake.mail.open``). Quarantined messages are listed from the
audit trail (they are never taken; their files stay in ``quarantine/``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import texts
from gateway.intake.errors import InvalidData, MailNotWaiting
from gateway.intake.maildrop import MailDrop, MailOutcome
from gateway.intake.mailparse import MailReason, parse_mail
from gateway.intake.status import Channel
from gateway.intake.validation import MAX_LENGTHS, ApplicationData
from gateway.intake.views import application_view
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.models.audit import AuditEvent
from gateway.store.models.intake import MailMessage


@dataclass(frozen=True)
class UnattachedView:
    """One message waiting for staff."""

    id: int
    received_at: dt.datetime
    sender: str
    from_line: str
    subject: str
    reason: MailReason

    @property
    def can_open(self) -> bool:
        """Staff may open a new application only for a plain sender address."""
        return bool(self.sender)


@dataclass(frozen=True)
class QuarantinedView:
    """One quarantined message, as the audit trail recorded it."""

    at: dt.datetime
    file: str
    reason: MailReason
    detail: str


class UnattachedMail:
    """Lists the messages waiting for staff and attaches them (the web page's service)."""

    def __init__(self, drop: MailDrop) -> None:
        self.drop = drop
        self.applications = drop.applications

    def waiting(self, *, limit: int = 200) -> list[UnattachedView]:
        """Messages waiting for staff, oldest first."""
        query = select(MailMessage).where(MailMessage.state == "unattached").order_by(MailMessage.id).limit(limit)
        with self.applications.sessions() as session:
            return [
                # a waiting message always has its reason (MailReason refuses an empty one, as None)
                UnattachedView(m.id, m.taken_at, m.sender, m.from_line, m.subject, MailReason(m.reason or ""))
                for m in session.scalars(query)
            ]

    def quarantined(self, *, limit: int = 50) -> list[QuarantinedView]:
        """The latest quarantined messages, newest first."""
        query = (
            select(AuditEvent)
            .where(AuditEvent.action == "intake.mail.quarantine")
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        with self.applications.sessions() as session:
            return [
                QuarantinedView(
                    e.at, e.target_id, MailReason(e.detail.get("reason") or ""), str(e.detail.get("why", ""))
                )
                for e in session.scalars(query)
            ]

    def attach(self, message_id: int, reference: str, *, actor: str, address: str = "") -> MailOutcome:
        """Attaches a waiting message's attachments to the open application ``reference``."""
        return self._resolve(message_id, reference, actor=actor, address=address)

    def open_new(self, message_id: int, *, actor: str, address: str = "") -> MailOutcome:
        """Opens a new application (``TRANSMISE``) for a waiting message's sender."""
        return self._resolve(message_id, None, actor=actor, address=address)

    def _resolve(self, message_id: int, reference: str | None, *, actor: str, address: str) -> MailOutcome:
        apps, drop = self.applications, self.drop
        with apps.sessions() as session:
            message = self._waiting(session, message_id)
            # _waiting returns only messages that kept their file and have a reason
            kept, reason, sender = message.kept_name or "", MailReason(message.reason or ""), message.sender
        if reference is None and not sender:
            raise InvalidData(
                "the sender is not a plain address: attach the message to an application instead",
                code="INT-MAIL-SENDER",
                mail=message_id,
            )
        path = drop.folder / "unattached" / kept
        mail = parse_mail(path.read_bytes(), drop.limits, drop.mailbox)
        checked = drop.check_attachments(mail)
        token = None
        try:
            with transaction(apps.sessions) as session:
                message = self._waiting(session, message_id, lock=True)
                if reference is None:
                    opened_fr, opened_en = texts.both("mailproblem.opened_by_staff", fr=reason.fr, en=reason.en)
                    notes = ({"code": str(reason), "fr": opened_fr, "en": opened_en},)
                    contact = sender if len(sender) <= MAX_LENGTHS["contact_email"] else ""
                    row, token = apps.open_application(
                        session,
                        ApplicationData(contact_email=contact),
                        channel=Channel.MAIL,
                        actor=actor,
                        address=address,
                        notes=notes,
                    )
                else:
                    row = apps.lock_editable(session, reference, by_staff=True)
                for item in checked:
                    apps.record_document(session, row, item, actor=actor, address=address, source=Channel.MAIL)
                message.state, message.application_id = "attached", row.id
                message.resolved_at, message.resolved_by = apps.clock.now(), actor[:120]
                audit.record(
                    session,
                    actor=actor,
                    action="intake.mail.open" if reference is None else "intake.mail.attach",
                    target_type="application",
                    target_id=row.reference,
                    address=address,
                    mail=message_id,
                    reason=str(reason),
                    documents=len(checked),
                    sha256=message.sha256,
                )
                session.flush()
                view = application_view(row)
        finally:
            apps.discard(checked)
        drop._to_cur(path)  # the drop's own move (private to MailDrop, which owns the folders)
        if token is not None:
            apps.acknowledge(view, token)
        return MailOutcome(kept, "taken", view.reference, reference is not None, len(checked), str(reason))

    @staticmethod
    def _waiting(session: Session, message_id: int, *, lock: bool = False) -> MailMessage:
        query = select(MailMessage).where(MailMessage.id == message_id)
        message = session.scalar(query.with_for_update() if lock else query)
        if message is None or message.state != "unattached" or not message.kept_name:
            raise MailNotWaiting(f"message {message_id} is not waiting for staff", mail=message_id)
        return message
