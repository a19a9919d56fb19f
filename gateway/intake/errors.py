"""Errors of the intake area; every one has a stable code (docs/intake.md).

::

    IntakeError                      INT-*: an application operation was refused
    ├── ApplicationNotFound          INT-NOT-FOUND: no application (or document) by that name
    ├── TransitionRefused            INT-STATUS: the status machine does not allow the change
    ├── NotEditable                  INT-NOT-EDITABLE: the application cannot be changed now
    ├── NotComplete                  INT-INCOMPLET: approval of an application that is not COMPLET
    ├── InvalidData                  INT-DATA: a value the application cannot hold at all
    ├── RateLimited                  INT-RATE: too many applications or uploads from one address
    ├── FollowupInvalid              INT-FOLLOWUP: unknown, revoked or expired follow-up link
    ├── CodesExhausted               INT-CODES-FULL: no OCB sequence number left
    ├── MailError                    INT-MAIL: a mail-drop message cannot be taken or attached
    │   ├── MailRefused              <reason code>: over a mail limit or unreadable (quarantined)
    │   └── MailNotWaiting           INT-MAIL-NOT-WAITING: staff act on a message already dealt with
    └── DocumentError                INT-DOC: a document could not be checked at all
        ├── ScannerUnavailable       INT-SCAN-UNAVAILABLE: the configured clamd gave no answer
        └── DocumentRefused          <reason code>: internal to the checks, becomes a verdict

Each class carries its exit status and HTTP status (see :mod:`gateway.errors`); the CLI and
the web read them in one place each.
"""

from __future__ import annotations

from gateway.errors import GatewayError


class IntakeError(GatewayError):
    """An application operation was refused."""

    code = "INT-000"
    exit_status = 1


class ApplicationNotFound(IntakeError):
    """No application (or document) with that reference or id."""

    code = "INT-NOT-FOUND"
    exit_status = 2
    http_status = 404


class TransitionRefused(IntakeError):
    """The status machine of spec/intake.md section 4 does not allow this change."""

    code = "INT-STATUS"
    http_status = 409


class NotEditable(IntakeError):
    """The application's data or documents cannot be changed in its current status."""

    code = "INT-NOT-EDITABLE"
    http_status = 409


class NotComplete(IntakeError):
    """Only a COMPLET application may be sent or approved; ``problems`` lists what is missing."""

    code = "INT-INCOMPLET"
    http_status = 409


class InvalidData(IntakeError):
    """A value the application cannot hold at all (unknown kind, field too long ...)."""

    code = "INT-DATA"
    exit_status = 2


class RateLimited(IntakeError):
    """Too many applications or uploads from one address within the last hour."""

    code = "INT-RATE"
    http_status = 429


class FollowupInvalid(IntakeError):
    """The follow-up token is unknown, revoked, or expired."""

    code = "INT-FOLLOWUP"
    http_status = 404


class CodesExhausted(IntakeError):
    """Every OCB sequence number (00000..99999) is taken."""

    code = "INT-CODES-FULL"


class MailError(IntakeError):
    """A mail-drop message cannot be taken in or attached."""

    code = "INT-MAIL"


class MailRefused(MailError):
    """A message over a mail-drop limit, or unreadable: ``code`` is the reason it is quarantined.

    Raised inside the mail drop (:mod:`gateway.intake.mailparse`); the drop moves the message
    to its quarantine folder with the reason, it never reaches other callers.
    """

    def __init__(self, reason: str, detail: str = "", **context: object) -> None:
        super().__init__(detail or reason, code=str(reason), **context)
        self.reason = str(reason)


class MailNotWaiting(MailError):
    """Staff attach (or open) a message that is no longer waiting for them."""

    code = "INT-MAIL-NOT-WAITING"
    http_status = 409


class DocumentError(IntakeError):
    """A document could not be checked at all (not a verdict: verdicts are values)."""

    code = "INT-DOC"


class ScannerUnavailable(DocumentError):
    """The configured malware scanner gave no answer; the document must not be accepted unscanned."""

    code = "INT-SCAN-UNAVAILABLE"
    exit_status = 2
    http_status = 503


class DocumentRefused(DocumentError):
    """Raised inside the document checks: ``code`` is the reason code of spec/intake.md section 2.

    :func:`gateway.intake.documents.check_document` turns it into a refused verdict; it never
    reaches callers of that function.
    """

    code = "INT-DOC-REFUSED"

    def __init__(self, reason: str, detail: str = "", **context: object) -> None:
        super().__init__(detail or reason, code=str(reason), **context)
        self.reason = reason
