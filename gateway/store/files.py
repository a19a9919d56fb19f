"""Crash-safe file writing: temp file, fsync, rename, fsync of the folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: prefix of temporary files; never a valid request file name (those cannot start with '.')
TEMP_PREFIX = ".tmp-"


def fsync_dir(path: Path) -> None:
    """Makes a rename or creation in folder ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, durable: bool = True, overwrite: bool = True) -> bool:
    """Writes ``data`` to ``path`` so that readers see the old file or the whole new one.

    With ``overwrite=False`` an existing ``path`` is left alone and False is returned (used
    for responses, which are never replaced). Returns True when the file was written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}-{path.name}")
    with open(temp, "xb") as handle:
        handle.write(data)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())
    try:
        if overwrite:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)  # fails if path exists: no replacement, no race
            except FileExistsError:
                return False
            finally:
                os.unlink(temp)
        if durable:
            fsync_dir(path.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True
