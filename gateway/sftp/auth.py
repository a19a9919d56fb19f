"""Logins: credentials checked against the database, and what a session may request.

Unknown users, disabled accounts, addresses outside an account's allowed networks and wrong
credentials all get the same answer (``publickey,password`` may continue) after the same
work: a password attempt always spends one argon2 verification, a key attempt always one
database query. Only the ``sftp`` subsystem is granted; shell, exec, port forwarding, agent
and X11 requests are refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import paramiko
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.keys import fingerprint_of
from gateway.accounts.passwords import verify_password
from gateway.clock import utcnow
from gateway.logs import get_logger
from gateway.metrics import SFTP_LOGINS, SFTP_SESSIONS
from gateway.sftp.session import Who
from gateway.store.models.accounts import Provider, ProviderKey

if TYPE_CHECKING:
    from gateway.sftp.area import ProviderArea
    from gateway.sftp.server import SftpServer

log = get_logger(__name__)

ALLOWED_AUTHS = "publickey,password"


@dataclass(frozen=True)
class Account:
    """An account whose credentials matched."""

    code: str
    profession: str
    #: the key's fingerprint, "" for a password
    fingerprint: str


def network_allows(networks: str, address: str) -> bool:
    """True when ``address`` is inside one of the comma-separated ``networks`` (or none given)."""
    wanted = [n for n in networks.split(",") if n.strip()]
    if not wanted:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(n.strip(), strict=False) for n in wanted)


def _plausible_user(username: str) -> bool:
    return len(username) == 8 and username.isascii() and username.isdigit()


class Authenticator:
    """Checks one credential against the accounts in the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def password(self, username: str, password: str | bytes, address: str) -> Account | None:
        """The account when the password matches an enabled account reachable from ``address``."""
        provider = None
        if _plausible_user(username):
            with self._sessions() as session:
                provider = session.get(Provider, username)
        matched = verify_password(provider.password_hash if provider else None, password)  # always one argon2
        if not matched or provider is None or not provider.enabled:
            return None
        if not network_allows(provider.allowed_networks, address):
            return None
        return Account(provider.code, provider.profession, "")

    def publickey(self, username: str, key: paramiko.PKey, address: str) -> Account | None:
        """The account when ``key`` is one of its keys (same single query whatever the outcome)."""
        blob = key.asbytes()
        fingerprint = fingerprint_of(blob)
        with self._sessions() as session:
            row = session.execute(
                select(ProviderKey.public_key, Provider.profession, Provider.enabled, Provider.allowed_networks)
                .join(Provider, Provider.code == ProviderKey.provider_code)
                .where(ProviderKey.provider_code == username, ProviderKey.fingerprint == fingerprint)
            ).first()
        if row is None or not row.enabled or not network_allows(row.allowed_networks, address):
            return None
        stored = row.public_key.split()
        if len(stored) < 2 or base64.b64decode(stored[1]) != blob:
            return None
        return Account(username, row.profession, fingerprint)


def hang_up(transport: paramiko.Transport) -> None:
    """Closes a transport now: the socket is shut down first, which wakes its blocked read."""
    try:
        transport.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    transport.close()


class GatewayTransport(paramiko.Transport):
    """paramiko's server transport, telling our connection when authentication succeeded."""

    #: paramiko wakes every transport thread this often to look for a stop request; its 0.1 s
    #: costs noticeable CPU with a thousand idle sessions, and closing may take this long
    _active_check_timeout = 1.0

    def _auth_trigger(self) -> None:
        super()._auth_trigger()
        self.server_object.authenticated()


