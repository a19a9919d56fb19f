"""Before a provider's uploads are taken: registering what a dead server process left behind.

A server process killed between linking an upload onto its final name and committing its
registration (gateway/sftp/receipt.py) leaves the file in the inbox with no row, still linked
to the process's temp file. Files are claimed in the order they were registered, and a
provider's files must be checked in the order their uploads were received, also across a
restart (spec/exchange.md section 1; sequence numbers are judged in that order). So such a
file is registered before the server takes any later upload of its provider:

- at start, for every provider folder, before the listener opens;
- at each login, for that provider's folder (a file left by another process or node);
- by the housekeeping pass every ``sweep_interval``.

Each pass registers the files linked to dead temp files first (oldest first), then removes
the dead temp files, then ``.part`` files older than ``part_max_age``. In that order a crash
during a pass leaves nothing the next pass cannot recognise. ``.part`` files a process left
behind are kept: the client may still rename them.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gateway.exchange.runtime.adopt import Adopted, Adoption, adopt, is_candidate_name
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.logs import get_logger
from gateway.sftp.sweep import TempJudge, dead_temps, old_parts, remove, scan

log = get_logger(__name__)

#: outcomes after which a dead temp file is no longer needed to recognise its final name
_SETTLED = {Adoption.REGISTERED, Adoption.OWNED, Adoption.ASIDE, Adoption.GONE, Adoption.SKIPPED}


@dataclass(frozen=True)
class Tidied:
    """What one pass over a provider folder did."""

    rescued: tuple[Adopted, ...] = ()
    removed: tuple[Path, ...] = ()


def tidy_folder(
    sessions: sessionmaker[Session],
    spool: SpoolPaths,
    folder: Path,
    judge: TempJudge,
    *,
    part_max_age: float,
    now: dt.datetime,
) -> Tidied:
    """Registers the uploads of dead processes in ``folder``, then removes what is left over."""
    entries = scan(folder)
    dead = dead_temps(entries, judge)
    rescued: list[Adopted] = []
    unsettled: set[tuple[int, int]] = set()
    if dead:
        by_inode = {(st.st_dev, st.st_ino) for _, st in dead}
        for inode, name in _linked_finals(entries, by_inode):
            try:
                result = adopt(sessions, spool, folder.name, name, now=now, rescued=True)
            except Exception:  # the database may be away: keep the temp file, try at the next pass
                log.exception("rescuing an upload failed", provider=folder.name, file=name)
                unsettled.add(inode)
                continue
            if result.result not in _SETTLED:
                unsettled.add(inode)
            rescued.append(result)
            log.warning(
                "upload of a dead server process registered",
                provider=folder.name,
                file=name,
                result=result.result.value,
                file_id=result.file_id,
            )
    removed = remove(path for path, st in dead if (st.st_dev, st.st_ino) not in unsettled)
    removed += remove(old_parts(entries, part_max_age=part_max_age, now=judge.now))
    for path in removed:
        log.info("stale upload removed", file=path.name, provider=folder.name)
    return Tidied(tuple(rescued), tuple(removed))


def _linked_finals(entries: list[os.DirEntry[str]], inodes: set[tuple[int, int]]) -> list[tuple[tuple[int, int], str]]:
    """Candidate names among ``entries`` sharing an inode with one of ``inodes``, oldest first."""
    found = []
    for entry in entries:
        if not is_candidate_name(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        inode = (st.st_dev, st.st_ino)
        if stat.S_ISREG(st.st_mode) and inode in inodes:
            found.append((st.st_mtime_ns, inode, entry.name))
    return [(inode, name) for _, inode, name in sorted(found)]
