"""The listener: accepts TCP connections, admits them, runs one paramiko transport each.

One :class:`SftpServer` serves in one process (threads: the accept loop, one for each
transport and SFTP channel, and a housekeeping loop that enforces the auth and idle
timeouts, refreshes the shared session rows, and tidies the inbox). Several processes may
serve the same port (``SO_REUSEPORT``); see :mod:`gateway.sftp.service`.

Before the listener opens, :meth:`SftpServer.start` registers the uploads that a dead server
process placed without registering and removes its temp files (:mod:`gateway.sftp.rescue`),
so that no later upload of a provider can be checked before them.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import utcnow
from gateway.config import LogSettings, SftpSettings, declared
from gateway.errors import ConfigError
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.logs import get_logger
from gateway.metrics import SFTP_REFUSED
from gateway.sftp.admission import Admission
from gateway.sftp.algorithms import disabled_algorithms
from gateway.sftp.area import ProviderArea
from gateway.sftp.auth import Authenticator, Connection, GatewayTransport, hang_up
from gateway.sftp.jail import Jail
from gateway.sftp.limits import Limits, LimitValues, Refusal
from gateway.sftp.protocol import GatewaySftpServer
from gateway.sftp.quota import InboxQuotas, QuotaValues
from gateway.sftp.receipt import Reception
from gateway.sftp.refusals import RefusalRecorder
from gateway.sftp.rescue import Tidied, tidy_folder
from gateway.sftp.session import Who
from gateway.sftp.sweep import TempJudge, node_is_dead_here, node_name, node_tag, provider_folders
from gateway.store import audit
from gateway.store.db import read_sessions, transaction

log = get_logger(__name__)

#: largest SSH channel window offered to clients (larger windows keep fast clients streaming;
#: OpenSSH's sftp keeps 64 requests of 32 KiB in flight), and largest packet
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
    #: where rescued files that cannot be taken go (the exchange's archive and aside folders)
    archive_root: Path
    aside_root: Path
    database_url: str
    busy_timeout_ms: int
    durable: bool
    max_file_bytes: int
    part_max_age: float
    max_auth_attempts: int
    auth_timeout: float
    idle_timeout: float
    limits: LimitValues
    quota: QuotaValues
    processes: int = declared(SftpSettings, "processes")
    max_handles_per_session: int = declared(SftpSettings, "max_handles_per_session")
    max_channels_per_connection: int = declared(SftpSettings, "max_channels_per_connection")
    max_buffered_bytes_per_connection: int = declared(SftpSettings, "max_buffered_bytes_per_connection")
    max_unauthenticated_connections: int = declared(SftpSettings, "max_unauthenticated_connections")
    max_unauthenticated_per_address: int = declared(SftpSettings, "max_unauthenticated_per_address")
    #: distinct refused operations of one session written to the audit trail
    max_refusals_recorded_per_session: int = declared(SftpSettings, "max_refusals_recorded_per_session")
    #: how often old .part files are looked for
    sweep_interval: float = 60.0
    log_level: str = declared(LogSettings, "level")
    log_format: str = declared(LogSettings, "format")

    @property
    def window_bytes(self) -> int:
        """The window each channel is offered: its share of the connection's buffer, at most 8 MiB."""
        share = self.max_buffered_bytes_per_connection // max(1, self.max_channels_per_connection)
        return max(MAX_PACKET_BYTES, min(WINDOW_BYTES, share))

    @property
    def spool(self) -> SpoolPaths:
        """The spool folders, for registering rescued uploads."""
        return SpoolPaths(
            inbox=self.inbox_root, outbox=self.outbox_root, archive=self.archive_root, aside=self.aside_root
        )

    @property
    def temp_max_age(self) -> float:
        """Age past which any temp file is an orphan (no upload stays open that long)."""
        return 2 * self.idle_timeout + 60


