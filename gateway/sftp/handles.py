"""Open files of an SFTP session: uploads into /inbox and reads.

An :class:`Upload` writes under ``.upload-<node tag>-<random>`` in the provider's inbox folder
(same filesystem, so the final link is atomic; the leading dot keeps it out of listings and it
can never look like a request file; the tag names the server process, so that temp files of a
process that died can be told from live ones: :mod:`gateway.sftp.sweep`). Size and SHA-256
are computed while writing when writes arrive in order (OpenSSH and paramiko clients do),
otherwise by reading the file at close. The size limit and the disk quota
(:mod:`gateway.sftp.quota`) are checked on every write that grows the file: the first write
beyond either fails, removes the file, and the close then fails too.

``finish`` is the client's close; ``abort`` is the session ending with the handle still open
(a broken upload: removed, nothing registered). Both are idempotent.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from paramiko import SFTPAttributes

from gateway.sftp.errors import BadHandle, NoSuchFile, SftpError, TooLarge
from gateway.store.files import FILE_MODE

#: prefix of upload temp files (never a valid upload name: those cannot start with '.')
UPLOAD_PREFIX = ".upload-"
_CHUNK = 1 << 20


def temp_name(tag: str) -> str:
    """A new temp file name of the server process tagged ``tag``."""
    return f"{UPLOAD_PREFIX}{tag}-{secrets.token_hex(8)}"


def temp_tag(name: str) -> str | None:
    """The process tag of a temp file name (None for names of other forms)."""
    if not name.startswith(UPLOAD_PREFIX):
        return None
    tag, dash, _random = name[len(UPLOAD_PREFIX) :].rpartition("-")
    return tag if dash and tag else None


class UploadState(StrEnum):
    OPEN = "open"
    FAILED = "failed"  # too large or over quota: the file is gone, the close will fail
    FINISHED = "finished"  # closed by the client (received, or refused at close)
    ABORTED = "aborted"  # the session ended first


def attributes(st: os.stat_result, name: str = "") -> SFTPAttributes:
    """SFTP attributes of a file or folder; owner ids are not shown (they mean nothing here)."""
    attrs = SFTPAttributes.from_stat(st, name)
    attrs.st_uid = attrs.st_gid = 0
    return attrs


class Upload:
    """A file being uploaded into /inbox."""

    kind = "upload"

    def __init__(
        self,
        folder: Path,
        name: str,
        *,
        max_bytes: int,
        durable: bool,
        on_complete: Callable[[Upload], None],
        tag: str,
        on_grow: Callable[[int], None] | None = None,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        self.name = name
        self.folder = folder
        self.temp = folder / temp_name(tag)
        self.max_bytes = max_bytes
        self.durable = durable
        self.started = time.monotonic()
        self.size = 0
        self.state = UploadState.OPEN
        self._on_complete = on_complete
        self._on_grow = on_grow
        #: told the size of an upload removed without being placed (what it no longer uses)
        self._on_drop = on_drop
        self._placed = False
        self._failure: SftpError | None = None
        self._hash = hashlib.sha256()
        self._hashed = 0
        self._in_order = True
        self._fd: int | None = os.open(
            self.temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
        )

    @property
    def sftp_path(self) -> str:
        """The path as the provider sees it (uploads always go to /inbox)."""
        return f"inbox/{self.name}"

    def write(self, offset: int, data: bytes) -> None:
        """Writes ``data`` at ``offset``; raises TooLarge past the limit (and drops the file)."""
        if self._failure is not None:
            raise self._failure
        if self.state is not UploadState.OPEN or self._fd is None:
            raise BadHandle("handle is closed")
        end = offset + len(data)
        if end > self.max_bytes:
            self._fail(
                TooLarge(
                    f"{self.name} is larger than {self.max_bytes} bytes: upload refused",
                    name=self.name,
                    limit=self.max_bytes,
                )
            )
        if end > self.size and self._on_grow is not None:
            try:
                self._on_grow(end - self.size)
            except SftpError as exc:
                self._fail(exc)
        written = os.pwrite(self._fd, data, offset)
        while written < len(data):  # short writes are rare but allowed by POSIX
            written += os.pwrite(self._fd, data[written:], offset + written)
        if self._in_order and offset == self._hashed:
            self._hash.update(data)
            self._hashed = end
        elif data:
            self._in_order = False
        self.size = max(self.size, end)

    def read(self, offset: int, length: int) -> bytes:
        raise BadHandle("this handle was opened for writing")

    def stat(self) -> SFTPAttributes:
        if self._fd is None:
            raise BadHandle("handle is closed")
        return attributes(os.fstat(self._fd), self.name)

    def digest(self) -> str:
        """SHA-256 of the bytes written (re-read from disk when writes came out of order)."""
        if self._in_order and self._hashed == self.size:
            return self._hash.hexdigest()
        assert self._fd is not None
        whole = hashlib.sha256()
        offset = 0
        while chunk := os.pread(self._fd, _CHUNK, offset):
            whole.update(chunk)
            offset += len(chunk)
        return whole.hexdigest()

    def finish(self) -> None:
        """The client's close: completes the upload through ``on_complete`` or raises."""
        if self._failure is not None:
            self.state = UploadState.FINISHED
            raise self._failure
        if self.state is not UploadState.OPEN:
            return
        self.state = UploadState.FINISHED
        try:
            assert self._fd is not None
            self.sha256 = self.digest()
            if self.durable:
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            self._on_complete(self)
            self._placed = True
        finally:
            self._discard(UploadState.FINISHED)

    def abort(self) -> bool:
        """The session ended with the upload open: removes it. True if there was one to drop."""
        if self.state is not UploadState.OPEN:
            return False
        self._discard(UploadState.ABORTED)
        return True

    def _fail(self, error: SftpError) -> None:
        """Drops the upload for good: this write, later writes and the close all fail with ``error``."""
        self._failure = error
        self._discard(UploadState.FAILED)
        raise error

    def _discard(self, state: UploadState) -> None:
        self.state = state
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.temp.unlink(missing_ok=True)
        if not self._placed and self._on_drop is not None:
            self._on_drop(self.size)
            self._on_drop = None  # once


