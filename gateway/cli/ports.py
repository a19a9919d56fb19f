"""The listening ports of ``gateway serve``, checked before anything else runs.

A port already taken must stop the start with one clear line (exit status 2) naming the
setting, the port and the environment variable that overrides it, before the demo commands
are printed and before any child process starts: a traceback from the SFTP thread or "is the
port in use?" from the web thread, after a screen of output, tells an operator nothing.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from gateway.config import ENV_PREFIX, Settings
from gateway.errors import ConfigError


@dataclass(frozen=True)
class Listener:
    """One port a role listens on: the setting that names it and its value."""

    section: str
    host: str
    port: int

    @property
    def setting(self) -> str:
        """The setting's dotted name, as in config.toml (``sftp.port``)."""
        return f"{self.section}.port"

    @property
    def env_variable(self) -> str:
        """The environment variable that overrides the setting (``GATEWAY_SFTP__PORT``)."""
        return f"{ENV_PREFIX}{self.section.upper()}__PORT"


#: role -> the section whose host and port it listens on
ROLE_LISTENERS = {"sftp": "sftp", "web": "web"}


def listeners(settings: Settings, roles: list[str]) -> list[Listener]:
    """The ports ``roles`` will listen on (port 0, "any free port", is never taken)."""
    found = []
    for role in roles:
        section = ROLE_LISTENERS.get(role)
        if section is None:
            continue
        values = getattr(settings, section)
        if values.port:
            found.append(Listener(section, values.host, values.port))
    return found


def port_problem(listener: Listener) -> str | None:
    """Why ``listener`` cannot be bound now, or None when it can.

    Binds and closes at once, with ``SO_REUSEADDR`` like the servers (a port in TIME_WAIT is
    free for them) and without ``SO_REUSEPORT`` (a port another process listens on, even one
    that shares it, is taken for a new gateway)."""
    family = socket.AF_INET6 if ":" in listener.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((listener.host, listener.port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                reason = "is already in use"
            elif exc.errno == errno.EACCES:
                reason = "needs privileges this user does not have"
            else:
                reason = f"cannot be used ({exc.strerror or exc})"
            return (
                f"{listener.setting} = {listener.port}: port {listener.port} on {listener.host} {reason}; "
                f"choose another in config.toml or with {listener.env_variable}=PORT"
            )
    return None


def check_ports(settings: Settings, roles: list[str]) -> None:
    """Raises :class:`ConfigError` (``CFG-PORT``, exit status 2) naming every port of
    ``roles`` that cannot be bound."""
    problems = [p for p in map(port_problem, listeners(settings, roles)) if p]
    if problems:
        raise ConfigError(
            f"{len(problems)} port(s) of gateway serve cannot be used", code="CFG-PORT", problems=problems
        )
