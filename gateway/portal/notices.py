"""E-mails providers chose in the portal: "a response is ready", and a daily digest of rejected files.

One pass (:meth:`Notices.run_once`) every ``interval`` seconds, in the portal role:

- for each account with "response ready" on and a contact address, the files answered after its
  ``notified_until`` mark get one message (grouped when several are ready at once); the mark
  moves forward in a conditional UPDATE before the message goes out, so two portal nodes
  never both send it (a message lost to a mail server that is down is logged, not retried);
- once a local day, after ``digest_hour``, each account with the digest on gets the list of its
  files rejected the day before (no message when there was none), marked by ``digest_sent_on``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway import texts
from gateway.intake.notify import Notifier, OutgoingMessage
from gateway.logs import get_logger
from gateway.portal.settings import bilingual_subject
from gateway.store.db import affected, transaction
from gateway.store.models.exchange import RequestFile
from gateway.store.models.portal import PortalAccount

log = get_logger(__name__)
#: files named in one message at most (the rest: "and N more", the portal lists them all)
MAX_LISTED = 50


class Notices:
    """Sends the notifications providers chose; a :class:`gateway.service.Service`."""

    name = "portal-notices"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        notifier: Notifier,
        *,
        portal_url: str,
        timezone: str,
        clock: Callable[[], dt.datetime],
        interval: float = 30.0,
        digest_hour: int = 7,
    ) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._url = portal_url.rstrip("/")
        self._zone = ZoneInfo(timezone)
        self._now = clock
        self._interval = interval
        self._digest_hour = digest_hour
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a failed pass (database away) is retried at the next one
                log.exception("portal notifications pass failed")
            self._stop.wait(self._interval)

    def run_once(self) -> int:
        """One pass; returns the messages sent."""
        return self._responses() + self._digests()

    # ----------------------------------------------------------------- responses ready

    def _responses(self) -> int:
        sent = 0
        with self._sessions() as session:
            accounts = list(
                session.execute(
                    select(
                        PortalAccount.provider_code, PortalAccount.contact_email, PortalAccount.notified_until
                    ).where(PortalAccount.notify_response.is_(True), PortalAccount.contact_email != "")
                )
            )
        for code, email, mark in accounts:
            with self._sessions() as session:
                query = select(RequestFile.id, RequestFile.name, RequestFile.status, RequestFile.answered_at).where(
                    RequestFile.provider_code == code, RequestFile.answered_at.is_not(None)
                )
                if mark is not None:
                    query = query.where(RequestFile.answered_at > mark)
                files = list(session.execute(query.order_by(RequestFile.answered_at)))
            if not files:
                continue
            new_mark = max(f.answered_at for f in files)
            with transaction(self._sessions) as session:
                claimed = affected(
                    session.execute(
                        update(PortalAccount)
                        .where(
                            PortalAccount.provider_code == code,
                            PortalAccount.notified_until.is_(None)
                            if mark is None
                            else PortalAccount.notified_until == mark,
                        )
                        .values(notified_until=new_mark)
                        .execution_options(synchronize_session=False)
                    )
                )
            if claimed != 1:  # another node took them
                continue
            lines = [f"- {f.name}: {f.status or '?'} — {self._url}/files/{f.id}" for f in files[:MAX_LISTED]]
            if len(files) > MAX_LISTED:
                lines.append(f"- … (+{len(files) - MAX_LISTED})")
            listing = "\n".join(lines)
            body_fr, body_en = texts.both("portal.mail.ready.body", listing=listing)
            sent += self._notifier.deliver(
                OutgoingMessage(
                    to=email,
                    reference=code,
                    topic=bilingual_subject("portal.mail.ready.subject"),
                    body_fr=body_fr,
                    body_en=body_en,
                )
            )
        return sent

    # ----------------------------------------------------------------- daily digest

    def _digests(self) -> int:
        local = self._now().astimezone(self._zone)
        if local.hour < self._digest_hour:
            return 0
        today = local.date()
        yesterday = today - dt.timedelta(days=1)
        start = dt.datetime.combine(yesterday, dt.time(), self._zone).astimezone(dt.UTC)
        end = dt.datetime.combine(today, dt.time(), self._zone).astimezone(dt.UTC)
        sent = 0
        with self._sessions() as session:
            accounts = list(
                session.execute(
                    select(PortalAccount.provider_code, PortalAccount.contact_email).where(
                        PortalAccount.notify_digest.is_(True),
                        PortalAccount.contact_email != "",
                        or_(PortalAccount.digest_sent_on.is_(None), PortalAccount.digest_sent_on < today),
                    )
                )
            )
        for code, email in accounts:
            with transaction(self._sessions) as session:
                claimed = affected(
                    session.execute(
                        update(PortalAccount)
                        .where(
                            PortalAccount.provider_code == code,
                            or_(PortalAccount.digest_sent_on.is_(None), PortalAccount.digest_sent_on < today),
                        )
                        .values(digest_sent_on=today)
                        .execution_options(synchronize_session=False)
                    )
                )
            if claimed != 1:
                continue
            with self._sessions() as session:
                files = list(
                    session.execute(
                        select(RequestFile.id, RequestFile.name)
                        .where(
                            RequestFile.provider_code == code,
                            RequestFile.status == "REJETE",
                            RequestFile.received_at >= start,
                            RequestFile.received_at < end,
                        )
                        .order_by(RequestFile.id)
                    )
                )
            if not files:
                continue
            listing = "\n".join(f"- {f.name} — {self._url}/files/{f.id}" for f in files[:MAX_LISTED])
            body_fr, body_en = texts.both("portal.mail.digest.body", day=yesterday, listing=listing)
            sent += self._notifier.deliver(
                OutgoingMessage(
                    to=email,
                    reference=code,
                    topic=bilingual_subject("portal.mail.digest.subject", day=yesterday),
                    body_fr=body_fr,
                    body_en=body_en,
                )
            )
        return sent
