"""Files sent and responses collected through the browser, by the SFTP server's own code.

The portal never writes a spool file or a request row itself: it opens the provider's
:class:`~gateway.sftp.area.ProviderArea` (the jail, the name rules, the size limit, the inbox
quota and the disk floor, the durable placement and the group-committed registration of
:class:`~gateway.sftp.receipt.Reception`) and does what an SFTP client does: open
``/inbox/<name>`` for writing, write, close; delete ``/outbox/<response>`` to collect. Every
refusal is the SFTP error with its stable code, shown to the provider with its message.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import Clock, SystemClock
from gateway.exchange.runtime.reception import PART_SUFFIX, is_upload_name
from gateway.sftp.area import ProviderArea
from gateway.sftp.errors import NameRefused
from gateway.sftp.handles import Upload
from gateway.sftp.jail import Jail
from gateway.sftp.quota import InboxQuotas, QuotaValues
from gateway.sftp.receipt import Reception
from gateway.sftp.session import Who

#: tag of the portal's temp files: not a server process's, so the SFTP sweep judges them by age only
TEMP_TAG = "portal"
#: how the records name an upload through the portal (SFTP's are "publickey" and "password")
METHOD = "portal"


@dataclass(frozen=True)
class SentFile:
    """A file the browser sent and the gateway received."""

    name: str
    size: int


class BrowserReception:
    """The SFTP reception, used by the portal (one per process, shared by every request)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        inbox: Path,
        outbox: Path,
        max_bytes: int,
        quota: QuotaValues,
        durable: bool = True,
        clock: Clock | None = None,
    ) -> None:
        self._inbox = inbox
        self._outbox = outbox
        self.max_bytes = max_bytes
        self._clock = clock or SystemClock()
        self._reception = Reception(sessions, durable=durable, node="portal", clock=self._clock)
        self._quotas = InboxQuotas(quota)

    def area(self, provider_code: str, profession: str, address: str) -> ProviderArea:
        """The provider's two folders, as an SFTP session of this browser request sees them."""
        jail = Jail(self._inbox, self._outbox, provider_code)
        jail.prepare()
        who = Who(
            provider_code=provider_code,
            profession=profession,
            address=address,
            session_id=f"portal-{secrets.token_hex(6)}",
            method=METHOD,
            key_fingerprint="",
            started_at=self._clock.now(),
        )
        return ProviderArea(
            jail, self._reception, who, max_bytes=self.max_bytes, quotas=self._quotas, temp_tag=TEMP_TAG
        )

    def send(self, area: ProviderArea, name: str, chunks: Iterable[bytes]) -> SentFile:
        """Receives ``chunks`` as ``/inbox/<name>``: exactly an SFTP open, writes and close.

        Raises the SFTP errors (NameRefused, NameHeld, AlreadyExists, TooLarge, QuotaExceeded,
        LowDiskSpace, ReceptionFailed); nothing is left behind when it does.
        """
        check_name(name)
        handle = area.open(f"/inbox/{name}", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        assert isinstance(handle, Upload)
        offset = 0
        try:
            for chunk in chunks:
                handle.write(offset, chunk)
                offset += len(chunk)
        except BaseException:
            area.abort(handle)
            raise
        area.finish(handle)
        return SentFile(name, handle.size)

    def collect(self, area: ProviderArea, response_name: str) -> None:
        """Collects a response as an SFTP client does: deleting it from ``/outbox`` (the archive keeps its copy)."""
        area.remove(f"/outbox/{response_name}")


def check_name(name: str) -> None:
    """Raises :class:`NameRefused` (SFTP's own refusal) unless ``name`` may be uploaded; ``.part`` names
    are an SFTP client's way of uploading in two steps and make no sense here."""
    if not is_upload_name(name) or name.endswith(PART_SUFFIX):
        raise NameRefused(f"{name[:200]!r} is not an accepted file name", name=name[:200])
