"""The supervisor's account of its children, kept as small JSON files for ``/status``.

One file per child in ``<paths.data>/processes/<name>.json``, rewritten on every change of
state: several supervisors on one machine (one per systemd unit) each write their own
children's files, and the web role reads them all. A file names its host, so that a data
folder shared by several machines does not make one of them judge another's process ids.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from gateway.store.files import atomic_write


class ChildState(StrEnum):
    """Where a child is in its life; the values are the words /status shows."""

    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    GIVEN_UP = "given up"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ChildStatus:
    """One child as the supervisor last saw it."""

    name: str
    role: str
    state: ChildState
    pid: int | None
    starts: int
    last_exit: str
    host: str
    supervisor_pid: int


class StatusBoard:
    """Writes the status files of one supervisor's children."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.host = socket.gethostname()

    def publish(self, status: ChildStatus) -> None:
        """Records ``status`` (a failure to write is not worth stopping a supervisor for)."""
        try:
            atomic_write(
                self.folder / f"{status.name}.json", json.dumps(asdict(status), sort_keys=True).encode(), durable=False
            )
        except OSError:
            pass

    def retire(self, roles: set[str], keep: set[str]) -> None:
        """Removes files of ``roles``' children this supervisor does not run (fewer workers
        than last time)."""
        for status in read_statuses(self.folder):
            if status.role in roles and status.name not in keep:
                (self.folder / f"{status.name}.json").unlink(missing_ok=True)


def read_statuses(folder: Path) -> list[ChildStatus]:
    """Every child status file in ``folder`` that can be read, by name."""
    statuses = []
    try:
        paths = sorted(Path(folder).glob("*.json"))
    except OSError:
        return []
    for path in paths:
        try:
            raw = json.loads(path.read_text())
            raw["state"] = ChildState(raw["state"])
            statuses.append(ChildStatus(**raw))
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return statuses


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def summarise(folder: Path) -> tuple[str, str] | None:
    """(``ok``/``warn``/``fail``, detail) over the children recorded in ``folder``, or None
    when there are none (single-process mode, or the roles run on another machine).

    A child given up on fails; one restarting, or recorded as running on this machine by a
    supervisor that is gone, warns.
    """
    host = socket.gethostname()
    statuses = [s for s in read_statuses(folder) if s.state is not ChildState.STOPPED]
    if not statuses:
        return None
    given_up = [s for s in statuses if s.state is ChildState.GIVEN_UP]
    if given_up:
        return "fail", "; ".join(f"{s.name} given up ({s.last_exit})" for s in given_up)
    orphaned = [s for s in statuses if s.host == host and not _alive(s.supervisor_pid)]
    if orphaned:
        return "warn", "supervisor gone: " + ", ".join(s.name for s in orphaned)
    waiting = [s for s in statuses if s.state is not ChildState.RUNNING]
    restarts = sum(max(0, s.starts - 1) for s in statuses)
    detail = f"{len(statuses) - len(waiting)} running, {restarts} restart(s)"
    if waiting:
        return "warn", detail + "; " + ", ".join(f"{s.name} {s.state}" for s in waiting)
    return "ok", detail
