"""What uploads leave behind: temp files of dead server processes, and old ``.part`` files.

A temp file is named ``.upload-<tag>-<random>`` (:mod:`gateway.sftp.handles`), where the tag
``<host hash>.<pid>.<token>`` names the server process that writes it. It is dead when that
process is:

- on this host, when its pid no longer runs (a process killed a moment ago is seen at once);
- on another host (spool folders shared over the network), when the process has no live row in
  ``sftp_sessions`` (a process with an upload open has one, refreshed every heartbeat) and the
  file has not changed for as long as such a row stays alive.

Any temp file older than ``temp_max_age``, and any of another form, is dead too. Live temp
files are never touched: an upload in progress, or a session registering its file, keeps its.

A dead temp file may still be linked to a final name: its process died between the link and
the registration's commit. :mod:`gateway.sftp.rescue` registers that file before the temp file
goes (:func:`dead_temps` only says which are dead).
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from gateway.exchange.runtime.claims import _pid_alive as pid_alive
from gateway.exchange.runtime.reception import PART_SUFFIX
from gateway.sftp.handles import UPLOAD_PREFIX, temp_tag

#: tokens of the server processes (nodes) created in this process, alive while it runs
_LIVE_TOKENS: set[str] = set()


def node_name() -> str:
    """A new server process name, ``host:pid:token``, known in this process as alive."""
    token = os.urandom(4).hex()
    _LIVE_TOKENS.add(token)
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def host_hash(host: str | None = None) -> str:
    """Eight hex digits naming a host in temp file tags."""
    return hashlib.sha256((host or socket.gethostname()).encode()).hexdigest()[:8]


def node_tag(node: str) -> str:
    """The temp file tag of a server process named ``host:pid:token`` (see node_name)."""
    host, pid, token = node.rsplit(":", 2)
    return f"{host_hash(host)}.{pid}.{token}"


class TempJudge:
    """Decides which temp files are dead; one per pass (the live nodes are read once, if needed)."""

    def __init__(
        self, live_nodes: Callable[[], Iterable[str]], *, stale_s: float, max_age_s: float, now: float
    ) -> None:
        """``live_nodes`` gives the names of the processes with live session rows (any host)."""
        self._live_nodes = live_nodes
        self._live_tags: frozenset[str] | None = None
        #: how long a session row stays alive without a heartbeat
        self.stale_s = stale_s
        #: a temp file older than this is dead whatever its tag says
        self.max_age_s = max_age_s
        self.now = now
        self.here = host_hash()

    @property
    def live_tags(self) -> frozenset[str]:
        """Tags of the processes with live session rows."""
        if self._live_tags is None:
            self._live_tags = frozenset(node_tag(n) for n in self._live_nodes() if n.count(":") >= 2)
        return self._live_tags

    def is_dead(self, name: str, st: os.stat_result) -> bool:
        """True when the temp file ``name`` (stat ``st``) belongs to no live upload."""
        age = self.now - st.st_mtime
        if age > self.max_age_s:
            return True
        tag = temp_tag(name)
        parts = tag.split(".") if tag else []
        if len(parts) != 3 or not parts[1].isdigit():
            return False  # another form: only its age decides
        host, pid, token = parts[0], int(parts[1]), parts[2]
        if host == self.here:
            return not _alive_here(pid, token)
        return age > self.stale_s and tag not in self.live_tags


def _alive_here(pid: int, token: str) -> bool:
    if pid == os.getpid():  # this process, or an earlier one that had the same pid (containers)
        return token in _LIVE_TOKENS
    return pid_alive(pid)


def node_is_dead_here(node: str) -> bool:
    """True for a server process of this host that no longer runs (its session rows can go)."""
    try:
        host, pid, token = node.rsplit(":", 2)
    except ValueError:
        return False
    return host == socket.gethostname() and pid.isdigit() and not _alive_here(int(pid), token)


def scan(folder: Path) -> list[os.DirEntry[str]]:
    """The entries of a provider folder (empty when it cannot be read)."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def _regular(entry: os.DirEntry[str]) -> os.stat_result | None:
    try:
        st = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def dead_temps(entries: Iterable[os.DirEntry[str]], judge: TempJudge) -> list[tuple[Path, os.stat_result]]:
    """The dead temp files among a folder's ``entries``, with their stat (symlinks never followed)."""
    found = []
    for entry in entries:
        if (
            entry.name.startswith(UPLOAD_PREFIX)
            and (st := _regular(entry)) is not None
            and judge.is_dead(entry.name, st)
        ):
            found.append((Path(entry.path), st))
    return found


def old_parts(entries: Iterable[os.DirEntry[str]], *, part_max_age: float, now: float) -> list[Path]:
    """``.part`` uploads among ``entries`` not modified for ``part_max_age`` seconds."""
    return [
        Path(entry.path)
        for entry in entries
        if entry.name.endswith(PART_SUFFIX) and (st := _regular(entry)) is not None and now - st.st_mtime > part_max_age
    ]


def provider_folders(inbox_root: Path) -> list[Path]:
    """Every provider folder of the inbox (symlinks never followed)."""
    if not inbox_root.is_dir():
        return []
    with os.scandir(inbox_root) as entries:
        return sorted(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))


def remove(paths: Iterable[Path]) -> list[Path]:
    """Unlinks ``paths``; returns those that were there."""
    removed = []
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed
