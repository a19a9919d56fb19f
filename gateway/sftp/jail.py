"""The jail: the one function that turns an SFTP path into a place on disk.

A provider sees ``/``, ``/inbox`` and ``/outbox``; the two folders are
``<inbox root>/<code>`` and ``<outbox root>/<code>``. Paths are normalised lexically, as a
chroot would (``..`` stops at ``/``), and the file name is then checked against the upload
pattern, which has no separators, no leading dot, nothing but ASCII letters, digits, ``.``,
``_`` and ``-``. So no input (``..``, absolute paths, ``%2e%2e``, unicode look-alikes, NUL,
very long paths) can name anything outside the provider's two folders. Symlinks planted in
the spool are handled where files are opened (``O_NOFOLLOW``, regular files only).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gateway.exchange.runtime.reception import UPLOAD_NAME
from gateway.sftp.errors import NameRefused, NoSuchFile
from gateway.store.files import make_folder

#: longest SFTP path considered at all (OpenSSH's PATH_MAX is 4096; names are <= 200)
MAX_PATH = 1024


class Area(StrEnum):
    """The three places a provider can name."""

    ROOT = "/"
    INBOX = "inbox"
    OUTBOX = "outbox"


@dataclass(frozen=True)
class Location:
    """A resolved SFTP path: an area, and a file name in it (None for the folder itself)."""

    area: Area
    name: str | None
    #: the place on disk (the folder for a folder; the root has none)
    path: Path | None

    @property
    def sftp_path(self) -> str:
        """The canonical SFTP path, e.g. ``/inbox/LAB_FACT_....xml``."""
        if self.area is Area.ROOT:
            return "/"
        return f"/{self.area}" if self.name is None else f"/{self.area}/{self.name}"

    @property
    def is_folder(self) -> bool:
        return self.name is None

    @property
    def file_path(self) -> Path:
        """The place on disk of a file (callers have checked that it is not a folder)."""
        if self.name is None or self.path is None:
            raise NoSuchFile("not a file", path=self.sftp_path)
        return self.path

    @property
    def file_name(self) -> str:
        """The name of a file (callers have checked that it is not a folder)."""
        if self.name is None:
            raise NoSuchFile("not a file", path=self.sftp_path)
        return self.name


def normalise(sftp_path: str) -> list[str]:
    """The path's components after lexical ``.``/``..`` handling, relative to ``/``."""
    if "\x00" in sftp_path or len(sftp_path) > MAX_PATH:
        raise NoSuchFile("no such file", path=sftp_path[:200])
    parts: list[str] = []
    for part in sftp_path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return parts


class Jail:
    """The two folders of one provider; :meth:`resolve` is the only way to reach them."""

    def __init__(self, inbox_root: Path, outbox_root: Path, provider_code: str) -> None:
        if not (provider_code.isascii() and provider_code.isdigit()):
            raise ValueError(f"not a provider code: {provider_code!r}")  # auth guarantees this
        self.provider_code = provider_code
        self.folders = {Area.INBOX: inbox_root / provider_code, Area.OUTBOX: outbox_root / provider_code}

    def prepare(self) -> None:
        """Creates the two folders if missing; refuses a folder replaced by a symlink."""
        for folder in self.folders.values():
            make_folder(folder)
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                raise NoSuchFile("area folder is not a real folder", folder=str(folder))

    def resolve(self, sftp_path: str) -> Location:
        """The place ``sftp_path`` names; raises NoSuchFile or NameRefused for anything else."""
        parts = normalise(sftp_path)
        if not parts:
            return Location(Area.ROOT, None, None)
        try:
            area = Area(parts[0])
        except ValueError:
            raise NoSuchFile("no such file", path=sftp_path[:200]) from None
        if area is Area.ROOT or len(parts) > 2:
            raise NoSuchFile("no such file", path=sftp_path[:200])
        folder = self.folders[area]
        if len(parts) == 1:
            return Location(area, None, folder)
        name = parts[1]
        # fullmatch: re.match with "$" would let a trailing newline through
        if not UPLOAD_NAME.fullmatch(name):
            raise NameRefused(
                "name refused: use letters, digits, '.', '_' and '-' only, not starting with '.'",
                name=name[:200],
            )
        return Location(area, name, folder / name)
