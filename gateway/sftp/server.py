"""The listener: accepts TCP connections, admits them, runs one paramiko transport each.

One :class:`SftpServer` serves in one process (threads: the accept loop, one for each
transport and SFTP channel, and a housekeeping loop that enforces the auth and idle
timeouts, refreshes the shared session rows, and sweeps old ``.part`` uploads). Several
processes may serve the same port (``SO_REUSEPORT``); see :mod:`gateway.sftp.service`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gateway.logs import get_logger
from gateway.sftp.algorithms import disabled_algorithms
from gateway.sftp.area import ProviderArea
from gateway.sftp.auth import Authenticator, Connection, GatewayTransport, hang_up
from gateway.sftp.jail import Jail
from gateway.sftp.limits import LimitValues, Limits
from gateway.sftp.protocol import GatewaySftpServer
from gateway.sftp.receipt import Reception
from gateway.sftp.session import Who
from gateway.sftp.sweep import sweep_inbox
from gateway.store import audit
from gateway.store.db import make_session_factory, normalise_url, transaction

log = get_logger(__name__)

#: SSH channel window and largest packet offered to clients (larger windows keep fast
#: clients streaming; OpenSSH's sftp keeps 64 requests of 32 KiB in flight)
WINDOW_BYTES = 8 * 1024 * 1024
MAX_PACKET_BYTES = 64 * 1024


@dataclass(frozen=True)
class ServerConfig:
    """Everything a server process needs, as plain (picklable) values."""

    host: str
    port: int
    host_key_path: Path
    inbox_root: Path
    outbox_root: Path
    database_url: str
    busy_timeout_ms: int
    durable: bool
    max_file_bytes: int
    part_max_age: float
    max_auth_attempts: int
    auth_timeout: float
    idle_timeout: float
    limits: LimitValues
    processes: int = 1
    #: how often old .part files are looked for
    sweep_interval: float = 60.0
    log_level: str = "INFO"
    log_format: str = "auto"


class SftpServer:
    """Serves SFTP on ``config.host:config.port`` from this process."""

    def __init__(self, config: ServerConfig, sessions: sessionmaker[Session], host_key: paramiko.PKey,
                 *, node: str) -> None:
        self.config = config
        self._sessions = sessions
        self.host_key = host_key
        self.node = node
        self._readers = read_sessions(config.database_url, config.busy_timeout_ms)
        readers = self._readers or sessions
        self.authenticator = Authenticator(readers)
        self.limits = Limits(sessions, config.limits, node=node, readers=readers)
        self.reception = Reception(sessions, durable=config.durable, node=node, readers=readers)
        self.port = config.port
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    # ----------------------------------------------------------------- life

    def start(self) -> None:
        """Binds the port (shared with sibling processes) and starts serving."""
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.config.processes != 1 and hasattr(socket, "SO_REUSEPORT"):
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((self.config.host, self.config.port))
        listener.listen(1024)
        listener.settimeout(0.5)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self.limits.heartbeat()
        for target, name in ((self._accept_loop, "sftp-accept"), (self._housekeeping, "sftp-housekeeping")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("sftp listening", host=self.config.host, port=self.port, node=self.node,
                 durable=self.config.durable)

    def stop(self, timeout: float = 10.0) -> None:
        """Stops accepting, closes every session (open uploads end as broken), and returns."""
        self._stopping.set()
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            connections = list(self._connections.values())
        for connection in connections:
            connection.closing = connection.closing or "server stopping"
            hang_up(connection.transport)
        deadline = time.monotonic() + timeout
        for connection in connections:
            if connection.transport.is_alive():
                connection.transport.join(max(0.0, deadline - time.monotonic()))
            for channel_thread in self._subsystem_threads(connection):
                channel_thread.join(max(0.0, deadline - time.monotonic()))
            self._end(connection)
        self.limits.forget_node()
        if self._readers is not None:
            self._readers.kw["bind"].dispose()
        log.info("sftp stopped", node=self.node)

    @staticmethod
    def _subsystem_threads(connection: Connection) -> list[threading.Thread]:
        return [t for t in threading.enumerate()
                if isinstance(t, GatewaySftpServer) and t.connection is connection]

    # ----------------------------------------------------------------- connections

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                log.exception("accept failed")
                time.sleep(0.1)  # e.g. out of file descriptors: do not spin
                continue
            threading.Thread(target=self._admit, args=(sock, peer[0]), name="sftp-admit", daemon=True).start()

    def _admit(self, sock: socket.socket, address: str) -> None:
        try:
            refusal = self.limits.admit_connection(address)
        except Exception:
            log.exception("admission check failed", address=address)
            refusal = "error"
        if refusal is not None or self._stopping.is_set():
            log.info("connection refused", address=address, reason=str(refusal or "stopping"))
            sock.close()
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = GatewayTransport(sock, default_window_size=WINDOW_BYTES,
                                     default_max_packet_size=MAX_PACKET_BYTES,
                                     disabled_algorithms=disabled_algorithms())
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", GatewaySftpServer)
        connection = Connection(self, transport, address)
        with self._lock:
            self._connections[connection.session_id] = connection
        try:
            transport.start_server(event=threading.Event(), server=connection)
        except Exception:
            log.info("handshake failed", address=address)
            transport.close()

    def _end(self, connection: Connection) -> None:
        with self._lock:
            if self._connections.pop(connection.session_id, None) is None:
                return
        try:
            connection.ended()
        except Exception:
            log.exception("closing the session records failed", session=connection.session_id)

    def open_area(self, who: Who) -> ProviderArea:
        """A provider's view of its two folders (created if missing)."""
        jail = Jail(self.config.inbox_root, self.config.outbox_root, who.provider_code)
        jail.prepare()
        return ProviderArea(jail, self.reception, who, max_bytes=self.config.max_file_bytes)

    def record(self, *, actor: str, action: str, address: str, outcome: str = "ok", **detail: object) -> None:
        """Writes one audit event about a connection (a failure is logged, never raised)."""
        try:
            with transaction(self._sessions) as session:
                audit.record(session, actor=actor, action=action, target_type="sftp", address=address,
                             outcome=outcome, **detail)
        except Exception:
            log.exception("audit record failed", action=action)

    @property
    def connection_count(self) -> int:
        with self._lock:
            return len(self._connections)

    # ----------------------------------------------------------------- housekeeping

    def _housekeeping(self) -> None:
        next_heartbeat = next_sweep = 0.0
        while not self._stopping.wait(0.5):
            now = time.monotonic()
            with self._lock:
                connections = list(self._connections.values())
            for connection in connections:
                if not connection.transport.is_alive() and connection.transport.active is False:
                    if not self._subsystem_threads(connection):
                        self._end(connection)
                elif connection.who is None and now - connection.connected > self.config.auth_timeout:
                    connection.close("auth_timeout")
                elif connection.who is not None and now - connection.last_activity > self.config.idle_timeout:
                    connection.close("idle_timeout")
            try:
                if now >= next_heartbeat:
                    self.limits.heartbeat()
                    next_heartbeat = now + self.config.limits.heartbeat
                if now >= next_sweep:
                    removed = sweep_inbox(self.config.inbox_root, part_max_age=self.config.part_max_age,
                                          temp_max_age=2 * self.config.idle_timeout + 60)
                    for path in removed:
                        log.info("stale upload removed", file=path.name, provider=path.parent.name)
                    next_sweep = now + self.config.sweep_interval
            except Exception:
                log.exception("housekeeping failed")


def read_sessions(url: str, busy_timeout_ms: int) -> sessionmaker[Session] | None:
    """Sessions for lookups only, on SQLite; None elsewhere (the usual sessions serve).

    The shared SQLite engine opens every transaction with ``BEGIN IMMEDIATE`` (right for
    writers), which would queue each login lookup and held-name check behind every commit.
    These connections read without taking the write lock (WAL readers never block) and
    refuse to write.
    """
    if not url or make_url(normalise_url(url)).get_backend_name() != "sqlite":
        return None
    engine = create_engine(normalise_url(url), pool_size=20, max_overflow=40,
                           connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record):  # noqa: ANN001 - DBAPI types
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return make_session_factory(engine)


def node_name() -> str:
    """This process's name in the shared session table."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"
