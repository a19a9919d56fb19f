"""The child's side of supervision: knowing it is supervised, dying with the supervisor,
its resource limits, and saying when it is ready.

The supervisor passes three environment variables (none of them is a setting):

``GATEWAY_SUPERVISOR_PID``
    the supervisor's process id; the child asks the kernel for SIGKILL when that process
    ends (``PR_SET_PDEATHSIG``), so a supervisor killed with SIGKILL leaves no child behind.
``GATEWAY_SUPERVISED_AS``
    the child's name in logs and status (``worker-2``).
``GATEWAY_READY_FD``
    a pipe the child writes ``ready`` to once its services have started.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from collections.abc import Mapping
from dataclasses import dataclass

ENV_SUPERVISOR_PID = "GATEWAY_SUPERVISOR_PID"
ENV_NAME = "GATEWAY_SUPERVISED_AS"
ENV_READY_FD = "GATEWAY_READY_FD"

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child; 0 leaves a limit as inherited."""

    #: RLIMIT_AS: address space (virtual memory) in bytes
    memory_bytes: int = 0
    #: RLIMIT_NOFILE: open files and sockets
    open_files: int = 0


@dataclass(frozen=True)
class Supervised:
    """What a supervised child knows about its supervisor."""

    supervisor_pid: int
    name: str
    ready_fd: int | None


def supervised(environ: Mapping[str, str] | None = None) -> Supervised | None:
    """The supervision this process runs under, or None when it was started by hand."""
    environ = os.environ if environ is None else environ
    pid = environ.get(ENV_SUPERVISOR_PID, "")
    if not pid.isdigit():
        return None
    fd = environ.get(ENV_READY_FD, "")
    return Supervised(int(pid), environ.get(ENV_NAME, "child"), int(fd) if fd.isdigit() else None)


def die_with_parent(supervisor_pid: int) -> None:
    """Asks for SIGKILL when the supervisor ends; exits now if it has already ended.

    The kernel ties this to the thread that started the child: the supervisor starts every
    child from its main thread, which lives as long as it does.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != supervisor_pid:  # it died before the request above took effect
        os._exit(1)


def apply_limits(limits: Limits) -> dict[str, int]:
    """Sets this process's limits (soft and hard, so they cannot be raised again) and returns
    the values in force. An open-files value above the inherited hard limit is capped to it."""
    applied: dict[str, int] = {}
    if limits.memory_bytes > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        value = limits.memory_bytes if hard == resource.RLIM_INFINITY else min(limits.memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (value, value))
        applied["memory_bytes"] = value
    if limits.open_files > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        value = limits.open_files if hard == resource.RLIM_INFINITY else min(limits.open_files, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (value, value))
        applied["open_files"] = value
    return applied


def report_ready(ready_fd: int | None) -> None:
    """Tells the supervisor this child's services have started."""
    if ready_fd is None:
        return
    try:
        os.write(ready_fd, b"ready\n")
        os.close(ready_fd)
    except OSError:  # the supervisor is gone; PR_SET_PDEATHSIG ends this process
        pass
