"""Every private part of paramiko the gateway relies on, in one place.

paramiko offers no public hook for what the SFTP server needs: its own request dispatch
(:mod:`gateway.sftp.protocol`), requests read with a bound, SSH windows enforced per channel
and per connection (:mod:`gateway.sftp.auth`). So the gateway uses a few of paramiko's
private names, and reaches them only through this module: the functions and the
:class:`SftpPackets` base below, and the names in :data:`TRANSPORT_OVERRIDES` that
``GatewayTransport`` redefines in its class body.

``tests/sftp/test_paramiko_private.py`` checks that every name in :data:`RELIED_ON` still
exists with the parameters used here, and that the gateway's subclasses override nothing of
paramiko's that is not listed, so an upgrade that moves one of them fails there, by name,
rather than at a provider's upload. ``pyproject.toml`` pins paramiko to :data:`TESTED_MINOR`;
to upgrade, widen the pin, run that test and the SFTP tests, then update :data:`TESTED_MINOR`.

types-paramiko describes paramiko's public API only, so each private name used below carries
``# type: ignore[attr-defined]``: the test above, not the type checker, keeps them true.
"""

from __future__ import annotations

from typing import Any

import paramiko
from paramiko import SFTPAttributes, SFTPServer
from paramiko.common import DEBUG
from paramiko.message import Message
from paramiko.server import SubsystemHandler
from paramiko.sftp import BaseSFTP

#: the paramiko minor version the private names below were checked against
TESTED_MINOR = (5, 1)

#: private names of paramiko.Transport that GatewayTransport redefines (hooks paramiko calls,
#: and class attributes it reads), with the parameters paramiko calls the hooks with
TRANSPORT_OVERRIDES: dict[str, tuple[str, ...] | None] = {
    "_auth_trigger": ("self",),  # called once the client has logged in
    "_queue_incoming_channel": ("self", "channel"),  # called for every channel opened
    "_channel_handler_table": None,  # message type -> handler(channel, message)
    "_active_check_timeout": None,  # seconds between the transport thread's checks for a stop
    "_CLIENT_ID": None,  # software name in the SSH banner
}

#: attributes a paramiko.Channel sets in its constructor that the window accounting reads
CHANNEL_ATTRIBUTES = ("in_buffer", "in_stderr_buffer", "in_window_sofar", "in_window_size", "in_max_packet_size")

#: (owner, private name, parameters) of every private callable used here; None: an attribute
RELIED_ON: tuple[tuple[type, str, tuple[str, ...] | None], ...] = (
    (BaseSFTP, "__init__", ("self",)),
    (BaseSFTP, "_send_packet", ("self", "t", "packet")),
    (BaseSFTP, "_log", ("self", "level", "msg", "args")),
    (SFTPServer, "_send_status", ("self", "request_number", "code", "desc")),
    (SFTPServer, "_response", ("self", "request_number", "t", "args")),
    (SFTPServer, "_convert_pflags", ("self", "pflags")),
    (SFTPAttributes, "_from_msg", ("msg", "filename", "longname")),
    (SFTPAttributes, "_pack", ("self", "msg")),
    (paramiko.Channel, "_feed", ("self", "m")),
    *((paramiko.Transport, name, params) for name, params in TRANSPORT_OVERRIDES.items()),
)


class SftpPackets(SFTPServer):
    """paramiko's SFTP packet writing under public names, without its request handling.

    ``SFTPServer.__init__`` is skipped on purpose: it builds a paramiko
    ``SFTPServerInterface``, which the gateway replaces with its own dispatch. What
    paramiko's writing needs (``logger``, ``ultra_debug``, ``sock``) is set here.
    """

    #: the channel packets are read from and written to, set by :meth:`attach` before any is
    sock: paramiko.Channel

    def __init__(self, channel: paramiko.Channel, name: str, server: paramiko.ServerInterface) -> None:
        BaseSFTP.__init__(self)
        SubsystemHandler.__init__(self, channel, name, server)
        self.logger = paramiko.util.get_logger(channel.get_transport().get_log_channel() + ".sftp")
        self.ultra_debug = False

    def attach(self, channel: paramiko.Channel) -> None:
        """Makes ``channel`` the socket packets are written to (and read from)."""
        self.sock = channel

    def send_packet(self, kind: int, message: Message) -> None:
        """Writes one SFTP packet of type ``kind``."""
        self._send_packet(kind, message)  # type: ignore[attr-defined]

    def send_status(self, request: int, code: int, text: str | None = None) -> None:
        """Answers request ``request`` with an SFTP status (paramiko's text for ``code`` when
        ``text`` is None)."""
        self._send_status(request, code, text)  # type: ignore[attr-defined]

    def respond(self, request: int, kind: int, *values: Any) -> None:
        """Answers request ``request`` with a packet of type ``kind`` carrying ``values``."""
        self._response(request, kind, *values)  # type: ignore[attr-defined]

    def finish_subsystem(self) -> None:
        """Ends the subsystem as paramiko's ``SubsystemHandler`` does, skipping
        ``SFTPServer``'s ending, which would call the ``SFTPServerInterface`` never built."""
        SubsystemHandler.finish_subsystem(self)

    def log_debug(self, text: str) -> None:
        """A debug line on paramiko's logger of this session."""
        self._log(DEBUG, text)  # type: ignore[attr-defined]


def open_flags(sftp_flags: int) -> int:
    """SFTP open flags (READ, WRITE, CREAT, TRUNC, EXCL, APPEND) as ``os.open`` flags."""
    # an instance method that uses no state, called without one
    flags: int = SFTPServer._convert_pflags(None, sftp_flags)  # type: ignore[attr-defined]
    return flags


def read_attributes(message: Message) -> SFTPAttributes:
    """The file attributes that come next in ``message`` (consumed)."""
    attributes: SFTPAttributes = SFTPAttributes._from_msg(message)  # type: ignore[attr-defined]
    return attributes


def write_attributes(attributes: SFTPAttributes, message: Message) -> None:
    """Appends ``attributes`` to ``message`` in the SFTP encoding."""
    attributes._pack(message)  # type: ignore[attr-defined]


def attribute_flags(attributes: SFTPAttributes) -> int:
    """Which attributes a client's SETSTAT or OPEN actually carries (``SFTPAttributes.FLAG_*``)."""
    flags: int = attributes._flags  # type: ignore[attr-defined]
    return flags


def feed_channel(channel: paramiko.Channel, data: bytes) -> None:
    """Appends received ``data`` to ``channel``'s input buffer, as paramiko would."""
    channel._feed(data)  # type: ignore[attr-defined]


def channel_handlers() -> dict[int, Any]:
    """paramiko's own table of channel message handlers (a copy, to extend)."""
    return dict(paramiko.Transport._channel_handler_table)  # type: ignore[attr-defined]
