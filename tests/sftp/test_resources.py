"""What one connection may make the server hold: handles, channels, buffered bytes, requests.

Each test drives the real server as an attacker with one provider account would, with raw
SFTP and SSH packets where a well-behaved client would never send them.
"""

from __future__ import annotations

import io
import os
import socket
import threading

import paramiko
import pytest
from paramiko.common import cMSG_CHANNEL_DATA
from paramiko.message import Message
from paramiko.sftp import CMD_HANDLE, CMD_OPEN, CMD_STATUS, SFTP_FAILURE, SFTP_FLAG_READ
from sqlalchemy import func, select

from gateway.store.models.sftp import SftpSession
from tests.sftp.conftest import LiveServer, ProviderLogin
from tests.support import wait_until

OPENS = 10_000


def open_files(transport: paramiko.Transport, path: str, count: int) -> tuple[int, list[str]]:
    """Sends ``count`` OPEN requests back to back on one SFTP session; returns (handles, refusal texts)."""
    client = paramiko.SFTPClient.from_transport(transport)
    handles, refusals = 0, []

    def read_answers() -> None:
        nonlocal handles
        for _ in range(count):
            kind, data = client._read_packet()
            answer = Message(data)
            answer.get_int()  # request number
            if kind == CMD_HANDLE:
                handles += 1
            elif kind == CMD_STATUS:
                code = answer.get_int()
                refusals.append(f"{code} {answer.get_text()}")

    reader = threading.Thread(target=read_answers, daemon=True)
    reader.start()  # answers are read while requests go out: neither side's window fills up
    for number in range(count):
        request = Message()
        request.add_int(number)
        request.add_string(path)
        request.add_int(SFTP_FLAG_READ)
        request.add_int(0)  # no attributes
        client._send_packet(CMD_OPEN, request)
    reader.join(120)
    assert not reader.is_alive(), "not every open was answered"
    return handles, refusals


def descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def put_response(server: LiveServer, login: ProviderLogin, name: str = "R_REP.xml") -> None:
    folder = server.outbox(login.code)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"<r/>")


def test_handles_are_capped_per_session(server, make_provider):
    attacker, other = make_provider("LAB"), make_provider("KINE")
    put_response(server, attacker)
    before = descriptors()
    transport = server.transport(attacker)
    handles, refusals = open_files(transport, "/outbox/R_REP.xml", OPENS)
    assert handles == 64
    assert len(refusals) == OPENS - 64
    assert all(r.startswith(f"{SFTP_FAILURE} too many open files: at most 64 per session") for r in refusals)
    assert descriptors() - before < 64 + 20  # the held handles and a few sockets, not ten thousand
    client = server.client(other)  # the server still serves others
    client.putfo(io.BytesIO(b"<x/>"), "/inbox/f.xml", confirm=True)
    client.close()
    transport.close()
    wait_until(lambda: descriptors() - before < 20, timeout_s=10)  # given back with the session


def test_channels_are_capped_per_connection(server, provider):
    transport = server.transport(provider)
    opened, refused = [], 0
    for _ in range(500):
        try:
            opened.append(transport.open_session(timeout=10))
        except paramiko.ChannelException as exc:
            assert exc.code == paramiko.OPEN_FAILED_RESOURCE_SHORTAGE
            refused += 1
    assert (len(opened), refused) == (4, 496)
    opened[0].close()
    wait_until(lambda: _opens(transport), timeout_s=10)  # a closed channel frees its place
    transport.close()


def _opens(transport: paramiko.Transport) -> bool:
    try:
        transport.open_session(timeout=10)
    except paramiko.ChannelException:
        return False
    return True


def count_sessions(sessions, code: str) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(SftpSession).where(SftpSession.provider_code == code))


def test_each_sftp_subsystem_counts_as_a_session(start_server, server, provider, sessions):
    import dataclasses

    capped = start_server(limits=dataclasses.replace(server.config.limits, sessions_per_account=2))
    transport = capped.transport(provider)
    first, second, third = (transport.open_session(timeout=10) for _ in range(3))
    first.invoke_subsystem("sftp")
    second.invoke_subsystem("sftp")
    with pytest.raises(paramiko.SSHException):
        third.invoke_subsystem("sftp")  # a third session of the account
    assert count_sessions(sessions, provider.code) == 2
    refused = paramiko.Transport(("127.0.0.1", capped.port))
    refused.connect(hostkey=capped.host_key, username=provider.code, pkey=provider.pkey())
    wait_until(lambda: not refused.is_active(), timeout_s=10)  # the account is at its cap
    second.close()
    wait_until(lambda: count_sessions(sessions, provider.code) == 1, timeout_s=10)
    fourth = transport.open_session(timeout=10)
    fourth.invoke_subsystem("sftp")  # the place is free again
    assert count_sessions(sessions, provider.code) == 2
    transport.close()
    wait_until(lambda: count_sessions(sessions, provider.code) == 0, timeout_s=10)


