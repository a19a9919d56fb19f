"""The one exception root of the gateway.

Every refusal the gateway makes is a :class:`GatewayError` with a stable ``code`` taken from
the specs (``FIC-001``, ``jpeg_refuse``) or from this project's docs (``CFG-001``). Each flow
adds its own subclasses next to the code that raises them; the tree is::

    GatewayError                     code, message, **context
    ├── ConfigError                  CFG-*: settings that cannot be used (exit status 2)
    ├── UsageError                   USE-*: a command called with bad arguments (exit status 2)
    ├── NotFound                     NOT-FOUND: a named thing does not exist (exit status 2)
    ├── IdentifierError              ID-*: provider code, matricule, IBAN ... malformed
    ├── AccountError                 ACC-*: provider accounts and their keys
    │   └── WeakKeyError             ACC-KEY-WEAK: DSA, RSA under 3072 bits ...
    ├── DatabaseError                DB-*: schema missing or out of date
    ├── sftp.errors.SftpError        SFTP-*: jail and upload refusals (-> SFTP status codes)
    ├── exchange.errors.ExchangeError  pipeline problems that are not findings in a file
    └── intake.errors.IntakeError    application and document refusals

Context goes in keyword-only arguments and is kept in ``context`` for logs and JSON output.
Each class states what it becomes at each edge, as class attributes: ``exit_status`` for
commands, ``http_status`` for the web and ``sftp_status`` for SFTP clients (as asyncssh's
``SFTPError`` subclasses carry their code). The edges read them; none of them knows another
package's errors.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class SftpStatus(IntEnum):
    """SFTP version 3 status codes (draft-ietf-secsh-filexfer-02, section 7) that refusals use."""

    NO_SUCH_FILE = 2
    PERMISSION_DENIED = 3
    FAILURE = 4
    OP_UNSUPPORTED = 8


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose.

    ``code`` is stable and documented (docs/errors.md); ``message`` is for people.
    """

    code: str = "GW-000"
    #: exit status of the CLI when this error ends a command
    exit_status: int = 1
    #: HTTP status of the web's answer when this error refuses a request
    http_status: int = 400
    #: SFTP status of the answer when this error refuses an SFTP request
    sftp_status: SftpStatus = SftpStatus.FAILURE

    def __init__(self, message: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.context = context

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The error as a JSON-friendly mapping (code, message, context)."""
        return {"code": self.code, "message": self.message, **self.context}


class ConfigError(GatewayError):
    """The configuration cannot be used; ``problems`` lists every finding."""

    code = "CFG-000"
    exit_status = 2

    def __init__(self, message: str, *, problems: list[str] | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.problems = problems or [message]


class UsageError(GatewayError):
    """A command was called with arguments it cannot use."""

    code = "USE-001"
    exit_status = 2


class NotFound(GatewayError):
    """A named thing (provider, file, application) does not exist."""

    code = "NOT-FOUND"
    exit_status = 2
    http_status = 404


class IdentifierError(GatewayError):
    """A provider code, matricule, IBAN or similar identifier is malformed."""

    code = "ID-000"
    exit_status = 2


class AccountError(GatewayError):
    """A provider account operation was refused."""

    code = "ACC-000"
    exit_status = 2


class WeakKeyError(AccountError):
    """A public key is of a refused algorithm or too short."""

    code = "ACC-KEY-WEAK"


class DatabaseError(GatewayError):
    """The database is missing, unreachable or its schema is not current."""

    code = "DB-000"
    exit_status = 2
