"""Connections not yet logged in: a cap in total and per source address, in this process.

Until a client has logged in it holds a socket, a thread and a transport while sending
nothing of value (a slow banner, a slow key exchange, a stalled login). These caps bound what
such connections can take from one server process, whatever the number of addresses they come
from: a connection over either cap is closed at accept, before the SSH banner and before any
database work. They are counted in the process, not in the database, because what they
protect (descriptors, threads) belongs to the process; with several processes each has its own.
"""

from __future__ import annotations

import threading
from collections import Counter

from gateway.sftp.limits import Refusal


class Admission:
    """Counts the connections of this process that have not logged in yet."""

    def __init__(self, *, total: int, per_address: int) -> None:
        self.total = total
        self.per_address = per_address
        self._pending: Counter[str] = Counter()
        self._count = 0
        self._lock = threading.Lock()

    def enter(self, address: str) -> Refusal | None:
        """A new connection from ``address``: None (and counted) when it may go on."""
        with self._lock:
            if self._count >= self.total:
                return Refusal.UNAUTHENTICATED
            if self._pending[address] >= self.per_address:
                return Refusal.ADDRESS_UNAUTHENTICATED
            self._pending[address] += 1
            self._count += 1
        return None

    def leave(self, address: str) -> None:
        """A counted connection logged in or ended (call once per successful ``enter``)."""
        with self._lock:
            self._count -= 1
            self._pending[address] -= 1
            if self._pending[address] <= 0:
                del self._pending[address]

    @property
    def pending(self) -> int:
        """Connections counted now."""
        with self._lock:
            return self._count
