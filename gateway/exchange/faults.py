"""Fault injection for crash tests and drills: the process kills itself, or a check raises, at a named point.

Enabled only by the environment variable ``GATEWAY_FAULT`` (``POINT`` or ``POINT:N``, several
separated by commas). Unset (the normal case) :func:`fault_point` and :func:`fault_raise` cost
one dictionary lookup.

Kill points (:func:`fault_point`): the N-th time (default 1st) the process reaches ``POINT`` it
sends itself SIGKILL, exactly as a power cut or the OOM killer would end it: no ``finally``, no
flush, no commit. Under the supervisor of ``gateway serve`` the supervisor is killed first,
which kills every other child with it (``PR_SET_PDEATHSIG``): the whole gateway goes down at
that point, as in a power cut. Points, in the order a file meets them
(gateway/exchange/runtime/processing.py): ``after_claim``, ``after_move``, ``after_check``,
``after_archive_response``, ``after_response``, ``before_commit``, ``after_commit``; in the
SFTP server (gateway/sftp/receipt.py), ``sftp_after_link``: an upload linked onto its final
name, not yet registered; and in the broker publisher
(gateway/exchange/runtime/forwarding/publisher.py) ``publisher_after_confirm``, between a message's
confirm and the mark that it was sent.

Raising points (:func:`fault_raise`): the first N times (default: every time) the process
reaches ``POINT`` it raises :class:`InjectedFault`, as a bug or a library failing on a hostile
file would. Point: ``in_checks`` (inside the checks, before the pass over the document).
"""

from __future__ import annotations

import os
import signal
import threading

ENV = "GATEWAY_FAULT"


class InjectedFault(RuntimeError):
    """Raised at a raising point armed by ``GATEWAY_FAULT``."""


def _parse(spec: str) -> dict[str, int | None]:
    points: dict[str, int | None] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, count = item.partition(":")
        points[name] = int(count) if count else None
    return points


_armed = _parse(os.environ.get(ENV, ""))
_lock = threading.Lock()


def fault_point(name: str) -> None:
    """Kills this process with SIGKILL if ``GATEWAY_FAULT`` names ``name`` and its count is reached."""
    if not _armed or name not in _armed:
        return
    with _lock:
        left = (_armed[name] or 1) - 1
        _armed[name] = left
        if left > 0:
            return
    supervisor = os.environ.get("GATEWAY_SUPERVISOR_PID", "")
    if supervisor.isdigit():
        os.kill(int(supervisor), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def fault_raise(name: str) -> None:
    """Raises :class:`InjectedFault` if ``GATEWAY_FAULT`` names ``name`` and its count is not used up."""
    if not _armed or name not in _armed:
        return
    with _lock:
        left = _armed[name]
        if left is not None:
            if left <= 0:
                return
            _armed[name] = left - 1
    raise InjectedFault(f"fault injected at {name}")


def rearm() -> None:
    """Reads ``GATEWAY_FAULT`` again (for tests that set it in this process)."""
    global _armed
    with _lock:
        _armed = _parse(os.environ.get(ENV, ""))
