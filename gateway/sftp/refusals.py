"""Refused SFTP operations: what each refusal means, and its record in the audit trail.

OpenSSH's ``sftp`` shows "Permission denied" or "No such file" whatever the reason (other
clients show the status text too). So that the helpdesk can say why, every refused operation
of a logged-in session is recorded as an ``sftp.refused`` audit event: the provider (actor),
the address, the operation, the folder and file name, the refusal code (``outcome``) and the
message the client received.

A provider's software can make many refusals (a loop retrying a bad name), and each record is
a database write. :class:`RefusalRecorder` bounds them per session: a repeat of the same
refusal (operation, path, code) is counted on its first record rather than recorded again,
and past ``sftp.max_refusals_recorded_per_session`` distinct refusals nothing more is written
until the session ends, when one ``sftp.refused.unrecorded`` event says how many were left
out.

:data:`REFUSALS` is the one table of what each code means for a provider; docs/sftp.md and
the helpdesk page say the same.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from gateway import texts
from gateway.logs import get_logger
from gateway.sftp.session import Who
from gateway.store import audit
from gateway.store.db import transaction
from gateway.textsafe import safe_text

log = get_logger(__name__)

ACTION = "sftp.refused"
UNRECORDED_ACTION = "sftp.refused.unrecorded"


@dataclass(frozen=True)
class Refusal:
    """What a refusal code means: the status OpenSSH's ``sftp`` shows, and an explanation."""

    code: str
    #: the SFTP status as OpenSSH's sftp prints it
    status: str

    @property
    def meaning_fr(self) -> str:
        """What it means, in French (catalogue id ``refusal.meaning.<code>``)."""
        return texts.gettext("fr", f"refusal.meaning.{self.code}")

    @property
    def meaning_en(self) -> str:
        """What it means, in English."""
        return texts.gettext("en", f"refusal.meaning.{self.code}")


_DENIED, _NO_FILE, _FAILURE, _UNSUPPORTED = "Permission denied", "No such file", "Failure", "Operation unsupported"

#: refusal code -> what it means for the provider (the one table; docs/sftp.md follows it)
REFUSALS: dict[str, Refusal] = {
    r.code: r
    for r in (
        Refusal("SFTP-NAME", _DENIED),
        Refusal("SFTP-EXISTS", _DENIED),
        Refusal("SFTP-NAME-HELD", _DENIED),
        Refusal("SFTP-DENIED", _DENIED),
        Refusal("SFTP-NO-SUCH-FILE", _NO_FILE),
        Refusal("SFTP-TOO-LARGE", _FAILURE),
        Refusal("SFTP-QUOTA", _FAILURE),
        Refusal("SFTP-DISK-FULL", _FAILURE),
        Refusal("SFTP-HANDLES", _FAILURE),
        Refusal("SFTP-RECEPTION", _FAILURE),
        Refusal("SFTP-UNSUPPORTED", _UNSUPPORTED),
        Refusal("SFTP-BAD-HANDLE", _FAILURE),
        Refusal("SFTP-000", _FAILURE),
    )
}


def refusal(code: str) -> Refusal:
    """What ``code`` means (the internal-error entry for an unknown code)."""
    return REFUSALS.get(code) or REFUSALS["SFTP-000"]


def split_path(path: str) -> tuple[str, str]:
    """``(folder, name)`` of an SFTP path as the provider wrote it: ``inbox/X.xml`` ->
    ``("inbox", "X.xml")``; a bare name is in ``/``."""
    parts = [p for p in path.split("/") if p and p != "."]
    if not parts:
        return "/", ""
    if len(parts) == 1:
        return "/", parts[0]
    return "/".join(parts[:-1]), parts[-1]


class RefusalRecorder:
    """The refusals of one SFTP session, written to the audit trail within bounds."""

    def __init__(self, sessions: sessionmaker[Session], who: Who, *, max_recorded: int) -> None:
        self._sessions = sessions
        self.who = who
        self.max_recorded = max_recorded
        self._recorded: dict[tuple[str, str, str, str], list[int]] = {}  # key -> [event id, repeats]
        self.unrecorded = 0
        self._lock = threading.Lock()

    def note(self, *, operation: str, path: str, code: str, message: str, target: str = "") -> None:
        """Records one refused operation (or counts it, when a repeat or past the bound)."""
        folder, name = split_path(safe_text(path))
        key = (operation, folder, name, code)
        with self._lock:
            seen = self._recorded.get(key)
            if seen is not None:
                seen[1] += 1
                return
            if len(self._recorded) >= self.max_recorded:
                self.unrecorded += 1
                return
            self._recorded[key] = seen = [0, 0]
        detail = {
            "operation": operation,
            "folder": folder,
            "name": name,
            "code": code,
            "message": safe_text(message),
            "sftp_session": self.who.session_id,
        }
        if target:
            detail["to"] = safe_text(target)
        try:
            with transaction(self._sessions) as session:
                event = audit.record(
                    session,
                    actor=self.who.actor,
                    action=ACTION,
                    target_type="provider",
                    target_id=self.who.provider_code,
                    address=self.who.address,
                    outcome=code[:20],
                    **detail,
                )
                session.flush()
                seen[0] = event.id
        except Exception:  # the refusal itself is answered whatever happens here
            log.exception("refusal record failed", code=code)

    def finish(self) -> None:
        """At the session's end: repeats onto their records, and how many were left out."""
        with self._lock:
            repeated = [(event_id, n) for event_id, n in self._recorded.values() if event_id and n]
            unrecorded, self.unrecorded = self.unrecorded, 0
            for seen in self._recorded.values():
                seen[1] = 0
        if not repeated and not unrecorded:
            return
        try:
            with transaction(self._sessions) as session:
                for event_id, n in repeated:
                    audit.add_detail(session, event_id, repeats=n)
                if unrecorded:
                    audit.record(
                        session,
                        actor=self.who.actor,
                        action=UNRECORDED_ACTION,
                        target_type="provider",
                        target_id=self.who.provider_code,
                        address=self.who.address,
                        outcome="capped",
                        count=unrecorded,
                        limit=self.max_recorded,
                        sftp_session=self.who.session_id,
                    )
        except Exception:
            log.exception("refusal summary failed")
