"""Long-running parts of ``gateway serve`` share one small interface.

A :class:`Service` starts its threads (or processes) in ``start`` and returns; ``stop``
asks it to finish in-flight work and returns when it has. :func:`run_services` starts them
in order, waits for SIGINT/SIGTERM, and stops them in reverse order. It runs the roles of
one process: the whole gateway with ``--single-process``, else one supervised child
(:mod:`gateway.supervisor`).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Protocol

from gateway.logs import get_logger

log = get_logger(__name__)


class Service(Protocol):
    """One part of the gateway run by ``gateway serve`` (SFTP, workers, watcher, web)."""

    name: str

    def start(self) -> None:
        """Starts serving in the background and returns once ready."""

    def stop(self) -> None:
        """Stops taking new work, finishes what is in flight, and returns."""


def notify(state: str) -> None:
    """Tells systemd about this process (``READY=1``, ``STOPPING=1``) when it runs as a
    ``Type=notify`` service; does nothing otherwise."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.warning("systemd notification failed", state=state, error=str(exc))


def run_services(
    services: Sequence[Service],
    stop: threading.Event | None = None,
    *,
    ready_event: str = "gateway ready",
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Runs ``services`` until SIGINT or SIGTERM (or ``stop`` is set), then stops them.

    Once all have started it logs ``ready_event`` and calls ``on_ready`` (which tells the
    supervisor or systemd).
    """
    stop = stop or threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    started: list[Service] = []
    try:
        for service in services:
            service.start()
            started.append(service)
            log.info("service started", service=service.name)
        log.info(ready_event, services=[s.name for s in services])
        if on_ready is not None:
            on_ready()
        while not stop.wait(0.5):
            pass
    finally:
        for service in reversed(started):
            try:
                service.stop()
                log.info("service stopped", service=service.name)
            except Exception:  # keep stopping the others
                log.exception("service failed to stop cleanly", service=service.name)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
