"""Errors of the provider-side client; the tree below hangs under ``GatewayError``::

    ClientError                  CLT-*: anything the client refuses or cannot do
    ├── CsvError                 CLT-CSV: the CSV does not follow the documented layout (all problems)
    ├── RequestRefused           CLT-CHECK: the checks reject the file made; ``findings`` lists them
    ├── HostKeyError             CLT-HOST-*: the server's host key is not trusted
    │   ├── HostKeyUnknown       CLT-HOST-UNKNOWN: no key recorded for this host (fingerprint shown)
    │   └── HostKeyMismatch      CLT-HOST-MISMATCH: the key differs from the recorded one
    ├── AuthenticationFailed     CLT-AUTH: the server refused the credentials (never retried)
    ├── NetworkError             CLT-NET: the connection failed or broke (retried with backoff)
    ├── RemoteRefused            CLT-REFUSED: the server answered an operation with a refusal
    └── ResponseInvalid          CLT-RESPONSE: a response file is not valid against the response schema

Only ``NetworkError`` is retried: every other error would fail the same way again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.errors import GatewayError

if TYPE_CHECKING:
    from gateway.client.make import LocatedFinding


class ClientError(GatewayError):
    """Root of the client's errors."""

    code = "CLT-000"


class CsvError(ClientError):
    """The CSV cannot be turned into a request file; ``problems`` lists every line at fault."""

    code = "CLT-CSV"

    def __init__(self, message: str, *, problems: list[str] | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.problems = problems or [message]


class RequestRefused(ClientError):
    """The file made is rejected by the server's checks; nothing was written."""

    code = "CLT-CHECK"

    def __init__(self, message: str, *, findings: tuple[LocatedFinding, ...] = (), **context: Any) -> None:
        super().__init__(message, **context)
        self.findings = findings


class HostKeyError(ClientError):
    """The server's host key cannot be trusted; ``fingerprint`` is the key it presented."""

    code = "CLT-HOST"


class HostKeyUnknown(HostKeyError):
    """No host key is recorded for this server."""

    code = "CLT-HOST-UNKNOWN"


class HostKeyMismatch(HostKeyError):
    """The server presented a key other than the recorded one (possible interception)."""

    code = "CLT-HOST-MISMATCH"


class AuthenticationFailed(ClientError):
    """The server refused the user name, key or password."""

    code = "CLT-AUTH"


class NetworkError(ClientError):
    """The connection could not be made or broke; worth another attempt."""

    code = "CLT-NET"


class RemoteRefused(ClientError):
    """The server refused an operation (permission denied, name held, no such file)."""

    code = "CLT-REFUSED"


class ResponseInvalid(ClientError):
    """A response file is not valid against the response schema."""

    code = "CLT-RESPONSE"
