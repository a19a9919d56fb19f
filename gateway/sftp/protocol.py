"""The SFTP subsystem: paramiko's packet layer, our dispatch, one error translation.

paramiko's own ``SFTPServer`` request handling answers every close with success, cannot tell a
client's close from session teardown, and spreads errno conversions over every method. Here
each request is handled by a small method that raises :mod:`gateway.sftp.errors`;
:func:`status_for` is the only place where an exception becomes an SFTP status. A close runs
the upload's completion before it is answered; teardown aborts what is still open.
"""

from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING, Any

import paramiko
from paramiko import SFTPAttributes
from paramiko.message import Message
from paramiko.sftp import (
    CMD_ATTRS,
    CMD_CLOSE,
    CMD_DATA,
    CMD_EXTENDED,
    CMD_FSETSTAT,
    CMD_FSTAT,
    CMD_HANDLE,
    CMD_INIT,
    CMD_LSTAT,
    CMD_MKDIR,
    CMD_NAME,
    CMD_OPEN,
    CMD_OPENDIR,
    CMD_READ,
    CMD_READDIR,
    CMD_READLINK,
    CMD_REALPATH,
    CMD_REMOVE,
    CMD_RENAME,
    CMD_RMDIR,
    CMD_SETSTAT,
    CMD_STAT,
    CMD_SYMLINK,
    CMD_VERSION,
    CMD_WRITE,
    SFTP_EOF,
    SFTP_FAILURE,
    SFTP_NO_SUCH_FILE,
    SFTP_OK,
    SFTP_PERMISSION_DENIED,
    SFTPError,
)

from gateway.errors import GatewayError
from gateway.logs import get_logger
from gateway.sftp.area import ProviderArea, refuse_attribute_change
from gateway.sftp.errors import (
    BadHandle,
    NameRefused,
    NoSuchFile,
    PermissionDenied,
    TooManyHandles,
    Unsupported,
)
from gateway.sftp.handles import Reader, Upload
from gateway.sftp.paramiko_private import SftpPackets, open_flags, read_attributes, write_attributes
from gateway.sftp.refusals import split_path

if TYPE_CHECKING:
    from gateway.sftp.auth import Connection

log = get_logger(__name__)

SFTP_VERSION = 3
#: extensions announced in the version packet (OpenSSH's sftp uses posix-rename for "rename")
EXTENSIONS = (("posix-rename@openssh.com", "1"),)
#: entries sent per READDIR answer
_NAMES_PER_READDIR = 100
#: largest SFTP request read (OpenSSH's sftp-server limit; its client writes at most 255 KiB):
#: paramiko alone would gather up to 16 MiB per request, by repeated concatenation
MAX_REQUEST_BYTES = 256 * 1024


#: the operating system's errors a client may be told about; any other is an internal error
_OS_ERRORS = {
    **dict.fromkeys((errno.ENOENT, errno.ENOTDIR, errno.ELOOP), (SFTP_NO_SUCH_FILE, "no such file")),
    **dict.fromkeys((errno.EACCES, errno.EPERM), (SFTP_PERMISSION_DENIED, "permission denied")),
}


def status_for(exc: BaseException) -> tuple[int, str]:
    """The SFTP status code and message a client gets for ``exc`` (the one translation).

    Our errors carry their status (``sftp_status``); the one foreign family, ``OSError``, is
    translated by its errno.
    """
    if isinstance(exc, GatewayError):
        return int(exc.sftp_status), exc.message
    if isinstance(exc, OSError) and exc.errno is not None:
        return _OS_ERRORS.get(exc.errno, (SFTP_FAILURE, "internal error"))
    return SFTP_FAILURE, "internal error"


