"""``gateway serve --role sftp``: the SFTP server as a :class:`gateway.service.Service`.

With ``processes`` 1 the server runs in this process. With more (0 = one per core), each
child process binds the same port with ``SO_REUSEPORT`` and the kernel spreads connections
over them; paramiko's crypto and packet handling are CPU-bound Python, so this is how the
server uses more than one core. Children share limits through the database. ``stop`` asks
every server to close its sessions (open uploads end as broken, nothing half-written is
kept) and returns when they have.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from sqlalchemy import Engine

from gateway.errors import ConfigError
from gateway.logs import configure_logging, get_logger
from gateway.sftp.hostkey import fingerprint, load_or_create_host_key, write_known_hosts
from gateway.sftp.server import ServerConfig, SftpServer, node_name
from gateway.store.db import make_engine, make_session_factory

log = get_logger(__name__)

_START_TIMEOUT = 60.0


def process_count(configured: int) -> int:
    """``processes`` as configured, 0 meaning one per core."""
    return configured if configured > 0 else (os.cpu_count() or 1)


class SftpService:
    """Runs the SFTP server in this process or in several."""

    name = "sftp"

    def __init__(self, config: ServerConfig, *, known_hosts: Path | None = None) -> None:
        self.config = config
        self.known_hosts = known_hosts
        self.processes = process_count(config.processes)
        self._server: SftpServer | None = None
        self._engine: Engine | None = None
        self._children: list[multiprocessing.process.BaseProcess] = []
        self._stop_event: EventType | None = None

    @property
    def port(self) -> int:
        """The port served (the bound one when configured as 0 in a single process)."""
        return self._server.port if self._server is not None else self.config.port

    def start(self) -> None:
        host_key = load_or_create_host_key(self.config.host_key_path)
        if self.known_hosts is not None:
            write_known_hosts(self.known_hosts, host_key, self.config.host, self.config.port)
        log.info("sftp host key", fingerprint=fingerprint(host_key), processes=self.processes)
        if self.processes == 1:
            self._engine = make_engine(self.config.database_url, busy_timeout_ms=self.config.busy_timeout_ms)
            self._server = SftpServer(self.config, make_session_factory(self._engine), host_key, node=node_name())
            self._server.start()
            return
        if self.config.port == 0:
            raise ConfigError("sftp.port 0 cannot be shared by several processes", code="CFG-SFTP-PORT")
        context = multiprocessing.get_context("spawn")
        self._stop_event = context.Event()
        ready: Queue[str] = context.Queue()
        for _ in range(self.processes):
            child = context.Process(
                target=_serve_child, args=(self.config, self._stop_event, ready), name="gateway-sftp", daemon=False
            )
            child.start()
            self._children.append(child)
        for _ in self._children:
            outcome = ready.get(timeout=_START_TIMEOUT)
            if outcome != "ready":
                self.stop()
                raise ConfigError(f"an SFTP process could not start: {outcome}", code="CFG-SFTP-START")

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            if self._engine is not None:
                self._engine.dispose()
        if self._stop_event is not None:
            self._stop_event.set()
        for child in self._children:
            child.join(30)
            if child.is_alive():
                log.warning("sftp process did not stop; terminating it", pid=child.pid)
                child.terminate()
                child.join(5)
        self._children = []


def _serve_child(config: ServerConfig, stop: EventType, ready: Queue[str]) -> None:
    """Body of one server process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    configure_logging(config.log_level, config.log_format)
    try:
        engine = make_engine(config.database_url, busy_timeout_ms=config.busy_timeout_ms)
        server = SftpServer(
            config, make_session_factory(engine), load_or_create_host_key(config.host_key_path), node=node_name()
        )
        server.start()
    except Exception as exc:  # noqa: BLE001 - any failure is reported to the parent, which refuses to start
        ready.put(f"{type(exc).__name__}: {exc}")
        return
    ready.put("ready")
    stop.wait()
    server.stop()
    engine.dispose()
