"""Reply tokens: what lets an e-mail join an existing application.

References are sequential, and a ``From:`` line is whatever the sender typed, so neither
proves that a message comes from the applicant. Each application gets a random reply token
(96 bits, lower-case hex) at creation; every message sent to the applicant carries it twice:

- in the subject, as ``[DEM-2026-000417 #<token>]``;
- in ``Reply-To``, as a plus address of the fund's mailbox (``mail.reply_address``
  ``demandes@fund.lu`` gives ``demandes+<token>@fund.lu``), when one is configured.

A reply keeps one or the other, and only a message that carries a valid token (and comes
from the application's contact address) joins the application (see :mod:`.mailroute`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses

TOKEN_BYTES = 12
_TOKEN = rf"[0-9a-f]{{{2 * TOKEN_BYTES}}}"
#: a token in a subject: ``#`` and the token, e.g. ``[DEM-2026-000417 #3f9a...]``
SUBJECT_TOKEN = re.compile(r"#(" + _TOKEN + r")(?![0-9a-z])", re.IGNORECASE)
#: headers where a plus address of the mailbox shows who the message was sent to
RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to")


def new_token() -> str:
    """A fresh reply token."""
    return secrets.token_hex(TOKEN_BYTES)


def subject_tag(reference: str, token: str) -> str:
    """The tag that starts the subject of every message to the applicant."""
    return f"[{reference} #{token}]" if token else reference


@dataclass(frozen=True)
class ReplyAddress:
    """The fund's mailbox applicants reply to, plus-addressed per application."""

    local: str
    domain: str

    @classmethod
    def parse(cls, address: str) -> ReplyAddress | None:
        """``demandes@fund.lu`` -> ReplyAddress; None when empty; ValueError when not an address."""
        address = address.strip()
        if not address:
            return None
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain or "+" in local or any(c.isspace() for c in address):
            raise ValueError(f"{address!r} is not a mailbox address (example: demandes@fund.lu)")
        return cls(local.lower(), domain.lower())

    def for_token(self, token: str) -> str:
        """The plus address of one application."""
        return f"{self.local}+{token}@{self.domain}"

    def token_of(self, address: str) -> str | None:
        """The token of a plus address of this mailbox, or None."""
        local, _, domain = address.strip().lower().rpartition("@")
        base, plus, tag = local.partition("+")
        if plus and base == self.local and domain == self.domain and re.fullmatch(_TOKEN, tag):
            return tag
        return None


def tokens_in(subject: str, recipient_headers: Iterable[str], mailbox: ReplyAddress | None) -> set[str]:
    """Every token a message carries: in its subject, and in plus addresses of the mailbox."""
    tokens = {match.lower() for match in SUBJECT_TOKEN.findall(subject)}
    if mailbox is not None:
        for _name, address in getaddresses(list(recipient_headers)):
            token = mailbox.token_of(address)
            if token:
                tokens.add(token)
    return tokens
