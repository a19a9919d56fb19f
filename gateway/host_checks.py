"""What ``/status`` reports about this machine: personal data other users could read, and
the processes of ``gateway serve``.

Plain values out (name, ``ok``/``warn``/``fail``, detail) so that the web layer maps them to
its own checks. Details name the folders by their role (``data``, ``inbox``), never by path,
and carry no personal data: ``/status`` is read without a login. ``gateway check-config``
lists the files themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gateway.store.modes import find_open
from gateway.supervisor.status import summarise

#: entries looked at under each folder per request (a large archive must not slow /status)
MAX_ENTRIES_PER_FOLDER = 2000
#: where the supervisor keeps its children's status, under the data folder
PROCESSES_FOLDER = "processes"


def host_checks(
    folders: Mapping[str, Path], *, max_entries: int = MAX_ENTRIES_PER_FOLDER
) -> list[tuple[str, str, str]]:
    """The file-mode check over ``folders`` (by name; ``data`` holds the processes' status),
    and the processes check when a supervisor has recorded any."""
    open_under = [name for name, path in folders.items() if find_open([path], limit=1, max_entries=max_entries).found]
    if open_under:
        checks = [
            (
                "file modes",
                "warn",
                "readable by other users under " + ", ".join(open_under) + "; run gateway check-config for the list",
            )
        ]
    else:
        checks = [("file modes", "ok", "private")]
    if "data" in folders:
        processes = summarise(Path(folders["data"]) / PROCESSES_FOLDER)
        if processes is not None:
            checks.append(("processes", *processes))
    return checks