def push_beyond_the_window(transport: paramiko.Transport, channel: paramiko.Channel, total: int) -> int:
    """Sends channel data ignoring the window the server offered; returns the bytes sent."""
    chunk = b"x" * 32768
    sent = 0
    while sent < total and transport.is_active():
        packet = Message()
        packet.add_byte(cMSG_CHANNEL_DATA)
        packet.add_int(channel.remote_chanid)
        packet.add_string(chunk)
        try:
            transport._send_user_message(packet)
        except (OSError, EOFError, paramiko.SSHException):
            break
        sent += len(chunk)
    return sent


def test_a_client_sending_beyond_its_window_is_disconnected(server, make_provider):
    attacker, other = make_provider("LAB"), make_provider("KINE")
    transport = server.transport(attacker)
    channel = transport.open_session(timeout=10)  # a session channel nothing reads
    window = channel.out_window_size
    assert window == 8 * 1024 * 1024  # 32 MiB per connection over 4 channels
    push_beyond_the_window(transport, channel, 4 * window)
    wait_until(lambda: not transport.is_active(), timeout_s=30)
    client = server.client(other)
    assert client.listdir("/") == ["inbox", "outbox"]
    client.close()


def test_an_oversized_sftp_request_ends_the_session(server, provider):
    transport = server.transport(provider)
    channel = transport.open_session(timeout=10)
    channel.invoke_subsystem("sftp")
    init = b"\x00\x00\x00\x05\x01\x00\x00\x00\x03"
    channel.sendall(init)
    channel.recv(1024)  # the version
    channel.sendall((300 * 1024).to_bytes(4, "big") + b"\x03")  # a 300 KiB request announced
    channel.settimeout(10)
    assert channel.recv(1024) == b""  # closed without reading it
    transport.close()


def raw_connection(port: int, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))


def greeted(sock: socket.socket) -> bytes:
    try:
        return sock.recv(64)
    except ConnectionResetError:
        return b""


def test_the_banner_names_no_software_version(server):
    with raw_connection(server.port) as sock:
        assert greeted(sock) == b"SSH-2.0-SFTP\r\n"


def test_connections_not_logged_in_are_capped_per_address(start_server, provider):
    capped = start_server(max_unauthenticated_per_address=3)
    waiting = [raw_connection(capped.port) for _ in range(3)]
    assert all(greeted(s).startswith(b"SSH-2.0-") for s in waiting)
    with raw_connection(capped.port) as fourth:
        assert greeted(fourth) == b""  # closed before the banner
    with raw_connection(capped.port, "127.0.0.2") as elsewhere:
        assert greeted(elsewhere).startswith(b"SSH-2.0-")
    waiting.pop().close()
    wait_until(lambda: _greets(capped.port), timeout_s=10)
    for sock in waiting:
        sock.close()
    wait_until(lambda: capped.server.admission.pending == 0, timeout_s=10)
    logged_in = [capped.transport(provider) for _ in range(4)]  # logged-in connections do not count
    assert _greets(capped.port)
    for transport in logged_in:
        transport.close()


def _greets(port: int, source: str = "127.0.0.1") -> bool:
    with raw_connection(port, source) as sock:
        return greeted(sock).startswith(b"SSH-2.0-")


def test_connections_not_logged_in_are_capped_in_total(start_server, provider):
    capped = start_server(max_unauthenticated_connections=4, max_unauthenticated_per_address=2)
    waiting = [raw_connection(capped.port, f"127.0.0.{n}") for n in (2, 2, 3, 3)]
    assert all(greeted(s).startswith(b"SSH-2.0-") for s in waiting)
    assert not _greets(capped.port, "127.0.0.4")
    with pytest.raises((paramiko.SSHException, EOFError, OSError)):
        capped.transport(provider)  # while the cap is full nobody new gets in
    waiting.pop().close()
    wait_until(lambda: capped.server.admission.pending < 4, timeout_s=10)
    capped.transport(provider).close()
    for sock in waiting:
        sock.close()
