"""Files and folders of personal data that other users of the machine could open.

The gateway creates everything ``0600``/``0700`` (:mod:`gateway.store.files`), but files put
there by an older version, a copy, or an operator's ``mkdir`` keep their own mode.
``gateway check-config`` and ``/status`` use :func:`find_open` to say so. Symbolic links are
not followed (a link's own mode means nothing).
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: permission bits that let someone other than the owner read, write or enter
OPEN_BITS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class OpenEntry:
    """One file or folder that group or others may access."""

    path: Path
    mode: int
    is_folder: bool

    def sentence(self) -> str:
        """What an operator reads, with the command that fixes it."""
        kind = "folder" if self.is_folder else "file"
        return (
            f"{kind} {self.path} can be read by other users (mode {self.mode:04o}); "
            f"run: chmod {'-R ' if self.is_folder else ''}go-rwx {self.path}"
        )


@dataclass(frozen=True)
class Scan:
    """What :func:`find_open` saw: the open entries (at most ``limit``) and whether it stopped early."""

    found: tuple[OpenEntry, ...]
    examined: int
    complete: bool


def iter_open(roots: Iterable[Path]) -> Iterator[tuple[Path, OpenEntry | None]]:
    """Every entry under ``roots`` (breadth first, roots included), with an :class:`OpenEntry`
    when group or others have any permission on it. Missing roots are skipped."""
    queue: deque[Path] = deque()
    seen: set[Path] = set()
    for root in roots:
        root = Path(root)
        if root not in seen:
            seen.add(root)
            queue.append(root)
    while queue:
        path = queue.popleft()
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            continue
        folder = stat.S_ISDIR(info.st_mode)
        mode = stat.S_IMODE(info.st_mode)
        yield path, (OpenEntry(path, mode, folder) if mode & OPEN_BITS else None)
        if folder:
            try:
                with os.scandir(path) as entries:
                    for entry in entries:
                        child = Path(entry.path)
                        if child not in seen:  # a root inside another root is walked once
                            seen.add(child)
                            queue.append(child)
            except OSError:
                continue


def find_open(roots: Iterable[Path], *, limit: int = 20, max_entries: int | None = None) -> Scan:
    """Up to ``limit`` open entries under ``roots``, looking at no more than ``max_entries``
    (None: everything; ``/status`` bounds it so that a large archive does not slow it down)."""
    found: list[OpenEntry] = []
    examined = 0
    for _path, entry in iter_open(roots):
        examined += 1
        if entry is not None:
            found.append(entry)
            if len(found) >= limit:
                return Scan(tuple(found), examined, complete=False)
        if max_entries is not None and examined >= max_entries:
            return Scan(tuple(found), examined, complete=False)
    return Scan(tuple(found), examined, complete=True)
