"""Fault injection for crash tests: the process kills itself at a named point.

Enabled only by the environment variable ``GATEWAY_FAULT`` (``POINT`` or ``POINT:N``, several
separated by commas): the N-th time (default 1st) the process reaches ``POINT`` it sends
itself SIGKILL, exactly as a power cut or the OOM killer would end it: no ``finally``, no
flush, no commit. Unset (the normal case) :func:`fault_point` costs one dictionary lookup.

Points, in the order a file meets them (gateway/exchange/processing.py): ``after_claim``,
``after_move``, ``after_check``, ``after_archive_response``, ``after_response``,
``before_commit``, ``after_commit``; and in the broker publisher
(gateway/exchange/forwarding/publisher.py) ``publisher_after_confirm``, between a message's
confirm and the mark that it was sent.
"""

from __future__ import annotations

import os
import signal
import threading

ENV = "GATEWAY_FAULT"


def _parse(spec: str) -> dict[str, int]:
    points: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, count = item.partition(":")
        points[name] = int(count or 1)
    return points


_armed = _parse(os.environ.get(ENV, ""))
_lock = threading.Lock()


def fault_point(name: str) -> None:
    """Kills this process with SIGKILL if ``GATEWAY_FAULT`` names ``name`` and its count is reached."""
    if not _armed or name not in _armed:
        return
    with _lock:
        _armed[name] -= 1
        if _armed[name] > 0:
            return
    os.kill(os.getpid(), signal.SIGKILL)
