"""Where a mail-drop message goes: into an application, a new application, or to staff.

The one decision table (spec/intake.md section 3, and docs/intake.md "Mail drop"):

=====================================================  ===============================
the message                                            goes
=====================================================  ===============================
``From:`` missing, malformed or ambiguous              to staff: ``expediteur_invalide``
no reply token and no reference in the subject         opens a new application
a reference but no reply token                         to staff: ``jeton_absent``
several different reply tokens                         to staff: ``jetons_multiples``
a token no application has                             to staff: ``jeton_inconnu``
a token, and a subject naming another reference        to staff: ``reference_differente``
a token, sender not the application's contact address  to staff: ``expediteur_different``
a token of a closed application                        to staff: ``demande_cloturee``
a token, from the contact address, application open    joins the application
=====================================================  ===============================

Both conditions of joining must hold: the spec's (the sender is the contact address) and
the reply token (a ``From:`` line proves nothing, and references are sequential).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.intake.mailparse import MailReason, ParsedMail
from gateway.intake.status import Status
from gateway.store.models.intake import Application


@dataclass(frozen=True)
class Route:
    """The decision for one message: exactly one of the three is set."""

    #: join this application
    application: Application | None = None
    #: open a new application for the sender
    open_new: bool = False
    #: keep the message for staff, for this reason
    reason: MailReason | None = None

    @property
    def needs_documents(self) -> bool:
        """True when the attachments are recorded (joined or opened)."""
        return self.reason is None


def route(session: Session, mail: ParsedMail, *, lock: bool = False) -> Route:
    """Decides where ``mail`` goes (module table); ``lock`` locks the application joined."""
    if mail.sender is None:
        return Route(reason=MailReason.BAD_SENDER)
    if not mail.tokens:
        return Route(reason=MailReason.NO_TOKEN) if mail.reference else Route(open_new=True)
    if len(mail.tokens) > 1:
        return Route(reason=MailReason.SEVERAL_TOKENS)
    (token,) = mail.tokens
    query = select(Application).where(Application.reply_token == token)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        return Route(reason=MailReason.UNKNOWN_TOKEN)
    if mail.reference is not None and mail.reference != found.reference:
        return Route(reason=MailReason.OTHER_REFERENCE)
    if (found.contact_email or "").strip().lower() != mail.sender:
        return Route(reason=MailReason.OTHER_SENDER)
    if not Status(found.status).is_open:
        return Route(reason=MailReason.CLOSED)
    return Route(application=found)