class Connection(paramiko.ServerInterface):
    """One TCP connection: its login attempts, its session, its activity."""

    def __init__(self, server: SftpServer, transport: GatewayTransport, address: str) -> None:
        self.server = server
        self.transport = transport
        self.address = address
        self.session_id = secrets.token_hex(8)
        self.connected = time.monotonic()
        self.last_activity = self.connected
        self.who: Who | None = None
        self.closing: str | None = None
        self._pending: tuple[Account, str] | None = None
        self._failures = 0
        self._key_refused = False
        self._password_refused = False
        self.log = log.bind(session=self.session_id, address=address)

    # ----------------------------------------------------------------- activity

    def touch(self) -> None:
        """Marks traffic (for the idle timeout)."""
        self.last_activity = time.monotonic()

    def close(self, reason: str) -> None:
        """Closes the connection from any thread, once."""
        if self.closing is None:
            self.closing = reason
            self.log.info("closing connection", reason=reason)
        threading.Thread(target=hang_up, args=(self.transport,), name="sftp-close", daemon=True).start()

    # ----------------------------------------------------------------- authentication

    def get_allowed_auths(self, username: str) -> str:
        return ALLOWED_AUTHS

    def check_auth_none(self, username: str) -> int:
        return paramiko.AUTH_FAILED

    def check_auth_password(self, username: str, password: str | bytes) -> int:
        if not self._may_try():
            return paramiko.AUTH_FAILED
        account = self.server.authenticator.password(username, password, self.address)
        if account is None:
            self._password_refused = True
            self._refused(username, "password")
            if self.server.limits.record_failure(self.address):
                self.log.warning("address banned", failures=self.server.limits.values.ban_after_failures)
                self.close("banned")
            return paramiko.AUTH_FAILED
        self._pending = (account, "password")
        return paramiko.AUTH_SUCCESSFUL

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if not self._may_try():
            return paramiko.AUTH_FAILED
        account = self.server.authenticator.publickey(username, key, self.address)
        if account is None:
            self._key_refused = True
            self._refused(username, "publickey", key=fingerprint_of(key.asbytes()))
            return paramiko.AUTH_FAILED
        self._pending = (account, "publickey")
        return paramiko.AUTH_SUCCESSFUL

    def _may_try(self) -> bool:
        if self._failures >= self.server.config.max_auth_attempts:
            self.close("auth_attempts")
            return False
        if self.server.limits.is_banned(self.address):
            self.close("banned")
            return False
        return True

    def _refused(self, username: str, method: str, **detail: str) -> None:
        self._failures += 1
        SFTP_LOGINS.labels(method=method, result="failed").inc()
        self.log.info("login failed", user=username[:40], method=method, result="failed", **detail)
        self.server.record(actor=f"provider:{username[:40]}", action="sftp.login", address=self.address,
                           outcome="failed", method=method, sftp_session=self.session_id, **detail)
        if self._failures >= self.server.config.max_auth_attempts:
            self.close("auth_attempts")

    def authenticated(self) -> None:
        """Called once the transport has granted the login: opens (or refuses) the session."""
        assert self._pending is not None
        account, method = self._pending
        refusal = self.server.limits.open_session(self.session_id, account.code, self.address, account.fingerprint)
        if refusal is not None:
            SFTP_LOGINS.labels(method=method, result=str(refusal)).inc()
            self.log.warning("session refused", provider=account.code, reason=str(refusal))
            self.server.record(actor=f"provider:{account.code}", action="sftp.login", address=self.address,
                               outcome="refused", reason=str(refusal), sftp_session=self.session_id)
            self.close(str(refusal))
            return
        self.who = Who(provider_code=account.code, profession=account.profession, address=self.address,
                       session_id=self.session_id, method=method, key_fingerprint=account.fingerprint,
                       started_at=utcnow())
        self.log = self.log.bind(provider=account.code, key=account.fingerprint)
        SFTP_LOGINS.labels(method=method, result="ok").inc()
        SFTP_SESSIONS.inc()
        self.log.info("session opened", method=method)
        self.server.record(actor=self.who.actor, action="sftp.login", address=self.address, outcome="ok",
                           method=method, key=account.fingerprint, sftp_session=self.session_id)

    def ended(self) -> None:
        """The transport is gone: closes the session's records (called once by the server)."""
        if self.who is not None:
            SFTP_SESSIONS.dec()
            self.server.limits.close_session(self.session_id)
            duration = (utcnow() - self.who.started_at) / dt.timedelta(seconds=1)
            self.log.info("session closed", duration_s=round(duration, 3), reason=self.closing or "client")
            self.server.record(actor=self.who.actor, action="sftp.logout", address=self.address,
                               sftp_session=self.session_id, duration_s=round(duration, 3),
                               reason=self.closing or "client")
        elif self._key_refused and not self._password_refused:
            # keys refused and no login: one failure for the connection, as a password would count
            if self.server.limits.record_failure(self.address):
                self.log.warning("address banned")

    # ----------------------------------------------------------------- channels

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session" and self.who is not None:
            return paramiko.OPEN_SUCCEEDED
        self.log.info("channel refused", kind=kind)
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        if name != "sftp" or self.who is None:
            self.log.info("subsystem refused", subsystem=name[:40])
            return False
        return super().check_channel_subsystem_request(channel, name)

    def _refuse(self, what: str) -> bool:
        self.log.info("request refused", request=what)
        return False

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        return self._refuse("shell")

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        return self._refuse("exec")

    def check_channel_pty_request(self, *args: object) -> bool:
        return self._refuse("pty")

    def check_channel_x11_request(self, *args: object) -> bool:
        return self._refuse("x11")

    def check_channel_forward_agent_request(self, channel: paramiko.Channel) -> bool:
        return self._refuse("agent")

    def check_port_forward_request(self, address: str, port: int) -> bool:
        return self._refuse("port-forward")

    def check_global_request(self, kind: str, msg: paramiko.Message) -> bool:
        return False  # keepalives and hints; tcpip-forward goes to check_port_forward_request

    def check_channel_direct_tcpip_request(self, chanid: int, origin: object, destination: object) -> int:
        self._refuse("direct-tcpip")
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_env_request(self, channel: paramiko.Channel, name: bytes, value: bytes) -> bool:
        return False  # OpenSSH sends LANG; refused quietly

    # ----------------------------------------------------------------- the jail

    def open_area(self) -> ProviderArea:
        """The provider's view of its folders for a new SFTP subsystem."""
        assert self.who is not None
        return self.server.open_area(self.who)
