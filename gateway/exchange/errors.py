"""Errors of the exchange flow that are not findings in a file.

Findings in a request file are never raised: they are values in an Outcome. These errors are
about the runtime (a file that cannot be found, a claim lost, a void refused)::

    GatewayError
    └── ExchangeError                EXC-*
        ├── FileMissing              EXC-FILE-MISSING: a registered file is in neither inbox nor archive
        ├── ClaimLost                EXC-CLAIM-LOST: another worker took over the file (lease lapsed)
        ├── ChecksFailed             EXC-CHECKS-FAILED: the checks raised (retried, then SYS-001)
        └── VoidRefused              EXC-VOID-*: the file cannot be voided (not answered, already voided)
"""

from __future__ import annotations

from gateway.errors import GatewayError


class ExchangeError(GatewayError):
    """A problem of the exchange runtime (not a finding in a request file)."""

    code = "EXC-000"


class FileMissing(ExchangeError):
    """A registered request file is neither in the inbox nor in the archive."""

    code = "EXC-FILE-MISSING"


class ClaimLost(ExchangeError):
    """The worker's claim on a file lapsed and another worker took the file over."""

    code = "EXC-CLAIM-LOST"


class ChecksFailed(ExchangeError):
    """The checks of a file failed with an internal error; the attempt is retried, then answered SYS-001."""

    code = "EXC-CHECKS-FAILED"


class VoidRefused(ExchangeError):
    """A file cannot be voided in its present state."""

    code = "EXC-VOID-REFUSED"
    exit_status = 1
    http_status = 409
