"""Removing what uploads leave behind: old ``.part`` files and orphaned temp files."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from gateway.exchange.reception import PART_SUFFIX
from gateway.sftp.handles import UPLOAD_PREFIX


def sweep_inbox(inbox_root: Path, *, part_max_age: float, temp_max_age: float,
                now: float | None = None) -> list[Path]:
    """Deletes ``*.part`` older than ``part_max_age`` and ``.upload-*`` older than ``temp_max_age``.

    Ages are from the last modification. Symlinks are never followed. Returns what was removed.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    if not inbox_root.is_dir():
        return removed
    with os.scandir(inbox_root) as providers:
        folders = [Path(e.path) for e in providers if e.is_dir(follow_symlinks=False)]
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(PART_SUFFIX):
                limit = part_max_age
            elif entry.name.startswith(UPLOAD_PREFIX):
                limit = temp_max_age
            else:
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > limit:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except FileNotFoundError:
                continue
    return removed
