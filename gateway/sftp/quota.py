"""Disk an upload may use: each provider's inbox quota and the filesystem's free-space floor.

What counts against a provider is everything in its inbox folder: files waiting to be checked,
``.part`` uploads and uploads in progress (their temp files, at their current size). A new
upload is refused when the folder already holds ``max_files`` files or ``max_bytes`` bytes;
a write that would take the folder past ``max_bytes`` fails like an over-size write (the
upload is dropped). Whatever the quotas, no upload starts or grows while the filesystem has
less than ``min_free_bytes`` free.

One :class:`InboxQuotas` serves every session of a process. It measures a folder (one
``scandir``) at most once per ``refresh_s`` and counts this process's own opens and writes in
between, so a session of many small files does not rescan the folder for each (an upload dropped
before it was placed gives its file and bytes back at once). What other
processes and nodes add, and what the workers take away, is seen at the next measure: the
quota may be passed by what they wrote in that interval, no more.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gateway.sftp.errors import LowDiskSpace, QuotaExceeded

_MIB = 1024 * 1024


@dataclass(frozen=True)
class QuotaValues:
    """The limits, as plain values (from SftpSettings)."""

    max_bytes: int
    max_files: int
    min_free_bytes: int


@dataclass
class _Usage:
    bytes: int = 0
    files: int = 0
    measured_at: float = float("-inf")
    lock: threading.Lock | None = None


def measure(folder: Path) -> tuple[int, int]:
    """(bytes, files) of the regular files in ``folder`` (symlinks and folders not counted)."""
    total = count = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # taken by a worker meanwhile
                    continue
                if stat.S_ISREG(st.st_mode):
                    total += st.st_size
                    count += 1
    except FileNotFoundError:
        pass
    return total, count


def free_bytes(folder: Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem of ``folder``."""
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def _mib(n: int) -> str:
    return f"{n / _MIB:.0f} MiB" if n >= _MIB else f"{n} bytes"


class InboxQuotas:
    """Checks uploads against their provider's quota and the free-space floor (thread-safe)."""

    def __init__(
        self, values: QuotaValues, *, refresh_s: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.values = values
        self._refresh = refresh_s
        self._clock = clock
        self._usage: dict[Path, _Usage] = {}
        self._lock = threading.Lock()

    def start_upload(self, folder: Path) -> None:
        """A new upload into ``folder``: raises QuotaExceeded or LowDiskSpace, else counts it."""
        self._check_free(folder, 0)
        usage = self._current(folder)
        assert usage.lock is not None
        with usage.lock:
            if usage.files >= self.values.max_files:
                raise QuotaExceeded(
                    f"inbox full: {usage.files} files waiting (at most {self.values.max_files}); "
                    "upload again once the gateway has taken some / "
                    f"boîte de dépôt pleine : {usage.files} fichiers en attente (au plus {self.values.max_files}) ; "
                    "déposez à nouveau quand la passerelle en aura pris",
                    files=usage.files,
                    limit=self.values.max_files,
                )
            if usage.bytes >= self.values.max_bytes:
                raise self._over_bytes(usage.bytes)
            usage.files += 1

    def grow(self, folder: Path, added: int) -> None:
        """An upload in ``folder`` grows by ``added`` bytes: raises past the quota or the floor."""
        self._check_free(folder, added)
        usage = self._current(folder)
        assert usage.lock is not None
        with usage.lock:
            if usage.bytes + added > self.values.max_bytes:
                raise self._over_bytes(usage.bytes + added)
            usage.bytes += added

    def release(self, folder: Path, size: int) -> None:
        """An upload counted in ``folder`` was dropped (refused, broken): its file and bytes are free."""
        usage = self._current(folder)
        assert usage.lock is not None
        with usage.lock:  # a measure taken since may already have missed it: never below zero
            usage.bytes = max(0, usage.bytes - size)
            usage.files = max(0, usage.files - 1)

    def _over_bytes(self, wanted: int) -> QuotaExceeded:
        limit = _mib(self.values.max_bytes)
        return QuotaExceeded(
            f"inbox full: this upload would take it to {_mib(wanted)} (at most {limit}); "
            "upload again once the gateway has taken some files / "
            f"boîte de dépôt pleine : ce dépôt la porterait à {_mib(wanted)} (au plus {limit}) ; "
            "déposez à nouveau quand la passerelle aura pris des fichiers",
            bytes=wanted,
            limit=self.values.max_bytes,
        )

    def _check_free(self, folder: Path, added: int) -> None:
        if free_bytes(folder) - added < self.values.min_free_bytes:
            raise LowDiskSpace(
                "the gateway is short of disk space: uploads are refused for now, try again later / "
                "la passerelle manque d'espace disque : les dépôts sont refusés pour l'instant, réessayez plus tard",
                floor=self.values.min_free_bytes,
            )

    def _current(self, folder: Path) -> _Usage:
        with self._lock:
            usage = self._usage.get(folder)
            if usage is None:
                usage = self._usage[folder] = _Usage(lock=threading.Lock())
        assert usage.lock is not None
        now = self._clock()
        if now - usage.measured_at >= self._refresh:
            with usage.lock:
                if now - usage.measured_at >= self._refresh:
                    usage.bytes, usage.files = measure(folder)
                    usage.measured_at = now
        return usage
