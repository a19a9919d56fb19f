"""``gateway serve --role web``: uvicorn in a thread, stopped cleanly.

Uvicorn's own signal handlers are disabled (``run_services`` owns SIGINT/SIGTERM); ``stop``
sets ``should_exit`` and waits for in-flight requests to finish.
"""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

from gateway.logs import get_logger

log = get_logger(__name__)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the process's handlers belong to run_services
        pass


class WebService:
    """Serves ``app`` on ``host:port`` until :meth:`stop`."""

    name = "web"

    def __init__(
        self,
        app: FastAPI,
        host: str,
        port: int,
        *,
        start_timeout: float = 15.0,
        access_log: bool = False,
        name: str = "web",
    ) -> None:
        # The access log goes through gateway.logs, which redacts secrets from paths and queries.
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=access_log,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=10,
        )
        self._server = _Server(config)
        self._thread: threading.Thread | None = None
        self._start_timeout = start_timeout
        self.name = name  # the staff web or the provider portal, in logs and thread names

    @property
    def port(self) -> int:
        """The bound port (useful when 0 was asked for)."""
        for server in self._server.servers:
            for sock in server.sockets:
                port: int = sock.getsockname()[1]
                return port
        return self._server.config.port

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.run, name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not self._server.started:  # uvicorn sets ``started`` once it listens
            if not self._thread.is_alive() or time.monotonic() > deadline:
                config = self._server.config
                raise RuntimeError(
                    f"the web server did not start on {config.host}:{config.port} (web.port, "
                    f"GATEWAY_WEB__PORT): is port {config.port} in use?"
                )
            time.sleep(0.02)
        log.info(f"{self.name} listening", host=self._server.config.host, port=self.port)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
