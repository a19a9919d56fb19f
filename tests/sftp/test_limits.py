"""Limits shared through the database: connection rate, bans, session caps, timeouts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import time

import paramiko
import pytest
from sqlalchemy import select

from gateway.clock import utcnow
from gateway.sftp.limits import Limits, LimitValues
from gateway.store.models.audit import AuditEvent
from gateway.store.models.sftp import SftpBan, SftpSession
from tests.sftp.conftest import PASSWORD, LiveServer, live_config, write_key_pair
from tests.support import wait_until


def banner(port: int) -> bytes:
    """What the server says to a new TCP connection (b"" when it hangs up at once)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            return sock.recv(64)
        except ConnectionResetError:
            return b""


def limited(server, **changes):
    return dataclasses.replace(server.config.limits, **changes)


def test_connections_per_address_are_rate_limited(start_server, server):
    slow = start_server(limits=limited(server, connections_per_address_per_second=0.2))  # 1 per 5 s
    assert banner(slow.port).startswith(b"SSH-2.0-")
    assert banner(slow.port) == b""


def test_repeated_failures_ban_the_address(start_server, server, make_provider, sessions):
    provider = make_provider("LAB", password=PASSWORD)
    strict = start_server(limits=limited(server, ban_after_failures=3, ban_seconds=600))
    for _ in range(2):
        with pytest.raises(paramiko.AuthenticationException):
            strict.transport(user=provider.code, password="wrong password!")
    with pytest.raises((paramiko.AuthenticationException, paramiko.SSHException, EOFError)):
        strict.transport(user=provider.code, password="still the wrong one")
    assert banner(strict.port) == b""  # banned: refused before the handshake
    with pytest.raises((paramiko.SSHException, EOFError, OSError)):
        strict.transport(provider)  # even with the right key
    with sessions() as session:
        (ban,) = session.scalars(select(SftpBan))
        assert ban.address == "127.0.0.1" and ban.until > utcnow() + dt.timedelta(seconds=500)
        failed = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "failed")).all()
        assert len(failed) == 3


def test_refused_keys_count_once_per_connection(start_server, server, provider, tmp_path, sessions):
    strict = start_server(limits=limited(server, ban_after_failures=2))
    stranger = paramiko.PKey.from_path(write_key_pair(tmp_path / "stranger")[0])
    for _ in range(2):
        with pytest.raises(paramiko.AuthenticationException):
            strict.transport(user=provider.code, key=stranger)
    wait_until(lambda: banner(strict.port) == b"", timeout_s=10)


def test_sessions_per_account_are_capped_across_nodes(project, engine, sessions, server, provider, tmp_path):
    """Two server processes (nodes) on one database see each other's sessions."""
    config = live_config(project, engine, limits=limited(server, sessions_per_account=2))
    node_a = server_for(config, sessions, tmp_path / "a")
    node_b = server_for(config, sessions, tmp_path / "b")
    try:
        first, second = node_a.transport(provider), node_b.transport(provider)
        third = paramiko.Transport(("127.0.0.1", node_a.port))
        third.connect(hostkey=node_a.host_key, username=provider.code, pkey=provider.pkey())
        wait_until(lambda: not third.is_active(), timeout_s=10)  # authenticated, then closed
        with sessions() as session:
            assert len(session.scalars(select(SftpSession)).all()) == 2
        first.close()
        wait_until(lambda: count_sessions(sessions) == 1, timeout_s=10)
        node_a.transport(provider).close()  # a place is free again
        second.close()
    finally:
        node_a.stop()
        node_b.stop()


def server_for(config, sessions, folder) -> LiveServer:
    folder.mkdir()
    return LiveServer(config, sessions, folder / "known_hosts")


def count_sessions(sessions) -> int:
    with sessions() as session:
        return len(session.scalars(select(SftpSession)).all())


def test_total_sessions_are_capped(start_server, server, make_provider):
    capped = start_server(limits=limited(server, sessions_total=1))
    one, two = make_provider("LAB"), make_provider("KINE")
    first = capped.transport(one)
    second = capped.transport(two)
    wait_until(lambda: not second.is_active(), timeout_s=10)
    assert first.is_active()
    first.close()


def test_sessions_of_a_dead_node_stop_counting(sessions):
    values = LimitValues(10.0, 1, 10, 10, 600.0, 900.0, heartbeat=1.0)
    alive, dead = Limits(sessions, values, node="alive"), Limits(sessions, values, node="dead")
    assert dead.open_session("s1", "31000425", "127.0.0.1", "") is None
    assert alive.open_session("s2", "31000425", "127.0.0.1", "") == "account_sessions"
    with sessions() as session, session.begin():
        session.get(SftpSession, "s1").seen_at = utcnow() - dt.timedelta(seconds=10)
    assert alive.open_session("s2", "31000425", "127.0.0.1", "") is None
    alive.heartbeat()
    assert [s.id for s in session_rows(sessions)] == ["s2"]


def session_rows(sessions):
    with sessions() as session:
        return session.scalars(select(SftpSession)).all()


def test_idle_sessions_are_closed(start_server, provider):
    quick = start_server(idle_timeout=0.5)
    transport = quick.transport(provider)
    wait_until(lambda: not transport.is_active(), timeout_s=10)


def test_connections_that_do_not_authenticate_are_closed(start_server, provider):
    quick = start_server(auth_timeout=0.5)
    with socket.create_connection(("127.0.0.1", quick.port), timeout=10) as sock:
        assert sock.recv(64).startswith(b"SSH-2.0-")
        sock.settimeout(10)
        try:
            assert sock.recv(4096) == b""  # the server hung up
        except ConnectionResetError:
            pass


def throttled_count() -> float:
    from gateway.metrics import SFTP_REFUSED

    return SFTP_REFUSED.labels(reason="account_throttled")._value.get()


def test_password_guessing_on_one_account_is_slowed_not_locked(start_server, server, make_provider):
    provider = make_provider("LAB", password=PASSWORD)
    other = make_provider("KINE", password=PASSWORD)
    slowed = start_server(
        limits=limited(server, account_throttle_after=2, account_throttle_max_delay=1.0, ban_after_failures=100)
    )
    for _ in range(2):
        with pytest.raises(paramiko.AuthenticationException):
            slowed.transport(user=provider.code, password="wrong password!")
    before = throttled_count()
    started = time.monotonic()
    slowed.transport(user=provider.code, password=PASSWORD).close()  # the right password still gets in
    assert time.monotonic() - started >= 0.9  # after the account's wait (a lower bound: load only adds)
    assert throttled_count() == before + 1
    slowed.transport(provider).close()  # keys never wait
    slowed.transport(user=other.code, password=PASSWORD).close()  # nor do other accounts
    assert throttled_count() == before + 1
