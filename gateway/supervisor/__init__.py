"""``gateway serve`` as a small supervisor: each role in a child process of its own.

::

    gateway serve                  startup duties once (mirror, demo accounts, providers),
    │                              then supervises; one log stream on its standard error
    ├── sftp-1      ┐
    ├── worker-1    │  python -m gateway serve --role ROLE --single-process --no-prepare
    ├── worker-N    │  each with its role's limits (RLIMIT_AS, RLIMIT_NOFILE) and
    ├── watcher-1   │  PR_SET_PDEATHSIG, so none outlives the supervisor
    └── web-1       ┘

One exhausted resource (memory, open files, a crash in a C library) now stops one role, not
the gateway: the supervisor restarts the child after a wait that doubles with each exit, and
gives up on a child that exits too often (an error in the log, ``given up`` on ``/status``,
exit status 1 when the supervisor stops). SIGTERM or SIGINT stops the children role by role
in reverse order, each finishing its in-flight work, and the supervisor exits 0 once all
have ended.

Modules: :mod:`.runner` (the loop), :mod:`.child` (the child's side: limits, readiness,
dying with the supervisor), :mod:`.relay` (whole log lines), :mod:`.status` (for /status).
"""

from gateway.supervisor.child import Limits, Supervised, apply_limits, die_with_parent, report_ready, supervised
from gateway.supervisor.runner import ChildSpec, RestartPolicy, Supervisor
from gateway.supervisor.status import StatusBoard, summarise

__all__ = [
    "ChildSpec",
    "Limits",
    "RestartPolicy",
    "StatusBoard",
    "Supervised",
    "Supervisor",
    "apply_limits",
    "die_with_parent",
    "report_ready",
    "summarise",
    "supervised",
]
