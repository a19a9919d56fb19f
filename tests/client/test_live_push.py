"""Pushing to the gateway's own SFTP server: host keys, logins, .part and rename, broken links."""

from __future__ import annotations

import os

import paramiko
import pytest
from sqlalchemy import select

from gateway.client.connection import Retrying, open_connection
from gateway.client.errors import AuthenticationFailed, HostKeyMismatch, HostKeyUnknown, RemoteRefused
from gateway.client.knownhosts import KnownHosts, host_id
from gateway.client.push import PushResult, push_files
from gateway.sftp.hostkey import fingerprint as server_fingerprint
from gateway.store.models.exchange import RequestFile

from .live import CODE, PASSWORD
from .proxy import CuttingProxy
from .test_transfer_memory import _other_host_key

NAME = f"KINE_FACT_{CODE}_20261115093000_000124.xml"
SIZE = 1_000_000


@pytest.fixture
def request_file(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(os.urandom(SIZE))  # the server registers any bytes; the sftp role alone checks nothing
    return path


def push(endpoint, paths, **kwargs):
    retries = []
    with Retrying(
        lambda: open_connection(endpoint),
        attempts=3,
        base_delay=0.01,
        on_retry=lambda attempt, exc, delay: retries.append(attempt),
    ) as retrying:
        return push_files(paths, retrying, **kwargs), retries


def received(sessions):
    with sessions() as session:
        return session.scalars(select(RequestFile.name).where(RequestFile.provider_code == CODE)).all()


def test_push_with_a_key_lands_the_whole_file_under_its_final_name(live, sessions, request_file):
    live.trust()
    seen = []
    [[pushed], retries] = push(
        live.endpoint(),
        [request_file],
        progress=lambda name, done, total: seen.append((done, sorted(os.listdir(live.inbox)))),
    )
    assert pushed.result is PushResult.UPLOADED and pushed.posix_rename and retries == []
    assert (live.inbox / NAME).read_bytes() == request_file.read_bytes()
    assert sorted(os.listdir(live.inbox)) == [NAME]
    # the final name never appeared before the upload was complete
    assert all(NAME not in names for done, names in seen[:-1])
    assert received(sessions) == [NAME]


def test_password_login(live, sessions, request_file):
    live.trust()
    [[pushed], _] = push(live.endpoint(key_file=None, password=PASSWORD), [request_file])
    assert pushed.result is PushResult.UPLOADED and received(sessions) == [NAME]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"key_file": None, "password": "wrong"}, id="wrong-password"),
        pytest.param({"user": "45001245"}, id="unknown-user"),
        pytest.param({"key_file": "other"}, id="key-not-on-the-account"),
    ],
)
def test_refused_logins_fail_at_once_and_clearly(live, sessions, request_file, tmp_path, changes):
    live.trust()
    if changes.get("key_file") == "other":
        from tests.sftp.conftest import write_key_pair

        changes = {"key_file": write_key_pair(tmp_path / "other")[0]}
    with pytest.raises(AuthenticationFailed, match="refused"):
        push(live.endpoint(**changes), [request_file])
    assert received(sessions) == []


def test_unknown_host_key_names_the_fingerprint_the_operator_publishes(live, request_file):
    with pytest.raises(HostKeyUnknown) as caught:
        push(live.endpoint(), [request_file])
    assert caught.value.context["fingerprint"] == server_fingerprint(live.host_key)
    assert not live.known_hosts.exists()
    [[pushed], _] = push(live.endpoint(accept_new=True), [request_file])
    assert pushed.result is PushResult.UPLOADED
    assert KnownHosts(live.known_hosts).known(host_id("127.0.0.1", live.port))[0].asbytes() == live.host_key.asbytes()


def test_a_changed_host_key_is_refused_and_nothing_is_sent(live, sessions, request_file):
    KnownHosts(live.known_hosts).record(host_id("127.0.0.1", live.port), _other_host_key())
    with pytest.raises(HostKeyMismatch, match="impersonated"):
        push(live.endpoint(accept_new=True), [request_file])
    assert received(sessions) == []


def test_a_complete_part_from_an_interrupted_push_is_finished_by_renaming(live, sessions, request_file):
    live.trust()
    left = f"{NAME}.0badcafe.part"
    transport = paramiko.Transport(("127.0.0.1", live.port))
    transport.connect(hostkey=live.host_key, username=CODE, pkey=paramiko.PKey.from_path(live.key_file))
    with paramiko.SFTPClient.from_transport(transport) as sftp:
        sftp.put(str(request_file), f"/inbox/{left}")  # the upload ended; the rename never came
    transport.close()
    assert received(sessions) == []
    [[pushed], _] = push(live.endpoint(), [request_file])
    assert pushed.result is PushResult.RESUMED and pushed.temporary == left
    assert sorted(os.listdir(live.inbox)) == [NAME] and received(sessions) == [NAME]


def test_a_link_broken_mid_push_is_retried_and_the_file_received_once(live, sessions, request_file):
    live.trust()
    proxy = CuttingProxy(("127.0.0.1", live.port), cuts=[SIZE // 2])
    try:
        endpoint = live.endpoint(port=proxy.port)
        KnownHosts(live.known_hosts).record(host_id("127.0.0.1", proxy.port), live.host_key)
        [[pushed], retries] = push(endpoint, [request_file])
    finally:
        proxy.close()
    assert proxy.cut == 1 and retries == [1]
    assert pushed.result is PushResult.UPLOADED
    assert (live.inbox / NAME).read_bytes() == request_file.read_bytes()
    assert received(sessions) == [NAME]
    # the provider sees nothing of the cut-off upload in its /inbox: the server keeps such bytes
    # under a hidden name until it has noticed the broken session, then removes them
    with Retrying(lambda: open_connection(live.endpoint()), attempts=1) as retrying:
        assert retrying.run(lambda c: sorted(c.sftp.listdir("/inbox"))) == [NAME]


def test_pushing_again_sends_nothing_and_a_held_name_is_refused(live, sessions, request_file, tmp_path):
    live.trust()
    push(live.endpoint(), [request_file])
    [[again], _] = push(live.endpoint(), [request_file])
    assert again.result is PushResult.ALREADY_RECEIVED
    other = tmp_path / "other" / NAME
    other.parent.mkdir()
    other.write_bytes(b"<other/>")
    with pytest.raises(RemoteRefused):
        push(live.endpoint(), [other])
    assert received(sessions) == [NAME] and (live.inbox / NAME).read_bytes() == request_file.read_bytes()
