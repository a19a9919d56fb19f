"""Refusals of the SFTP layer, each with the SFTP status a client gets (``sftp_status``).

The tree (all under :class:`gateway.errors.GatewayError`)::

    SftpError                 SFTP-000   anything else that failed (-> SSH_FX_FAILURE)
    ├── PermissionDenied      SFTP-DENIED       operation not allowed here (-> SSH_FX_PERMISSION_DENIED)
    │   ├── NameRefused       SFTP-NAME         name outside ^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$
    │   └── AlreadyExists     SFTP-EXISTS       no overwrite of a pending file
    ├── NoSuchFile            SFTP-NO-SUCH-FILE path outside the jail or absent (-> SSH_FX_NO_SUCH_FILE)
    ├── TooLarge              SFTP-TOO-LARGE    write beyond exchange.max_file_bytes
    ├── Unsupported           SFTP-UNSUPPORTED  request or extension not offered (-> SSH_FX_OP_UNSUPPORTED)
    ├── BadHandle             SFTP-BAD-HANDLE   unknown or closed handle
    ├── ReceptionFailed       SFTP-RECEPTION    the upload could not be put in place or registered
    ├── TooManyHandles        SFTP-HANDLES      sftp.max_handles_per_session files already open
    ├── QuotaExceeded         SFTP-QUOTA        the provider's inbox is full (bytes or files)
    └── LowDiskSpace          SFTP-DISK-FULL    the inbox filesystem is below sftp.min_free_bytes

Refusals a provider reads carry their message in English and French ("English / Français"),
since SFTP clients show the status text as it is.

``gateway.exchange.runtime.reception.NameHeld`` (SFTP-NAME-HELD) is raised by registration and
carries the status of :class:`PermissionDenied`.
"""

from __future__ import annotations

from gateway.errors import GatewayError, SftpStatus


class SftpError(GatewayError):
    """Root of the SFTP layer's refusals."""

    code = "SFTP-000"


class PermissionDenied(SftpError):
    """The operation is not allowed on this path (or at all)."""

    code = "SFTP-DENIED"
    sftp_status = SftpStatus.PERMISSION_DENIED


class NameRefused(PermissionDenied):
    """The file name does not match the upload pattern of spec/exchange.md section 1."""

    code = "SFTP-NAME"


class AlreadyExists(PermissionDenied):
    """A pending file already has this name; uploads never overwrite."""

    code = "SFTP-EXISTS"


class NoSuchFile(SftpError):
    """Nothing the provider may see is at this path."""

    code = "SFTP-NO-SUCH-FILE"
    sftp_status = SftpStatus.NO_SUCH_FILE


class TooLarge(SftpError):
    """The upload went beyond the size limit; nothing of it is kept."""

    code = "SFTP-TOO-LARGE"


class Unsupported(SftpError):
    """A request or extension this server does not offer."""

    code = "SFTP-UNSUPPORTED"
    sftp_status = SftpStatus.OP_UNSUPPORTED


class BadHandle(SftpError):
    """The handle is unknown, closed, or of the wrong kind for the request."""

    code = "SFTP-BAD-HANDLE"


class ReceptionFailed(SftpError):
    """The completed upload could not be put in place or registered: it was not received."""

    code = "SFTP-RECEPTION"


class TooManyHandles(SftpError):
    """The session already has ``sftp.max_handles_per_session`` files and folders open."""

    code = "SFTP-HANDLES"


class QuotaExceeded(SftpError):
    """The provider's inbox holds as many bytes or files as its quota allows."""

    code = "SFTP-QUOTA"


class LowDiskSpace(SftpError):
    """The filesystem of the inbox has less free space than ``sftp.min_free_bytes``."""

    code = "SFTP-DISK-FULL"
