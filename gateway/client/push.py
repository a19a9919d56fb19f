"""``push``: upload request files so that the server never sees half of one.

Each file goes up under a temporary name ``<name>.<random>.part`` (the server never processes
a ``.part``) and is then renamed onto its final name: with ``posix-rename@openssh.com`` when the
server offers it, else with a plain SFTP rename. Running a push again finishes what an
interrupted one left:

- the final name already in ``/inbox`` with the same size: the file was received, nothing to do;
- a ``<name>.*.part`` of the file's full size (the upload ended, the rename did not happen):
  it is renamed (a provider cannot delete from ``/inbox``, so it cannot be removed anyway);
- a shorter ``.part`` (the gateway removes a cut-off upload, another server may not): left
  alone, and the upload starts again under a fresh temporary name;
- the rename was sent but its answer lost: the ``.part`` is gone, so the rename took place.
"""

from __future__ import annotations

import errno
import posixpath
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gateway.client.connection import Connection, Retrying
from gateway.client.errors import ClientError, RemoteRefused
from gateway.exchange.runtime.reception import PART_SUFFIX

INBOX = "/inbox"

#: progress(name, bytes_done, bytes_total)
Progress = Callable[[str, int, int], None]


class PushResult(StrEnum):
    """How a push of one file ended."""

    UPLOADED = "uploaded"
    #: an earlier push had uploaded it; its .part was renamed now
    RESUMED = "resumed"
    #: it was already in /inbox (an earlier push completed)
    ALREADY_RECEIVED = "already received"


@dataclass(frozen=True)
class Pushed:
    """One file pushed."""

    name: str
    size: int
    result: PushResult
    temporary: str | None
    posix_rename: bool


class FilePush:
    """Pushes one local file; call :meth:`run` again after a network failure to finish it."""

    def __init__(self, path: Path, *, progress: Progress | None = None, inbox: str = INBOX) -> None:
        try:
            self.size = path.stat().st_size
        except OSError as exc:
            raise ClientError(f"cannot read {path}: {exc.strerror or exc}", code="CLT-FILE", path=str(path)) from None
        self.path = path
        self.name = path.name
        self.inbox = inbox
        self._progress = progress
        #: the temporary name used by the last attempt, and whether its rename was sent
        self._temporary: str | None = None
        self._rename_sent = False

    def _remote(self, name: str) -> str:
        return posixpath.join(self.inbox, name)

    def run(self, connection: Connection) -> Pushed:
        """One attempt: look at /inbox, upload what is missing, rename."""
        sftp = connection.sftp
        listing = {entry.filename: entry.st_size for entry in sftp.listdir_attr(self.inbox)}
        if self.name in listing:
            if listing[self.name] != self.size:
                raise RemoteRefused(
                    f"/inbox already holds a different {self.name} ({listing[self.name]} bytes, "
                    f"this one has {self.size})",
                    name=self.name,
                )
            result = PushResult.UPLOADED if self._rename_sent else PushResult.ALREADY_RECEIVED
            return self._done(connection, result)
        if self._rename_sent and self._temporary is not None and self._temporary not in listing:
            # The rename was sent and the .part is gone: the server did rename it (and has
            # maybe already taken the file for checking, so it left /inbox).
            return self._done(connection, PushResult.UPLOADED)

        complete = sorted(
            name
            for name, size in listing.items()
            if name.startswith(f"{self.name}.") and name.endswith(PART_SUFFIX) and size == self.size
        )
        if complete:
            temporary, resumed = complete[0], True
        else:
            temporary = f"{self.name}.{secrets.token_hex(4)}{PART_SUFFIX}"
            resumed = False
            self._temporary, self._rename_sent = temporary, False
            self._upload(connection, temporary)
        self._temporary = temporary
        self._rename(connection, temporary)
        return self._done(connection, PushResult.RESUMED if resumed else PushResult.UPLOADED)

    def _upload(self, connection: Connection, temporary: str) -> None:
        def callback(done: int, total: int) -> None:
            if self._progress is not None:
                self._progress(self.name, done, self.size)

        if self._progress is not None:
            self._progress(self.name, 0, self.size)
        with open(self.path, "rb") as handle:
            # confirm=True: paramiko compares the remote size with what was sent
            connection.sftp.putfo(handle, self._remote(temporary), file_size=self.size, callback=callback, confirm=True)

    def _rename(self, connection: Connection, temporary: str) -> None:
        self._rename_sent = True
        old, new = self._remote(temporary), self._remote(self.name)
        try:
            if connection.posix_rename:
                connection.sftp.posix_rename(old, new)
            else:
                connection.sftp.rename(old, new)
        except OSError as exc:
            if not connection.alive:
                raise  # the network broke: the caller retries
            hint = " (the name is held until its response is collected)" if exc.errno == errno.EACCES else ""
            raise RemoteRefused(
                f"the server refused to rename {temporary} onto {self.name}: {exc.strerror or exc}{hint}",
                name=self.name,
                temporary=temporary,
            ) from None

    def _done(self, connection: Connection, result: PushResult) -> Pushed:
        if self._progress is not None:
            self._progress(self.name, self.size, self.size)
        return Pushed(self.name, self.size, result, self._temporary, connection.posix_rename)


def push_files(
    paths: list[Path],
    retrying: Retrying,
    *,
    progress: Progress | None = None,
    on_pushed: Callable[[Path, Pushed], None] | None = None,
) -> list[Pushed]:
    """Pushes ``paths`` in order over ``retrying``'s connection; stops at the first refusal.

    Order matters: the server judges a provider's sequence numbers in the order it receives
    files. ``on_pushed`` is called after each file (to record it locally before the next).
    """
    results = []
    for path in paths:
        push = FilePush(path, progress=progress)
        pushed = retrying.run(push.run)
        if on_pushed is not None:
            on_pushed(path, pushed)
        results.append(pushed)
    return results