class GatewaySftpServer(SftpPackets):
    """One SFTP session; ``server`` is the connection's :class:`gateway.sftp.auth.Connection`.

    paramiko's packet writing comes through :class:`SftpPackets` (its private parts stay
    in :mod:`gateway.sftp.paramiko_private`); reading and dispatch are ours."""

    def __init__(self, channel: paramiko.Channel, name: str, server: Connection, *args: Any, **kwargs: Any) -> None:
        super().__init__(channel, name, server)
        self.connection = server
        self.area: ProviderArea = server.open_area()
        self._files: dict[bytes, Upload | Reader] = {}
        self._folders: dict[bytes, list[SFTPAttributes]] = {}
        self._next_handle = 1
        self._max_handles = server.server.config.max_handles_per_session
        self._handles_refused = 0
        self.refusals = server.server.refusal_recorder(self.area.who)
        #: the paths and the handle's file of the request being handled, for its refusal record
        self._request_paths: list[str] = []
        self._request_file = ""

    # ----------------------------------------------------------------- session

    def _read_request(self) -> tuple[int, bytes]:
        """One request, refused (SFTPError: the session ends) when longer than MAX_REQUEST_BYTES."""
        size = struct.unpack(">I", self._read_exact(4))[0]
        if size > MAX_REQUEST_BYTES:
            self.area.log.warning("request too large: session closed", bytes=size, limit=MAX_REQUEST_BYTES)
            raise SFTPError("request too large")
        if size == 0:
            return 0, b""
        data = self._read_exact(size)
        return data[0], data[1:]

    def _read_exact(self, n: int) -> bytes:
        chunks = []
        while n > 0:
            chunk = self.sock.recv(n)
            if not chunk:
                raise EOFError()
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _greet(self) -> int:
        t, data = self._read_request()
        if t != CMD_INIT:
            raise SFTPError("Incompatible sftp protocol")
        msg = Message()
        msg.add_int(SFTP_VERSION)
        for name, version in EXTENSIONS:
            msg.add_string(name)
            msg.add_string(version)
        self.send_packet(CMD_VERSION, msg)
        return SFTP_VERSION

    def start_subsystem(self, name: str, transport: paramiko.Transport, channel: paramiko.Channel) -> None:
        self.attach(channel)
        try:
            self._greet()
        except (EOFError, OSError, SFTPError):
            return
        while True:
            try:
                t, data = self._read_request()
            except (EOFError, OSError, SFTPError):
                return
            self.connection.touch()
            msg = Message(data)
            self._dispatch(t, msg.get_int(), msg)

    def finish_subsystem(self) -> None:
        # Teardown: whatever is still open was not closed by the client -> broken.
        for handle in list(self._files.values()):
            self.area.abort(handle)
        self._files.clear()
        self._folders.clear()
        self.refusals.finish()
        self.connection.subsystem_ended()
        super().finish_subsystem()

    def _dispatch(self, t: int, request_number: int, msg: Message) -> None:
        handler = _COMMANDS.get(t)
        self._request_paths = []
        self._request_file = ""
        try:
            if handler is None:
                raise Unsupported("operation not supported")
            handler(self, request_number, msg)
        except Exception as exc:  # every failure becomes a status, here only
            code, text = status_for(exc)
            repeated = isinstance(exc, TooManyHandles) and self._handles_refused > 1
            if isinstance(exc, GatewayError):
                # a missing name or a repeated refusal is not news (clients stat names before uploading)
                quiet = isinstance(exc, NoSuchFile) or repeated
                say = self.area.log.debug if quiet else self.area.log.info
                say("request refused", request=t, code=exc.code, reason=exc.message)
            else:
                self.area.log.exception("request failed", request=t)
            self._record_refusal(t, exc, text)
            try:
                self.send_status(request_number, code, text)
            except Exception:  # noqa: BLE001 - the channel is gone, however it broke; teardown follows
                self.log_debug("could not send status")

    def _record_refusal(self, t: int, exc: BaseException, text: str) -> None:
        """The refusal in the audit trail (bounded by :class:`~gateway.sftp.refusals.RefusalRecorder`)."""
        code = exc.code if isinstance(exc, GatewayError) else "SFTP-000"
        operation = _OPERATIONS.get(t, f"request-{t}")
        paths = self._request_paths
        path = paths[0] if paths else self._request_file
        if code == NoSuchFile.code and t in (CMD_STAT, CMD_LSTAT) and split_path(path)[0] == "inbox":
            return  # clients look a name up before uploading it: not a refusal anyone needs to see
        self.refusals.note(
            operation=operation, path=path, code=code, message=text, target=paths[1] if len(paths) > 1 else ""
        )

    # ----------------------------------------------------------------- helpers

    def _path(self, msg: Message) -> str:
        raw = msg.get_binary()
        self._request_paths.append(raw.decode("utf-8", "surrogateescape"))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise NameRefused("path is not valid UTF-8") from None

    def _new_handle(self) -> bytes:
        handle = b"h%d" % self._next_handle
        self._next_handle += 1
        return handle

    def _file(self, msg: Message) -> Upload | Reader:
        handle = self._files.get(msg.get_binary())
        if handle is None:
            raise BadHandle("invalid handle")
        self._request_file = handle.sftp_path
        return handle

    # ----------------------------------------------------------------- requests

    def _check_handles(self) -> None:
        """Refuses a new handle when the session holds ``max_handles_per_session`` already."""
        if len(self._files) + len(self._folders) >= self._max_handles:
            self._handles_refused += 1
            raise TooManyHandles(
                f"too many open files: at most {self._max_handles} per session; close some first / "
                f"trop de fichiers ouverts : au plus {self._max_handles} par session ; fermez-en d'abord",
                limit=self._max_handles,
            )

    def _open(self, n: int, msg: Message) -> None:
        self._check_handles()
        path = self._path(msg)
        flags = open_flags(msg.get_int())
        read_attributes(msg)  # attributes of a new file are ours to decide
        opened = self.area.open(path, flags)
        handle = self._new_handle()
        self._files[handle] = opened
        self.respond(n, CMD_HANDLE, handle)

    def _close(self, n: int, msg: Message) -> None:
        handle = msg.get_binary()
        if self._folders.pop(handle, None) is not None:
            self.send_status(n, SFTP_OK)
            return
        opened = self._files.pop(handle, None)  # gone first: a second close is a bad handle
        if opened is None:
            raise BadHandle("invalid handle")
        self._request_file = opened.sftp_path
        self.area.finish(opened)
        self.send_status(n, SFTP_OK)

    def _read(self, n: int, msg: Message) -> None:
        opened = self._file(msg)
        offset = msg.get_int64()
        length = msg.get_int()
        data = opened.read(offset, length)
        if not data:
            self.send_status(n, SFTP_EOF)
        else:
            self.respond(n, CMD_DATA, data)

    def _write(self, n: int, msg: Message) -> None:
        opened = self._file(msg)
        offset = msg.get_int64()
        opened.write(offset, msg.get_binary())
        self.send_status(n, SFTP_OK)

    def _remove(self, n: int, msg: Message) -> None:
        self.area.remove(self._path(msg))
        self.send_status(n, SFTP_OK)

    def _rename(self, n: int, msg: Message) -> None:
        old = self._path(msg)
        self.area.rename(old, self._path(msg))
        self.send_status(n, SFTP_OK)

    def _refuse(self, n: int, msg: Message) -> None:
        self._path(msg)  # for the refusal's record
        raise PermissionDenied("folders and links cannot be created or removed")

    def _opendir(self, n: int, msg: Message) -> None:
        self._check_handles()
        entries = self.area.list_folder(self._path(msg))
        handle = self._new_handle()
        self._folders[handle] = entries
        self.respond(n, CMD_HANDLE, handle)

    def _readdir(self, n: int, msg: Message) -> None:
        handle = msg.get_binary()
        entries = self._folders.get(handle)
        if entries is None:
            raise BadHandle("invalid handle")
        if not entries:
            self.send_status(n, SFTP_EOF)
            return
        batch, self._folders[handle] = entries[:_NAMES_PER_READDIR], entries[_NAMES_PER_READDIR:]
        out = Message()
        out.add_int(n)
        out.add_int(len(batch))
        for attrs in batch:
            out.add_string(attrs.filename)
            out.add_string(str(attrs))
            write_attributes(attrs, out)
        self.send_packet(CMD_NAME, out)

    def _stat(self, n: int, msg: Message) -> None:
        self.respond(n, CMD_ATTRS, self.area.stat(self._path(msg)))

    def _fstat(self, n: int, msg: Message) -> None:
        self.respond(n, CMD_ATTRS, self._file(msg).stat())

    def _setstat(self, n: int, msg: Message) -> None:
        path = self._path(msg)
        self.area.setstat(path, read_attributes(msg))
        self.send_status(n, SFTP_OK)

    def _fsetstat(self, n: int, msg: Message) -> None:
        self._file(msg)
        refuse_attribute_change(read_attributes(msg))
        self.send_status(n, SFTP_OK)

    def _readlink(self, n: int, msg: Message) -> None:
        self.area.stat(self._path(msg))
        raise NoSuchFile("not a link")

    def _realpath(self, n: int, msg: Message) -> None:
        self.respond(n, CMD_NAME, 1, self.area.realpath(self._path(msg)), "", SFTPAttributes())

    def _extended(self, n: int, msg: Message) -> None:
        tag = msg.get_text()
        if tag == "posix-rename@openssh.com":
            self._rename(n, msg)
            return
        raise Unsupported(f"extension {tag[:60]} not supported")


