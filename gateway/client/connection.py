"""SSH/SFTP connections to the gateway: host-key check first, then authentication, then SFTP.

:func:`open_connection` raises only the client's errors: :class:`HostKeyError` and
:class:`AuthenticationFailed` (never retried: they would fail the same way) and
:class:`NetworkError` (worth another attempt). :class:`Retrying` runs an operation on a
connection and, when the network fails under it, reconnects with exponential backoff and runs
it again; operations are written so that running them again finishes the job (push, pull).
"""

from __future__ import annotations

import random
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import paramiko
from paramiko.message import Message
from paramiko.sftp import CMD_INIT, CMD_VERSION, SFTPError

from gateway.client.errors import AuthenticationFailed, ClientError, NetworkError, RemoteRefused
from gateway.client.knownhosts import HostCheck, KnownHosts, host_id
from gateway.config import ClientSettings, declared
from gateway.logs import get_logger

log = get_logger(__name__)
T = TypeVar("T")

POSIX_RENAME = "posix-rename@openssh.com"


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to connect; plain values from the CLI's settings and options."""

    host: str
    port: int
    user: str
    known_hosts: Path
    key_file: Path | None = None
    #: password, or the passphrase of an encrypted key file
    password: str | None = None
    accept_new: bool = False
    #: for connecting, the SSH handshake and every SFTP reply
    timeout: float = 20.0


class ExtensionsSFTPClient(paramiko.SFTPClient):
    """paramiko's SFTP client, keeping the extensions the server announces (paramiko drops them)."""

    extensions: dict[str, bytes]

    def _send_version(self) -> int:
        message = Message()
        message.add_int(3)
        # BaseSFTP's packet methods, private and so absent from types-paramiko
        self._send_packet(CMD_INIT, message)  # type: ignore[attr-defined]
        kind, data = self._read_packet()  # type: ignore[attr-defined]
        if kind != CMD_VERSION:
            raise SFTPError("Incompatible sftp protocol")
        version: int = struct.unpack(">I", data[:4])[0]
        reply = Message(data[4:])
        self.extensions = {}
        while reply.get_remainder():
            name = reply.get_text()
            self.extensions[name] = reply.get_binary()
        return version


class Connection:
    """An authenticated SSH transport with its SFTP client."""

    def __init__(self, transport: paramiko.Transport, sftp: ExtensionsSFTPClient, host_check: HostCheck) -> None:
        self.transport = transport
        self.sftp = sftp
        self.host_check = host_check

    @property
    def alive(self) -> bool:
        """False once the connection has broken (errors then are network errors)."""
        return self.transport.is_active()

    @property
    def posix_rename(self) -> bool:
        """True when the server offers OpenSSH's posix-rename extension."""
        return POSIX_RENAME in self.sftp.extensions

    def close(self) -> None:
        """Closes SFTP and SSH; safe to call on a broken connection."""
        try:
            self.sftp.close()
        finally:
            self.transport.close()


def _start_transport(host: str, port: int, timeout: float) -> paramiko.Transport:
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise NetworkError(f"cannot connect to {host}:{port}: {exc.strerror or exc}", host=host, port=port) from None
    transport = paramiko.Transport(sock)
    transport.banner_timeout = timeout
    transport.handshake_timeout = timeout
    try:
        transport.start_client(timeout=timeout)
    except (paramiko.SSHException, EOFError, OSError) as exc:
        transport.close()
        raise NetworkError(f"SSH handshake with {host}:{port} failed: {exc}", host=host, port=port) from None
    return transport


def fetch_host_key(host: str, port: int, *, timeout: float = 20.0) -> paramiko.PKey:
    """The host key the server presents (no authentication; for ``gateway client trust``)."""
    transport = _start_transport(host, port, timeout)
    try:
        return transport.get_remote_server_key()
    finally:
        transport.close()


def _load_key(path: Path, passphrase: str | None) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_path(path, passphrase or None)
    except paramiko.PasswordRequiredException:
        raise AuthenticationFailed(
            f"the key file {path} is encrypted: put its passphrase in the password environment variable", path=str(path)
        ) from None
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise AuthenticationFailed(f"cannot read the key file {path}: {exc}", path=str(path)) from None


