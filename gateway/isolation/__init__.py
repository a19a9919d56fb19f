"""Work on untrusted files in worker processes under memory, CPU-time and wall-time limits.

pdfium, pypdf, zlib and libmagic read what applicants send. One file can make them spend
unbounded memory or time (Form XObjects that draw each other thousands of times over), and
code running in C cannot be interrupted from Python. So that such a file costs one refused
document or one missing preview, never the gateway, that work runs in a small pool of worker
processes (:class:`Isolation`, ``python -m gateway.isolation.worker``):

- each worker is a fresh interpreter (never a fork of the multi-threaded gateway), imports
  what its tasks need, then limits itself before reading any input: address space, CPU time
  per call, no core dump, no file written (:mod:`gateway.isolation.worker`);
- the gateway waits at most the wall time for an answer, then kills the worker;
- a worker that hit a limit, died, or grew past half its memory limit is replaced, and the
  replacement starts at once so that the next call finds it ready; healthy workers are kept
  warm between calls (a call then costs about a millisecond plus copying the file);
- workers only send JSON and bytes back (never pickles); an idle worker ends when the
  gateway closes its input (or dies), a busy one at its own alarm.

Errors::

    GatewayError
    └── IsolationError          ISO-*
        ├── WorkLimitExceeded   ISO-LIMIT: the work hit a limit, or its process died (the input's doing)
        ├── WorkFailed          ISO-FAILED: the task raised an unexpected exception
        └── WorkerUnavailable   ISO-UNAVAILABLE: no worker could be started or freed in time
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.errors import GatewayError

MIB = 1024 * 1024


@dataclass(frozen=True)
class WorkLimits:
    """What one call may spend; the defaults suit documents up to the 20 MiB size limit.

    The defaults repeat those of ``intake.document_*`` on purpose: worker processes import
    this package and should not pay for loading the settings' library; a test holds the two
    equal."""

    #: address space of a worker process, interpreter and libraries included (about 100 MiB)
    memory_bytes: int = 1024 * MIB
    #: CPU time one call may use
    cpu_seconds: float = 20.0
    #: time the gateway waits for one call's answer (also for a free worker)
    wall_seconds: float = 30.0
    #: time a new worker may take to start (imports, on a busy machine)
    startup_seconds: float = 60.0


@dataclass(frozen=True)
class Output:
    """What a task returns: a JSON-friendly value and, optionally, bytes (a PNG)."""

    value: Any = None
    payload: bytes = b""


class IsolationError(GatewayError):
    """Work in a worker process did not give a result."""

    code = "ISO-000"


class WorkLimitExceeded(IsolationError):
    """The work hit its memory, CPU-time or wall-time limit, or its process died: the input's doing."""

    code = "ISO-LIMIT"


class WorkFailed(IsolationError):
    """The task raised an unexpected exception (its type and message are in the message)."""

    code = "ISO-FAILED"


class WorkerUnavailable(IsolationError):
    """No worker process could be started, or none became free within the wall time."""

    code = "ISO-UNAVAILABLE"
    exit_status = 2
    http_status = 503


from gateway.isolation.pool import Isolation, default_isolation  # noqa: E402 - needs the classes above

__all__ = [
    "MIB",
    "Isolation",
    "IsolationError",
    "Output",
    "WorkFailed",
    "WorkLimitExceeded",
    "WorkLimits",
    "WorkerUnavailable",
    "default_isolation",
]