#: request type -> the operation's name in refusal records
_OPERATIONS = {
    CMD_OPEN: "open",
    CMD_CLOSE: "close",
    CMD_READ: "read",
    CMD_WRITE: "write",
    CMD_REMOVE: "remove",
    CMD_RENAME: "rename",
    CMD_MKDIR: "mkdir",
    CMD_RMDIR: "rmdir",
    CMD_SYMLINK: "symlink",
    CMD_OPENDIR: "opendir",
    CMD_READDIR: "readdir",
    CMD_STAT: "stat",
    CMD_LSTAT: "lstat",
    CMD_FSTAT: "fstat",
    CMD_SETSTAT: "setstat",
    CMD_FSETSTAT: "fsetstat",
    CMD_READLINK: "readlink",
    CMD_REALPATH: "realpath",
    CMD_EXTENDED: "extended",
}

_COMMANDS = {
    CMD_OPEN: GatewaySftpServer._open,
    CMD_CLOSE: GatewaySftpServer._close,
    CMD_READ: GatewaySftpServer._read,
    CMD_WRITE: GatewaySftpServer._write,
    CMD_REMOVE: GatewaySftpServer._remove,
    CMD_RENAME: GatewaySftpServer._rename,
    CMD_MKDIR: GatewaySftpServer._refuse,
    CMD_RMDIR: GatewaySftpServer._refuse,
    CMD_SYMLINK: GatewaySftpServer._refuse,
    CMD_OPENDIR: GatewaySftpServer._opendir,
    CMD_READDIR: GatewaySftpServer._readdir,
    CMD_STAT: GatewaySftpServer._stat,
    CMD_LSTAT: GatewaySftpServer._stat,
    CMD_FSTAT: GatewaySftpServer._fstat,
    CMD_SETSTAT: GatewaySftpServer._setstat,
    CMD_FSETSTAT: GatewaySftpServer._fsetstat,
    CMD_READLINK: GatewaySftpServer._readlink,
    CMD_REALPATH: GatewaySftpServer._realpath,
    CMD_EXTENDED: GatewaySftpServer._extended,
}
