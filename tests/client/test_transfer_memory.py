"""Transfer logic against pytest-memory_sftp's in-memory server (no posix-rename, any credentials)."""

from __future__ import annotations

import base64
import os
import socket

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from gateway.client.connection import Endpoint, Retrying, open_connection
from gateway.client.errors import HostKeyMismatch, HostKeyUnknown, NetworkError, RemoteRefused
from gateway.client.knownhosts import KnownHosts, fingerprint, host_id
from gateway.client.push import PushResult, push_files

from .proxy import CuttingProxy

NAME = "KINE_FACT_45001237_20261115093000_000124.xml"


#: this in-memory server keeps only what a single SFTP write sends (its handle cannot append
#: to bytes), so files stay under paramiko's 32 KiB chunk; large files go to the live gateway
SIZE = 30_000


@pytest.fixture
def request_file(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(os.urandom(SIZE))
    return path


@pytest.fixture
def endpoint(memory_sftp, tmp_path):
    return Endpoint(
        host=memory_sftp.host,
        port=memory_sftp.port,
        user="45001237",
        password="any",
        known_hosts=tmp_path / "known_hosts",
        accept_new=True,
        timeout=5,
    )


def retrying(endpoint, **kwargs):
    return Retrying(lambda: open_connection(endpoint), attempts=kwargs.pop("attempts", 3), base_delay=0.01, **kwargs)


def test_push_uploads_under_a_part_name_then_renames(memory_sftp, endpoint, request_file):
    content = {"inbox": {}, "outbox": {}}
    seen = []

    def progress(name, done, total):
        seen.append((done, sorted(content["inbox"])))

    with memory_sftp.serve_content(content), retrying(endpoint) as r:
        [pushed] = push_files([request_file], r, progress=progress)
    assert pushed.result is PushResult.UPLOADED and not pushed.posix_rename
    assert content["inbox"] == {NAME: request_file.read_bytes()}
    # until the upload was complete, only the .part was there; the final name came with the rename
    assert seen[0] == (0, []) and seen[-2] == (SIZE, [pushed.temporary]) and seen[-1] == (SIZE, [NAME])
    assert pushed.temporary.startswith(NAME + ".") and pushed.temporary.endswith(".part")


def test_complete_part_left_by_an_interrupted_push_is_renamed(memory_sftp, endpoint, request_file):
    left = f"{NAME}.0badcafe.part"
    content = {"inbox": {left: request_file.read_bytes()}, "outbox": {}}
    with memory_sftp.serve_content(content), retrying(endpoint) as r:
        [pushed] = push_files([request_file], r)
    assert pushed.result is PushResult.RESUMED and pushed.temporary == left
    assert content["inbox"] == {NAME: request_file.read_bytes()}


def test_short_part_is_left_alone_and_a_fresh_name_used(memory_sftp, endpoint, request_file):
    left = f"{NAME}.0badcafe.part"
    content = {"inbox": {left: request_file.read_bytes()[:1000]}, "outbox": {}}
    with memory_sftp.serve_content(content), retrying(endpoint) as r:
        [pushed] = push_files([request_file], r)
    assert pushed.result is PushResult.UPLOADED and pushed.temporary != left
    assert content["inbox"][NAME] == request_file.read_bytes()
    assert content["inbox"][left] == request_file.read_bytes()[:1000]  # a provider cannot delete in /inbox


def test_file_already_in_the_inbox_is_not_sent_again(memory_sftp, endpoint, request_file):
    content = {"inbox": {NAME: request_file.read_bytes()}, "outbox": {}}
    with memory_sftp.serve_content(content), retrying(endpoint) as r:
        [pushed] = push_files([request_file], r)
    assert pushed.result is PushResult.ALREADY_RECEIVED
    assert list(content["inbox"]) == [NAME]


def test_other_bytes_under_the_same_name_are_refused(memory_sftp, endpoint, request_file):
    content = {"inbox": {NAME: b"<other/>"}, "outbox": {}}
    with memory_sftp.serve_content(content), retrying(endpoint) as r, pytest.raises(RemoteRefused):
        push_files([request_file], r)
    assert content["inbox"] == {NAME: b"<other/>"}


def test_connection_broken_mid_push_is_retried_and_finished(memory_sftp, endpoint, request_file):
    content = {"inbox": {}, "outbox": {}}
    proxy = CuttingProxy((memory_sftp.host, memory_sftp.port), cuts=[SIZE // 2])
    retries = []
    via_proxy = Endpoint(**{**endpoint.__dict__, "port": proxy.port})
    try:
        with (
            memory_sftp.serve_content(content),
            Retrying(
                lambda: open_connection(via_proxy),
                attempts=3,
                base_delay=0.01,
                on_retry=lambda attempt, exc, delay: retries.append(attempt),
            ) as r,
        ):
            [pushed] = push_files([request_file], r)
    finally:
        proxy.close()
    assert proxy.cut == 1 and retries == [1]
    assert pushed.result is PushResult.UPLOADED
    assert content["inbox"][NAME] == request_file.read_bytes()
    # the cut-off upload stays as a short .part (this server does not clean up; the gateway does)
    leftovers = [n for n in content["inbox"] if n != NAME]
    assert all(n.endswith(".part") and len(content["inbox"][n]) < SIZE for n in leftovers)


def test_gives_up_after_the_configured_attempts(endpoint, request_file):
    closed = Endpoint(**{**endpoint.__dict__, "port": _closed_port()})
    retries = []
    with (
        Retrying(
            lambda: open_connection(closed),
            attempts=3,
            base_delay=0.01,
            on_retry=lambda attempt, exc, delay: retries.append(attempt),
        ) as r,
        pytest.raises(NetworkError, match="cannot connect"),
    ):
        push_files([request_file], r)
    assert retries == [1, 2]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unknown_host_key_is_refused_with_its_fingerprint(memory_sftp, endpoint):
    strict = Endpoint(**{**endpoint.__dict__, "accept_new": False})
    with pytest.raises(HostKeyUnknown) as caught:
        open_connection(strict)
    assert caught.value.context["fingerprint"].startswith("SHA256:")
    assert caught.value.context["fingerprint"] in caught.value.message
    assert not strict.known_hosts.exists()


def test_accept_new_records_the_key_in_openssh_format(memory_sftp, endpoint):
    connection = open_connection(endpoint)
    try:
        assert connection.host_check.recorded
        key = connection.transport.get_remote_server_key()
    finally:
        connection.close()
    line = endpoint.known_hosts.read_text()
    assert line.startswith(f"[127.0.0.1]:{memory_sftp.port} ssh-rsa ")
    assert endpoint.known_hosts.stat().st_mode & 0o777 == 0o600
    again = open_connection(Endpoint(**{**endpoint.__dict__, "accept_new": False}))
    try:
        assert not again.host_check.recorded and again.host_check.fingerprint == fingerprint(key)
    finally:
        again.close()


def test_a_different_key_is_refused_even_with_accept_new(memory_sftp, endpoint):
    other = _other_host_key()
    KnownHosts(endpoint.known_hosts).record(host_id(endpoint.host, endpoint.port), other)
    before = endpoint.known_hosts.read_text()
    with pytest.raises(HostKeyMismatch) as caught:
        open_connection(endpoint)
    assert fingerprint(other) in caught.value.message
    assert endpoint.known_hosts.read_text() == before  # nothing replaced silently


def _other_host_key() -> paramiko.PKey:
    """The public half of a fresh ed25519 key: what an impostor would present."""
    line = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    return paramiko.PKey.from_type_string("ssh-ed25519", base64.b64decode(line.split()[1]))