class Reader:
    """A file opened for reading (a response in /outbox, or a pending file in /inbox)."""

    kind = "download"

    def __init__(self, path: Path, sftp_path: str) -> None:
        self.name = path.name
        self.sftp_path = sftp_path
        self.started = time.monotonic()
        self.sent = 0
        #: bytes from the start read without a gap (a download is complete when it reaches the size)
        self.read_to = 0
        self.closed = False
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:  # absent, a symlink (ELOOP), unreadable: all the same to the client
            raise NoSuchFile("no such file", path=sftp_path) from None
        if not stat.S_ISREG(os.fstat(self._fd).st_mode):
            os.close(self._fd)
            raise NoSuchFile("no such file", path=sftp_path)

    def read(self, offset: int, length: int) -> bytes:
        if self.closed:
            raise BadHandle("handle is closed")
        data = os.pread(self._fd, min(length, 1 << 18), offset)
        self.sent += len(data)
        if offset <= self.read_to:  # pipelined reads arrive in order; a gap is not a whole read
            self.read_to = max(self.read_to, offset + len(data))
        return data

    @property
    def complete(self) -> bool:
        """Whether every byte of the file was read (checked while the handle is open)."""
        return not self.closed and self.read_to >= os.fstat(self._fd).st_size

    def write(self, offset: int, data: bytes) -> None:
        raise BadHandle("this handle was opened for reading")

    def stat(self) -> SFTPAttributes:
        if self.closed:
            raise BadHandle("handle is closed")
        return attributes(os.fstat(self._fd), self.name)

    def finish(self) -> None:
        self.abort()

    def abort(self) -> bool:
        if self.closed:
            return False
        self.closed = True
        os.close(self._fd)
        return False
