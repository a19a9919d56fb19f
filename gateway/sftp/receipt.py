"""Turning a complete upload into a received request file.

The bytes are already in the provider's inbox folder under a name no one else uses (an
``.upload-`` temp file, or a ``.part`` upload being renamed). :meth:`Reception.receive`
links them onto the final name (never over an existing file), makes that durable, and
registers the file with its audit event in a committed transaction (shared with other
sessions' closes: :mod:`gateway.sftp.registrar`). Only then is the client's close (or
rename) answered with success; if anything fails the final name is removed again and the
client gets an error.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import Clock, SystemClock
from gateway.exchange.faults import fault_point
from gateway.exchange.runtime.reception import NameHeld, name_is_held
from gateway.logs import get_logger
from gateway.metrics import FILES_RECEIVED, SFTP_UPLOAD_BYTES, SFTP_UPLOADS
from gateway.sftp.errors import AlreadyExists, ReceptionFailed
from gateway.sftp.registrar import SOURCE, Registrar, Registration
from gateway.sftp.session import Who
from gateway.store import audit
from gateway.store.db import engine_of, transaction
from gateway.store.files import fsync_dir

log = get_logger(__name__)


@dataclass(frozen=True)
class Receipt:
    """A received file, as registered."""

    request_id: int
    name: str
    size: int
    sha256: str


class Reception:
    """Puts uploads in place and registers them; shared by every session of a process."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        durable: bool,
        node: str = "",
        clock: Clock | None = None,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        self._sessions = sessions
        self._read_engine = engine_of(readers or sessions)
        self._node = node
        self._durable = durable
        self._clock = clock or SystemClock()
        self._registrar = Registrar(sessions, self._clock)

    @property
    def durable(self) -> bool:
        """True when uploads and their folder are fsynced before the close is answered."""
        return self._durable

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The database sessions registrations are written with."""
        return self._sessions

    def name_is_held(self, provider_code: str, name: str) -> bool:
        """True when ``name`` (or a name with the same response name) is held."""
        with self._read_engine.connect() as connection:  # asked at every open: no ORM session
            return name_is_held(connection, provider_code, name)

    def receive(
        self, who: Who, *, source: Path, final: Path, size: int, sha256: str, started: float, kind: str
    ) -> Receipt:
        """Links ``source`` onto ``final``, registers it, removes ``source``.

        ``kind`` is "upload" or "rename" (for the records). Raises AlreadyExists, NameHeld
        or ReceptionFailed; in every case nothing is left under ``final``.
        """
        try:
            os.link(source, final, follow_symlinks=False)
        except FileExistsError:
            raise AlreadyExists(f"{final.name} already exists in /inbox", name=final.name) from None
        except OSError as exc:
            raise ReceptionFailed(f"cannot place {final.name}: {exc.strerror}", name=final.name) from None
        try:
            if self._durable:
                fsync_dir(final.parent)
            fault_point("sftp_after_link")
            request_id = self._registrar.register(
                Registration(who=who, name=final.name, size=size, sha256=sha256, started=started, kind=kind)
            )
        except BaseException:
            final.unlink(missing_ok=True)
            raise
        receipt = Receipt(request_id, final.name, size, sha256)
        source.unlink(missing_ok=True)
        FILES_RECEIVED.labels(source=SOURCE).inc()
        SFTP_UPLOADS.labels(result="received").inc()
        SFTP_UPLOAD_BYTES.inc(size)
        log.info(
            "file received",
            file=final.name,
            bytes=size,
            sha256=sha256,
            via=kind,
            duration_s=round(time.monotonic() - started, 3),
            result="received",
            node=self._node,
            **who.log_fields(),
        )
        return receipt

    def record(self, who: Who, action: str, *, target: str, outcome: str = "ok", **detail: object) -> None:
        """Writes one audit event of this session in its own transaction (never raises)."""
        try:
            with transaction(self._sessions) as session:
                audit.record(
                    session,
                    actor=who.actor,
                    action=action,
                    target_type="sftp",
                    target_id=target,
                    address=who.address,
                    outcome=outcome,
                    sftp_session=who.session_id,
                    key=who.key_fingerprint,
                    **detail,
                )
        except Exception:  # a lost audit line must not break the provider's session
            log.exception("audit record failed", action=action, **who.log_fields())


__all__ = ["NameHeld", "Receipt", "Reception"]
