"""Crash-safe, private file writing: temp file, fsync, rename, fsync of the folder.

Everything the gateway keeps is personal data (matricules, IBANs, documents, messages), so
every file it creates is ``0600`` and every folder ``0700``, whatever the umask: the modes
are given to ``open`` and ``mkdir`` here rather than left to the umask of whoever started
the process. The SFTP server, the workers and the web interface run as the same user, so
they still read what the others wrote.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: prefix of temporary files; never a valid request file name (those cannot start with '.')
TEMP_PREFIX = ".tmp-"
#: mode of every file the gateway creates: owner read and write, nobody else
FILE_MODE = 0o600
#: mode of every folder the gateway creates: owner only
FOLDER_MODE = 0o700


def make_folder(path: Path) -> Path:
    """Creates ``path`` and its missing parents as private folders; returns ``path``.

    Like ``path.mkdir(parents=True, exist_ok=True)``, except that the parents get
    :data:`FOLDER_MODE` too (``Path.mkdir`` gives them the umask's default). Folders that
    already exist keep their mode: ``check-config`` and ``/status`` report open ones.
    """
    path = Path(path)
    try:
        os.mkdir(path, FOLDER_MODE)
    except FileNotFoundError:
        if path.parent == path:
            raise
        make_folder(path.parent)
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:
            if not path.is_dir():
                raise
    except FileExistsError:
        if not path.is_dir():
            raise
    return path


def private_opener(path: str, flags: int) -> int:
    """``opener`` for :func:`open` that creates the file with :data:`FILE_MODE`."""
    return os.open(path, flags, FILE_MODE)


def fsync_dir(path: Path) -> None:
    """Makes a rename or creation in folder ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, durable: bool = True, overwrite: bool = True) -> bool:
    """Writes ``data`` to ``path`` so that readers see the old file or the whole new one.

    The file is created with :data:`FILE_MODE` and missing folders with :data:`FOLDER_MODE`.
    With ``overwrite=False`` an existing ``path`` is left alone and False is returned (used
    for responses, which are never replaced). Returns True when the file was written.
    """
    make_folder(path.parent)
    temp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}-{path.name}")
    with open(temp, "xb", opener=private_opener) as handle:
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