class SftpServer:
    """Serves SFTP on ``config.host:config.port`` from this process."""

    def __init__(
        self, config: ServerConfig, sessions: sessionmaker[Session], host_key: paramiko.PKey, *, node: str
    ) -> None:
        self.config = config
        self._sessions = sessions
        self.host_key = host_key
        self.node = node
        self._readers = read_sessions(config.database_url, config.busy_timeout_ms)
        readers = self._readers or sessions
        self.authenticator = Authenticator(readers)
        self.limits = Limits(sessions, config.limits, node=node, readers=readers)
        self.reception = Reception(sessions, durable=config.durable, node=node, readers=readers)
        self.quotas = InboxQuotas(config.quota)
        self.admission = Admission(
            total=config.max_unauthenticated_connections, per_address=config.max_unauthenticated_per_address
        )
        self.temp_tag = node_tag(node)
        self.port = config.port
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._refusals: dict[str, tuple[float, int]] = {}

    # ----------------------------------------------------------------- life

    def start(self) -> None:
        """Takes what dead server processes left in the inbox, binds the port and starts serving."""
        forgotten = self.limits.forget_dead_nodes(node_is_dead_here)
        tidied = self.tidy()
        log.info(
            "sftp inbox tidied",
            dead_sessions=forgotten,
            node=self.node,
            rescued=sum(len(t.rescued) for t in tidied),
            removed=sum(len(t.removed) for t in tidied),
        )
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.config.processes != 1 and hasattr(socket, "SO_REUSEPORT"):
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            listener.bind((self.config.host, self.config.port))
        except OSError as exc:
            listener.close()
            raise ConfigError(
                f"sftp.port = {self.config.port}: port {self.config.port} on {self.config.host} "
                f"cannot be used ({exc.strerror}); choose another in config.toml or with "
                "GATEWAY_SFTP__PORT=PORT",
                code="CFG-PORT",
            ) from None
        listener.listen(1024)
        listener.settimeout(0.5)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self.limits.heartbeat()
        for target, name in ((self._accept_loop, "sftp-accept"), (self._housekeeping, "sftp-housekeeping")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("sftp listening", host=self.config.host, port=self.port, node=self.node, durable=self.config.durable)

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
        return [t for t in threading.enumerate() if isinstance(t, GatewaySftpServer) and t.connection is connection]

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
            address = peer[0]
            refusal = self.admission.enter(address)  # in memory: no thread, no query for a flood
            if refusal is not None:
                self.refused(refusal, address=address)
                sock.close()
                continue
            threading.Thread(target=self._admit, args=(sock, address), name="sftp-admit", daemon=True).start()

    def refused(self, reason: str, **fields: object) -> None:
        """Counts a refusal at a limit; logs the first of a burst (a flood must not flood the log)."""
        SFTP_REFUSED.labels(reason=reason).inc()
        now = time.monotonic()
        with self._lock:
            last, count = self._refusals.get(reason, (float("-inf"), 0))
            if now - last < 10.0:
                self._refusals[reason] = (last, count + 1)
                return
            self._refusals[reason] = (now, 0)
        log.warning("refused at a limit", reason=reason, refused_since_last_line=count, **fields)

    def _admit(self, sock: socket.socket, address: str) -> None:
        refusal: Refusal | str | None
        try:
            refusal = self.limits.admit_connection(address)
        except Exception:
            log.exception("admission check failed", address=address)
            refusal = "error"
        if refusal is not None or self._stopping.is_set():
            log.info("connection refused", address=address, reason=str(refusal or "stopping"))
            self.admission.leave(address)
            sock.close()
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = GatewayTransport(
            sock,
            default_window_size=self.config.window_bytes,
            default_max_packet_size=MAX_PACKET_BYTES,
            disabled_algorithms=disabled_algorithms(),
            max_buffered_bytes=self.config.max_buffered_bytes_per_connection,
        )
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", GatewaySftpServer)
        connection = Connection(self, transport, address)
        with self._lock:
            self._connections[connection.session_id] = connection
        try:
            transport.start_server(event=threading.Event(), server=connection)
        except Exception:  # noqa: BLE001 - whatever a client's handshake breaks ends that connection only
            log.info("handshake failed", address=address)
            transport.close()

    def _end(self, connection: Connection) -> None:
        with self._lock:
            if self._connections.pop(connection.session_id, None) is None:
                return
        connection.leave_admission()
        try:
            connection.ended()
        except Exception:
            log.exception("closing the session records failed", session=connection.session_id)

    def open_area(self, who: Who) -> ProviderArea:
        """A provider's view of its two folders (created if missing)."""
        jail = Jail(self.config.inbox_root, self.config.outbox_root, who.provider_code)
        jail.prepare()
        return ProviderArea(
            jail, self.reception, who, max_bytes=self.config.max_file_bytes, quotas=self.quotas, temp_tag=self.temp_tag
        )

    def refusal_recorder(self, who: Who) -> RefusalRecorder:
        """The audit record of one session's refused operations."""
        return RefusalRecorder(self._sessions, who, max_recorded=self.config.max_refusals_recorded_per_session)

    def tidy(self, provider_code: str | None = None) -> list[Tidied]:
        """Registers uploads of dead server processes, removes their temp files and old ``.part`` files.

        For one provider's folder (at its login) or for every folder (at start, and every
        ``sweep_interval``).
        """
        judge = TempJudge(
            self.limits.live_nodes,
            stale_s=self.config.limits.stale_after.total_seconds(),
            max_age_s=self.config.temp_max_age,
            now=time.time(),
        )
        if provider_code is not None:
            folders = [self.config.inbox_root / provider_code]
        else:
            folders = provider_folders(self.config.inbox_root)
        return [
            tidy_folder(
                self._sessions, self.config.spool, folder, judge, part_max_age=self.config.part_max_age, now=utcnow()
            )
            for folder in folders
        ]

    def record(self, *, actor: str, action: str, address: str, outcome: str = "ok", **detail: Any) -> None:
        """Writes one audit event about a connection (a failure is logged, never raised)."""
        try:
            with transaction(self._sessions) as session:
                audit.record(
                    session, actor=actor, action=action, target_type="sftp", address=address, outcome=outcome, **detail
                )
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
                if not connection.transport.is_alive() and connection.transport.is_active() is False:
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
                    self.tidy()
                    next_sweep = now + self.config.sweep_interval
            except Exception:
                log.exception("housekeeping failed")


__all__ = ["ServerConfig", "SftpServer", "node_name", "read_sessions"]
