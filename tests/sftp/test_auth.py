"""Logins by key and password, the same refusal for every wrong case, and refused requests."""

from __future__ import annotations

import os
import subprocess

import paramiko
import pytest
from prometheus_client import REGISTRY

from tests.sftp.conftest import PASSWORD, openssh_options, write_key_pair


def login_fails(server, **kwargs) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        server.transport(**kwargs)


@pytest.mark.parametrize(
    "kind",
    [pytest.param("ed25519", id="ed25519"), pytest.param("ecdsa", id="ecdsa"), pytest.param("rsa3072", id="rsa-3072")],
)
def test_key_login_by_openssh(server, make_provider, kind):
    provider = make_provider("LAB", kind=kind)
    result = server.openssh(provider, "ls /\n")
    assert result.returncode == 0, result.stderr
    assert "inbox" in result.stdout and "outbox" in result.stdout


def test_password_login_and_every_wrong_case_answers_the_same(server, make_provider, accounts, tmp_path):
    provider = make_provider("LAB", password=PASSWORD)
    other_key, _ = write_key_pair(tmp_path / "stranger")
    before = REGISTRY.get_sample_value("gateway_sftp_logins_total", {"method": "password", "result": "failed"}) or 0
    server.transport(user=provider.code, password=PASSWORD).close()
    login_fails(server, user=provider.code, password=PASSWORD + "x")
    login_fails(server, user="31000433", password=PASSWORD)  # unknown user
    login_fails(server, user="../../etc", password=PASSWORD)  # not even a code
    login_fails(server, user=provider.code, key=paramiko.PKey.from_path(other_key))
    accounts.set_enabled(provider.code, False)
    login_fails(server, user=provider.code, password=PASSWORD)
    login_fails(server, login=provider)
    after = REGISTRY.get_sample_value("gateway_sftp_logins_total", {"method": "password", "result": "failed"})
    assert after - before == 4
    # what a client learns before trying anything is the same for every user name
    allowed = set()
    for user in (provider.code, "31000433", "nobody"):
        transport = paramiko.Transport(("127.0.0.1", server.port))
        transport.start_client()
        with pytest.raises(paramiko.BadAuthenticationType) as caught:
            transport.auth_none(user)
        allowed.add(tuple(caught.value.allowed_types))
        transport.close()
    assert allowed == {("publickey", "password")}


def test_openssh_password_login(server, make_provider, tmp_path):
    provider = make_provider("DIET", password=PASSWORD)
    askpass = tmp_path / "askpass"
    askpass.write_text(f"#!/bin/sh\necho '{PASSWORD}'\n")
    askpass.chmod(0o700)
    env = {**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
    result = subprocess.run(
        [
            "sftp",
            "-P",
            str(server.port),
            "-F",
            "/dev/null",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            f"UserKnownHostsFile={server.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            f"{provider.code}@127.0.0.1",
        ],
        input="ls /\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )  # no -b: it forbids passwords
    assert result.returncode == 0, result.stderr


def test_a_key_only_account_refuses_every_password(server, provider):
    login_fails(server, user=provider.code, password="")
    login_fails(server, user=provider.code, password=PASSWORD)


@pytest.mark.parametrize(
    "networks,allowed",
    [
        pytest.param(("10.0.0.0/8",), False, id="outside"),
        pytest.param(("10.0.0.0/8", "127.0.0.0/8"), True, id="inside"),
    ],
)
def test_allowed_networks(server, make_provider, networks, allowed):
    provider = make_provider("KINE", networks=networks)
    if allowed:
        server.transport(provider).close()
    else:
        login_fails(server, login=provider)


def test_auth_attempts_per_connection_are_limited(start_server, provider, tmp_path):
    server = start_server(max_auth_attempts=2)
    keys = [paramiko.PKey.from_path(write_key_pair(tmp_path / f"k{i}")[0]) for i in range(3)]
    transport = paramiko.Transport(("127.0.0.1", server.port))
    transport.start_client()
    for key in keys[:2]:
        with pytest.raises(paramiko.AuthenticationException):
            transport.auth_publickey(provider.code, key)
    with pytest.raises((paramiko.SSHException, EOFError)):  # closed: even the right key is too late
        transport.auth_publickey(provider.code, provider.pkey())
        raise AssertionError("third attempt accepted")
    transport.close()


# ----------------------------------------------------------------- requests other than sftp


@pytest.fixture
def logged_in(server, provider):
    transport = server.transport(provider)
    yield transport
    transport.close()


def test_shell_and_exec_are_refused(logged_in):
    for request in (
        lambda c: c.invoke_shell(),
        lambda c: c.exec_command("id"),
        lambda c: c.get_pty(),
        lambda c: c.invoke_subsystem("netconf"),
    ):
        channel = logged_in.open_session()
        with pytest.raises(paramiko.SSHException):
            request(channel)
        channel.close()


def test_forwarding_agent_and_x11_are_refused(logged_in):
    with pytest.raises(paramiko.SSHException):
        logged_in.request_port_forward("127.0.0.1", 0)
    with pytest.raises(paramiko.ChannelException):
        logged_in.open_channel("direct-tcpip", ("127.0.0.1", 22), ("127.0.0.1", 5555))
    channel = logged_in.open_session()
    with pytest.raises(paramiko.SSHException):
        channel.request_x11()
    channel = logged_in.open_session()
    with pytest.raises(paramiko.SSHException):
        request_with_reply(channel, "auth-agent-req@openssh.com")


def request_with_reply(channel: paramiko.Channel, kind: str) -> None:
    """A channel request asking for an answer (paramiko's request_forward_agent does not ask)."""
    from paramiko.common import cMSG_CHANNEL_REQUEST

    message = paramiko.Message()
    message.add_byte(cMSG_CHANNEL_REQUEST)
    message.add_int(channel.remote_chanid)
    message.add_string(kind)
    message.add_boolean(True)
    channel._event_pending()
    channel.transport._send_user_message(message)
    channel._wait_for_event()


def test_openssh_ssh_commands_are_refused(server, provider):
    options = [o.replace("-P", "-p") for o in openssh_options(server, provider)]
    for before, after in (([], ["true"]), (["-N", "-R", "0:127.0.0.1:22", "-o", "ExitOnForwardFailure=yes"], [])):
        result = subprocess.run(
            ["ssh", "-T", *options, *before, f"{provider.code}@127.0.0.1", *after],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode != 0
