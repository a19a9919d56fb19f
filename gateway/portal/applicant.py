"""What an OCB applicant whose application was approved finds in the portal: its code and the
decision letter (the words of the approval message it was sent, built by the same function)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.intake.notify import approval_message
from gateway.intake.status import Outcome
from gateway.store.models.intake import Application


@dataclass(frozen=True)
class Decision:
    """An approved application, as its provider sees it."""

    reference: str
    code: str
    establishment: str
    decided_at: dt.datetime | None
    letter_fr: str
    letter_en: str

    def letter(self, lang: str) -> str:
        return self.letter_fr if lang == "fr" else self.letter_en


def approved_application(sessions: sessionmaker[Session], code: str) -> Decision | None:
    """The approved application that gave ``code``, or None (codes imported, or not an OCB code)."""
    with sessions() as session:
        row = session.scalar(
            select(Application)
            .where(Application.provider_code == code, Application.outcome == Outcome.CODE_ATTRIBUE.value)
            .order_by(Application.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        message = approval_message(row.contact_email, row.reference, code, None)
        return Decision(row.reference, code, row.establishment_name, row.closed_at, message.body_fr, message.body_en)


def applicant_email(session: Session, code: str) -> str:
    """The contact address of the approved application that gave ``code`` ("" when none)."""
    return (
        session.scalar(
            select(Application.contact_email)
            .where(Application.provider_code == code, Application.outcome == Outcome.CODE_ATTRIBUE.value)
            .order_by(Application.id.desc())
            .limit(1)
        )
        or ""
    )
