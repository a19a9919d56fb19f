"""Logins: credentials checked against the database, and what a session may request.

Unknown users, disabled accounts, addresses outside an account's allowed networks and wrong
credentials all get the same answer (``publickey,password`` may continue) after the same
work: a password attempt always spends one argon2 verification, a key attempt always one
database query. A password attempt on an account with many recent failures first waits
(:meth:`gateway.sftp.limits.Limits.password_delay`); key attempts never wait. Only the
``sftp`` subsystem is granted; shell, exec, port forwarding, agent and X11 requests are
refused.

Resources of a logged-in connection are bounded here too: at most
``max_channels_per_connection`` open channels; every SFTP subsystem beyond the first counts
as one more session of the account (``max_sessions_per_account``); and a client that sends
more than the window it was offered on a channel is disconnected (:class:`GatewayTransport`),
so what a connection can make the server hold in memory is bounded by its channels' windows.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import paramiko
from paramiko.common import (
    AUTH_FAILED,
    AUTH_SUCCESSFUL,
    MSG_CHANNEL_DATA,
    MSG_CHANNEL_EXTENDED_DATA,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_FAILED_RESOURCE_SHORTAGE,
    OPEN_SUCCEEDED,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.accounts.keys import fingerprint_of
from gateway.accounts.passwords import verify_password
from gateway.clock import utcnow
from gateway.logs import get_logger
from gateway.metrics import SFTP_LOGINS, SFTP_SESSIONS
from gateway.networks import contains, parse_networks
from gateway.sftp.limits import Refusal
from gateway.sftp.paramiko_private import channel_handlers, feed_channel
from gateway.sftp.session import Who
from gateway.store.models.accounts import Provider, ProviderKey

if TYPE_CHECKING:
    from gateway.sftp.area import ProviderArea
    from gateway.sftp.server import SftpServer

log = get_logger(__name__)

ALLOWED_AUTHS = "publickey,password"
#: what the server says in its SSH banner: no product, no version
BANNER_SOFTWARE = "SFTP"


@dataclass(frozen=True)
class Account:
    """An account whose credentials matched."""

    code: str
    profession: str
    #: the key's fingerprint, "" for a password
    fingerprint: str


def network_allows(networks: str, address: str) -> bool:
    """True when ``address`` is inside one of the comma-separated ``networks`` (or none given)."""
    wanted = parse_networks(networks.split(","))
    return not wanted or contains(wanted, address)


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


def _unconsumed(channel: paramiko.Channel) -> int:
    """Bytes of ``channel``'s window the client has used and we have not given back yet.

    paramiko gives window back (WINDOW_ADJUST) only as the channel is read: what the client may
    still send is the window offered minus what sits unread in the buffers minus what was read
    and not yet acknowledged (``in_window_sofar``).
    """
    return len(channel.in_buffer) + len(channel.in_stderr_buffer) + channel.in_window_sofar


def _gateway_transport(channel: paramiko.Channel) -> GatewayTransport:
    # these handlers are in GatewayTransport's table only, so their channel's transport is one
    return cast(GatewayTransport, channel.transport)


def _feed_within_window(channel: paramiko.Channel, m: paramiko.Message) -> None:
    """MSG_CHANNEL_DATA: buffered only within the window offered, else the connection is closed.

    paramiko alone appends whatever arrives to the channel's buffer (RFC 4254 5.2 lets a server
    drop data beyond the window; a byte stream with a hole is useless, so we disconnect).
    """
    data = m.get_binary()
    if _gateway_transport(channel).overrun(channel, len(data)):
        return
    feed_channel(channel, data)


def _feed_extended_within_window(channel: paramiko.Channel, m: paramiko.Message) -> None:
    """MSG_CHANNEL_EXTENDED_DATA, held to the same window (nothing here reads it)."""
    code = m.get_int()
    data = m.get_binary()
    if _gateway_transport(channel).overrun(channel, len(data)) or code != 1:
        return
    channel.in_stderr_buffer.feed(data)


class GatewayTransport(paramiko.Transport):
    """paramiko's server transport: a neutral banner, windows enforced, our connection told of logins.

    The private names of paramiko it redefines are listed in
    :data:`gateway.sftp.paramiko_private.TRANSPORT_OVERRIDES` (a test holds the two together)."""

    _CLIENT_ID = BANNER_SOFTWARE
    #: paramiko wakes every transport thread this often to look for a stop request; its 0.1 s
    #: costs noticeable CPU with a thousand idle sessions, and closing may take this long
    _active_check_timeout = 1.0
    _channel_handler_table = {
        **channel_handlers(),
        MSG_CHANNEL_DATA: _feed_within_window,
        MSG_CHANNEL_EXTENDED_DATA: _feed_extended_within_window,
    }

    def __init__(self, *args: Any, max_buffered_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_buffered_bytes = max_buffered_bytes
        self.overran = False
        #: the channels opened (paramiko's own list of them is for accept(), which we never call)
        self.open_channels: list[paramiko.Channel] = []

    def _auth_trigger(self) -> None:
        super()._auth_trigger()  # type: ignore[misc]  # private to paramiko (paramiko_private.py)
        self._connection().authenticated()

    def run(self) -> None:
        try:
            super().run()
        finally:  # a connection that died before logging in stops counting at once
            if isinstance(self.server_object, Connection):
                self.server_object.leave_admission()

    def _queue_incoming_channel(self, channel: paramiko.Channel) -> None:
        # Kept here instead of paramiko's server_accepts, which only accept() would empty:
        # every channel ever opened would stay in memory for the connection's life.
        with self.lock:
            self.open_channels = [c for c in self.open_channels if not c.closed]
            self.open_channels.append(channel)

    def _connection(self) -> Connection:
        # the server object start_server was given: the gateway's Connection, typed by paramiko
        # as the ServerInterface it extends
        return cast(Connection, self.server_object)

    def channels_open(self) -> int:
        """Channels of this connection not yet closed."""
        with self.lock:
            self.open_channels = [c for c in self.open_channels if not c.closed]
            return len(self.open_channels)

    def overrun(self, channel: paramiko.Channel, incoming: int) -> bool:
        """True (and the connection is being closed) when ``incoming`` more bytes exceed a bound.

        The bounds: the window offered on ``channel``, the largest packet, and the bytes the
        whole connection may hold unread.
        """
        if self.overran:
            return True
        in_channel = _unconsumed(channel) + incoming
        total = incoming + sum(_unconsumed(c) for c in list(self.open_channels))
        if (
            in_channel <= channel.in_window_size
            and incoming <= channel.in_max_packet_size
            and total <= self.max_buffered_bytes
        ):
            return False
        self.overran = True
        self._connection().window_overrun(in_channel, channel.in_window_size, total)
        return True


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
        self._closed = threading.Event()
        self._pending: tuple[Account, str] | None = None
        self._failures = 0
        self._key_refused = False
        self._password_refused = False
        self._admitted = True  # counted by the server's Admission until logged in or ended
        self._lock = threading.Lock()
        #: SFTP subsystems running, and the extra session rows they hold beyond the login's own
        self._subsystems = 0
        self._extra_sessions: list[str] = []
        self._extra_serial = 0
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
        self._closed.set()
        threading.Thread(target=hang_up, args=(self.transport,), name="sftp-close", daemon=True).start()

    def leave_admission(self) -> None:
        """No longer counted as a connection waiting to log in (idempotent)."""
        with self._lock:
            admitted, self._admitted = self._admitted, False
        if admitted:
            self.server.admission.leave(self.address)

    def window_overrun(self, in_channel: int, window: int, total: int) -> None:
        """The client sent beyond what it was allowed to: the connection is closed."""
        self.server.refused(
            "window_overrun", address=self.address, channel_bytes=in_channel, window=window, connection_bytes=total
        )
        self.close("window_overrun")

    # ----------------------------------------------------------------- authentication

    def get_allowed_auths(self, username: str) -> str:
        return ALLOWED_AUTHS

    def check_auth_none(self, username: str) -> int:
        return AUTH_FAILED

    def check_auth_password(self, username: str, password: str | bytes) -> int:
        if not self._may_try() or not self._wait_if_throttled(username):
            return AUTH_FAILED
        account = self.server.authenticator.password(username, password, self.address)
        if account is None:
            self._password_refused = True
            self._refused(username, "password")
            if _plausible_user(username):
                self.server.limits.record_account_failure(username)
            if self.server.limits.record_failure(self.address):
                self.log.warning("address banned", failures=self.server.limits.values.ban_after_failures)
                self.close("banned")
            return AUTH_FAILED
        self._pending = (account, "password")
        return AUTH_SUCCESSFUL

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        if not self._may_try():
            return AUTH_FAILED
        account = self.server.authenticator.publickey(username, key, self.address)
        if account is None:
            self._key_refused = True
            self._refused(username, "publickey", key=fingerprint_of(key.asbytes()))
            return AUTH_FAILED
        self._pending = (account, "publickey")
        return AUTH_SUCCESSFUL

    def _wait_if_throttled(self, username: str) -> bool:
        """Waits before checking a password on an account under attack; False if closed meanwhile.

        Every plausible user name is throttled alike, existing or not (no account enumeration).
        """
        delay = self.server.limits.password_delay(username) if _plausible_user(username) else 0.0
        if delay <= 0:
            return True
        self.server.refused("account_throttled", account=username, delay_s=delay, address=self.address)
        return not self._closed.wait(delay)

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
        self.server.record(
            actor=f"provider:{username[:40]}",
            action="sftp.login",
            address=self.address,
            outcome="failed",
            method=method,
            sftp_session=self.session_id,
            **detail,
        )
        if self._failures >= self.server.config.max_auth_attempts:
            self.close("auth_attempts")

    def authenticated(self) -> None:
        """Called once the transport has granted the login: opens (or refuses) the session.

        Before the session can upload anything, uploads of the provider that a dead server
        process left unregistered are registered (:mod:`gateway.sftp.rescue`).
        """
        assert self._pending is not None
        self.leave_admission()
        account, method = self._pending
        refusal = self.server.limits.open_session(self.session_id, account.code, self.address, account.fingerprint)
        if refusal is not None:
            SFTP_LOGINS.labels(method=method, result=str(refusal)).inc()
            self.log.warning("session refused", provider=account.code, reason=str(refusal))
            self.server.record(
                actor=f"provider:{account.code}",
                action="sftp.login",
                address=self.address,
                outcome="refused",
                reason=str(refusal),
                sftp_session=self.session_id,
            )
            self.close(str(refusal))
            return
        self.who = Who(
            provider_code=account.code,
            profession=account.profession,
            address=self.address,
            session_id=self.session_id,
            method=method,
            key_fingerprint=account.fingerprint,
            started_at=utcnow(),
        )
        self.log = self.log.bind(provider=account.code, key=account.fingerprint)
        try:
            self.server.tidy(account.code)
        except Exception:  # the start-up and periodic passes catch up; the login goes on
            self.log.exception("tidying the inbox at login failed")
        SFTP_LOGINS.labels(method=method, result="ok").inc()
        SFTP_SESSIONS.inc()
        self.log.info("session opened", method=method)
        self.server.record(
            actor=self.who.actor,
            action="sftp.login",
            address=self.address,
            outcome="ok",
            method=method,
            key=account.fingerprint,
            sftp_session=self.session_id,
        )

    def ended(self) -> None:
        """The transport is gone: closes the session's records (called once by the server)."""
        self._closed.set()
        if self.who is not None:
            SFTP_SESSIONS.dec()
            for extra in list(self._extra_sessions):
                self.server.limits.close_session(extra)
            self.server.limits.close_session(self.session_id)
            duration = (utcnow() - self.who.started_at) / dt.timedelta(seconds=1)
            self.log.info("session closed", duration_s=round(duration, 3), reason=self.closing or "client")
            self.server.record(
                actor=self.who.actor,
                action="sftp.logout",
                address=self.address,
                sftp_session=self.session_id,
                duration_s=round(duration, 3),
                reason=self.closing or "client",
            )
        elif self._key_refused and not self._password_refused:
            # keys refused and no login: one failure for the connection, as a password would count
            if self.server.limits.record_failure(self.address):
                self.log.warning("address banned")

    # ----------------------------------------------------------------- channels

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind != "session" or self.who is None:
            self.log.info("channel refused", kind=kind)
            return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        limit = self.server.config.max_channels_per_connection
        if self.transport.channels_open() >= limit:
            self.server.refused("channels", provider=self.who.provider_code, address=self.address, limit=limit)
            return OPEN_FAILED_RESOURCE_SHORTAGE
        return OPEN_SUCCEEDED

    def check_channel_subsystem_request(self, channel: paramiko.Channel, name: str) -> bool:
        if name != "sftp" or self.who is None:
            self.log.info("subsystem refused", subsystem=name[:40])
            return False
        refusal = self._take_session_slot()
        if refusal is not None:
            self.server.refused(str(refusal), provider=self.who.provider_code, address=self.address)
            return False
        if not super().check_channel_subsystem_request(channel, name):
            self.subsystem_ended()
            return False
        return True

    def _take_session_slot(self) -> Refusal | None:
        """Counts one more SFTP subsystem; beyond the first, each is a session of the account."""
        assert self.who is not None
        with self._lock:
            self._subsystems += 1
            if self._subsystems <= 1 + len(self._extra_sessions):
                return None
            self._extra_serial += 1
            extra = f"{self.session_id}.{self._extra_serial}"
        refusal = self.server.limits.open_session(extra, self.who.provider_code, self.address, self.who.key_fingerprint)
        with self._lock:
            if refusal is None:
                self._extra_sessions.append(extra)
            else:
                self._subsystems -= 1
        return refusal

    def subsystem_ended(self) -> None:
        """An SFTP subsystem finished: a session row it held beyond the login's own is given back."""
        with self._lock:
            self._subsystems -= 1
            extra = self._extra_sessions.pop() if len(self._extra_sessions) >= max(1, self._subsystems) else None
        if extra is not None:
            try:
                self.server.limits.close_session(extra)
            except Exception:  # the row lapses with the heartbeat
                self.log.exception("closing a session row failed")

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
        return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_env_request(self, channel: paramiko.Channel, name: bytes, value: bytes) -> bool:
        return False  # OpenSSH sends LANG; refused quietly

    # ----------------------------------------------------------------- the jail

    def open_area(self) -> ProviderArea:
        """The provider's view of its folders for a new SFTP subsystem."""
        assert self.who is not None
        return self.server.open_area(self.who)