def _authenticate(transport: paramiko.Transport, endpoint: Endpoint) -> None:
    user = endpoint.user
    try:
        if endpoint.key_file is not None:
            remaining = transport.auth_publickey(user, _load_key(endpoint.key_file, endpoint.password))
            # An account that wants key *and* password answers with the methods still needed.
            if not transport.is_authenticated() and "password" in remaining and endpoint.password:
                transport.auth_password(user, endpoint.password)
        elif endpoint.password:
            transport.auth_password(user, endpoint.password)
        else:
            raise AuthenticationFailed(
                "no key file and no password: set client.key_file or the password environment variable", user=user
            )
    except paramiko.BadAuthenticationType as exc:
        raise AuthenticationFailed(
            f"the server does not accept this way of logging in as {user} "
            f"(it accepts: {', '.join(exc.allowed_types) or 'nothing'})",
            user=user,
        ) from None
    except paramiko.AuthenticationException:
        raise AuthenticationFailed(f"the server refused the credentials of {user}", user=user) from None
    except (paramiko.SSHException, EOFError, OSError) as exc:
        raise NetworkError(f"connection lost while logging in: {exc}", user=user) from None
    if not transport.is_authenticated():
        raise AuthenticationFailed(f"the server refused the credentials of {user}", user=user)


def open_connection(endpoint: Endpoint) -> Connection:
    """Connects, checks the host key, authenticates and opens SFTP."""
    transport = _start_transport(endpoint.host, endpoint.port, endpoint.timeout)
    try:
        check = KnownHosts(endpoint.known_hosts).verify(
            host_id(endpoint.host, endpoint.port), transport.get_remote_server_key(), accept_new=endpoint.accept_new
        )
        if check.recorded:
            log.warning("host key recorded", host=check.host, key_type=check.key_type, fingerprint=check.fingerprint)
        _authenticate(transport, endpoint)
        try:
            sftp = ExtensionsSFTPClient.from_transport(transport)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise NetworkError(f"cannot open SFTP: {exc}") from None
        if sftp is None:
            raise NetworkError("cannot open SFTP: the server refused the channel")
        channel = sftp.get_channel()
        if channel is not None:  # a client made by from_transport has its channel
            channel.settimeout(endpoint.timeout)
        return Connection(transport, sftp, check)
    except BaseException:
        transport.close()
        raise


def is_network_failure(exc: BaseException, connection: Connection | None) -> bool:
    """True when ``exc`` means the connection failed, not that the server said no."""
    if isinstance(exc, NetworkError):
        return True
    if isinstance(exc, ClientError):
        return False
    if isinstance(exc, (TimeoutError, socket.timeout, EOFError, paramiko.SSHException, ConnectionError)):
        return True
    return isinstance(exc, OSError) and (connection is None or not connection.alive)


class Retrying:
    """Runs operations on one connection, reconnecting with backoff when the network fails.

    ``attempts`` counts every try of one operation (connecting included); the delay before try
    n+1 is ``base_delay * 2**(n-1)``, at most ``max_delay``, with up to half taken off at
    random so that many clients cut off together do not return together.
    """

    def __init__(
        self,
        connect: Callable[[], Connection],
        *,
        attempts: int = declared(ClientSettings, "retries"),
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        on_retry: Callable[[int, BaseException, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._connect = connect
        self.attempts = max(1, attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._on_retry = on_retry
        self._sleep = sleep
        self._connection: Connection | None = None

    def connection(self) -> Connection:
        """The current connection, opened on first use."""
        if self._connection is None or not self._connection.alive:
            self._drop()
            self._connection = self._connect()
        return self._connection

    def run(self, operation: Callable[[Connection], T]) -> T:
        """Runs ``operation(connection)``; network failures are retried, the rest raised."""
        for attempt in range(1, self.attempts + 1):
            connection = None
            try:
                connection = self.connection()
                return operation(connection)
            except Exception as exc:
                if not is_network_failure(exc, connection):
                    if isinstance(exc, OSError) and not isinstance(exc, ClientError):
                        raise RemoteRefused(f"the server refused: {exc}") from exc
                    raise
                self._drop()
                if attempt == self.attempts:
                    if isinstance(exc, NetworkError):
                        raise
                    raise NetworkError(f"network failure, gave up after {attempt} attempt(s): {exc}") from exc
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                log.info("network failure, retrying", attempt=attempt, delay=round(delay, 3), error=str(exc))
                if self._on_retry is not None:
                    self._on_retry(attempt, exc, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone anyway
                pass
            self._connection = None

    def close(self) -> None:
        """Closes the connection, if any."""
        self._drop()

    def __enter__(self) -> Retrying:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
