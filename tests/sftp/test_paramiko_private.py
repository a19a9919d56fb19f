"""paramiko's private parts the gateway relies on are still there, as used.

When one of these fails after a paramiko upgrade, the message names the private part that
moved: adapt ``gateway/sftp/paramiko_private.py`` (the only place that touches it), run the
SFTP tests, then update ``TESTED_MINOR`` and the pin in ``pyproject.toml``.
"""

from __future__ import annotations

import inspect
import os

import paramiko
import pytest
from paramiko import SFTPAttributes, SFTPServer
from paramiko.message import Message
from paramiko.sftp import SFTP_FLAG_CREATE, SFTP_FLAG_EXCL, SFTP_FLAG_READ, SFTP_FLAG_TRUNC, SFTP_FLAG_WRITE

from gateway.sftp import paramiko_private as private
from gateway.sftp.auth import Connection, GatewayTransport
from gateway.sftp.protocol import GatewaySftpServer


def _parameters(function: object) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_paramiko_is_the_minor_version_the_private_parts_were_checked_against():
    installed = tuple(int(part) for part in paramiko.__version__.split(".")[:2])
    assert installed == private.TESTED_MINOR, (
        f"paramiko {paramiko.__version__} is installed; gateway/sftp/paramiko_private.py was checked against "
        f"{'.'.join(map(str, private.TESTED_MINOR))}: run this file and tests/sftp, then update TESTED_MINOR"
    )


@pytest.mark.parametrize(
    ("owner", "name", "parameters"),
    [pytest.param(*entry, id=f"{entry[0].__name__}.{entry[1]}") for entry in private.RELIED_ON],
)
def test_each_private_part_relied_on_exists_with_its_parameters(owner, name, parameters):
    assert name in {n for cls in owner.__mro__ for n in vars(cls)}, (
        f"paramiko {paramiko.__version__}: {owner.__name__}.{name} is gone (used by gateway/sftp/paramiko_private.py)"
    )
    if parameters is not None:
        found = _parameters(getattr(owner, name))
        assert found == parameters, (
            f"paramiko {paramiko.__version__}: {owner.__name__}.{name}{found} no longer takes {parameters}"
        )


def test_channel_attributes_read_by_the_window_accounting_exist():
    channel = paramiko.Channel(1)
    missing = [name for name in private.CHANNEL_ATTRIBUTES if not hasattr(channel, name)]
    assert not missing, f"paramiko {paramiko.__version__}: Channel lost {missing}"
    assert isinstance(channel.in_window_sofar, int) and callable(channel.in_buffer.feed)


def test_the_channel_handler_table_still_routes_the_messages_the_gateway_replaces():
    table = private.channel_handlers()
    assert paramiko.common.MSG_CHANNEL_DATA in table and paramiko.common.MSG_CHANNEL_EXTENDED_DATA in table
    assert _parameters(table[paramiko.common.MSG_CHANNEL_DATA]) == ("self", "m")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        pytest.param(GatewaySftpServer, SFTPServer, id="sftp-session"),
        pytest.param(GatewayTransport, paramiko.Transport, id="transport"),
        pytest.param(Connection, paramiko.ServerInterface, id="server-interface"),
    ],
)
def test_the_gateway_overrides_no_private_paramiko_name_that_is_not_declared(ours, theirs):
    """A private method of ours that happens to share a paramiko name would silently replace
    paramiko's (or be called by it): each such name must be one declared on purpose."""
    declared = set(private.TRANSPORT_OVERRIDES)
    paramiko_names = {
        n
        for cls in theirs.__mro__
        if cls.__module__.startswith("paramiko")
        for n in vars(cls)
        if n.startswith("_") and not n.startswith("__")
    }
    ours_names = {
        n
        for cls in ours.__mro__
        if cls.__module__.startswith("gateway.")
        for n in vars(cls)
        if n.startswith("_") and not n.startswith("__")
    }
    undeclared = sorted((ours_names & paramiko_names) - declared)
    assert not undeclared, f"{ours.__name__} redefines paramiko's private {undeclared}: rename or declare them"


def test_attributes_written_are_read_back():
    attributes = SFTPAttributes()
    attributes.st_size, attributes.st_mode, attributes.st_mtime, attributes.st_atime = (
        1234,
        0o100600,
        1700000000,
        1700000001,
    )
    message = Message()
    private.write_attributes(attributes, message)
    back = private.read_attributes(Message(message.asbytes()))
    assert (back.st_size, back.st_mode, back.st_mtime) == (1234, 0o100600, 1700000000)
    assert private.attribute_flags(back) & SFTPAttributes.FLAG_SIZE
    assert not private.attribute_flags(SFTPAttributes()) & SFTPAttributes.FLAG_PERMISSIONS


@pytest.mark.parametrize(
    ("sftp_flags", "expected"),
    [
        pytest.param(SFTP_FLAG_READ, os.O_RDONLY, id="read"),
        pytest.param(
            SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, id="upload"
        ),
        pytest.param(SFTP_FLAG_READ | SFTP_FLAG_WRITE | SFTP_FLAG_EXCL, os.O_RDWR | os.O_EXCL, id="read-write-excl"),
    ],
)
def test_open_flags_become_os_flags(sftp_flags, expected):
    assert private.open_flags(sftp_flags) == expected


def test_received_data_is_fed_into_the_channel_buffer():
    channel = paramiko.Channel(1)
    private.feed_channel(channel, b"abc")
    assert channel.in_buffer.read(3, timeout=0) == b"abc"
