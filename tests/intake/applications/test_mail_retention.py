"""Retention of the mail drop: taken, quarantined and waiting messages go with time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gateway.intake.mailretention import purge_mail_drop
from gateway.intake.unattached import UnattachedMail
from gateway.store.models.intake import MailMessage
from tests.intake.applications.test_maildrop import RIB, audit_actions, deliver, many_attachments, message

DAY = dt.timedelta(days=1)


def purge(sessions, maildir, now, *, dry_run=False):
    return purge_mail_drop(sessions, folder=maildir, now=now, retention_days=730, held_days=90, dry_run=dry_run)


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_each_folder_keeps_its_messages_for_its_own_time(drop, maildir, sessions):
    deliver(maildir, message("anne@dupont.lu", "Demande de code", RIB))  # taken: cur/
    deliver(maildir, many_attachments(21))  # quarantined, with its reason file
    deliver(maildir, message("anne@dupont.lu", "Demande", RIB, from_line="Anne Dupont"))  # waits for staff
    assert sorted(o.state for o in drop.process_pending()) == ["quarantined", "taken", "unattached"]
    delivered = dt.datetime.now(dt.UTC)
    assert len(files(maildir / "cur")) == 1 and len(files(maildir / "quarantine")) == 2
    assert len(UnattachedMail(drop).waiting()) == 1

    assert purge(sessions, maildir, delivered + 89 * DAY).as_dict() == {
        "taken": 0,
        "quarantined": 0,
        "unattached": 0,
        "bytes": 0,
    }

    dry = purge(sessions, maildir, delivered + 91 * DAY, dry_run=True)
    assert (dry.taken, dry.quarantined, dry.unattached) == (0, 1, 1) and dry.bytes > 0
    assert len(files(maildir / "quarantine")) == 2 and len(UnattachedMail(drop).waiting()) == 1

    done = purge(sessions, maildir, delivered + 91 * DAY)
    assert (done.taken, done.quarantined, done.unattached) == (0, 1, 1)
    assert files(maildir / "quarantine") == [] and files(maildir / "unattached") == []
    assert len(files(maildir / "cur")) == 1
    assert UnattachedMail(drop).waiting() == []  # staff no longer see a message whose file is gone
    with sessions() as session:
        expired = session.scalar(select(MailMessage).where(MailMessage.state == "expired"))
    assert (expired.sender, expired.subject, expired.from_line) == ("", "", "")
    assert [e.detail["reason"] for e in audit_actions(sessions, "intake.mail.expired")] == ["expediteur_invalide"]

    assert purge(sessions, maildir, delivered + 729 * DAY).taken == 0
    assert purge(sessions, maildir, delivered + 731 * DAY).taken == 1
    assert files(maildir / "cur") == []
