"""Reading one mail-drop message, within bounds, and who really sent it.

A message is untrusted input from anyone who can send mail, so every resource it can make us
spend has a bound (:class:`MailLimits`, from the ``intake.mail_*`` settings):

1. its size, before it is read (:func:`check_size`);
2. its MIME parts, counted in the raw bytes before the ``email`` package builds anything
   (:func:`prescan`: every part starts on a delimiter line ``--boundary``, so the lines
   starting ``--`` bound the parts; 8,000 empty attachments are refused here in
   milliseconds);
3. then, while walking the parsed tree without recursion: parts, nesting depth and
   attachments; a nesting so deep that the parser itself recurses too far
   (``RecursionError``) counts as too deep.

Each bound raises :class:`~gateway.intake.errors.MailRefused` with its reason, and the mail
drop quarantines the message.

The sender is read strictly (:func:`strict_sender`): exactly one ``From:`` with exactly one
plain address, no comments, no group, and no display name that itself looks like an
address. ``parseaddr`` reads ``victim@example.com (x) <attacker@evil.example>`` as the
victim; here such a line is no sender at all, and the message waits for staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from enum import StrEnum
from typing import cast

from gateway import texts
from gateway.config import IntakeSettings, declared
from gateway.intake.errors import MailRefused
from gateway.intake.replytoken import RECIPIENT_HEADERS, ReplyAddress, tokens_in

REFERENCE_IN_SUBJECT = re.compile(r"\bDEM-[0-9]{4}-[0-9]{6}\b")
#: name given to an attachment that has none
UNNAMED = "piece-jointe"
#: lines starting ``--`` allowed beyond two per part (a signature separator, quoted text)
DELIMITER_SLACK = 100


class MailReason(StrEnum):
    """Why a message was quarantined, or waits for staff instead of being taken in."""

    # quarantined: the message is not taken at all
    TOO_LARGE = "message_trop_volumineux"
    TOO_MANY_PARTS = "trop_de_parties"
    TOO_MANY_ATTACHMENTS = "trop_de_pieces_jointes"
    TOO_DEEP = "imbrication_trop_profonde"
    UNREADABLE = "message_illisible"
    # waiting for staff: kept, listed on the "unattached mail" page
    BAD_SENDER = "expediteur_invalide"
    NO_TOKEN = "jeton_absent"
    UNKNOWN_TOKEN = "jeton_inconnu"
    SEVERAL_TOKENS = "jetons_multiples"
    OTHER_REFERENCE = "reference_differente"
    OTHER_SENDER = "expediteur_different"
    CLOSED = "demande_cloturee"

    @property
    def quarantines(self) -> bool:
        """True for the reasons that put a message in quarantine."""
        return self in _QUARANTINE

    @property
    def fr(self) -> str:
        """French text (message ``mailproblem.<value>``)."""
        return texts.gettext("fr", f"mailproblem.{self.value}")

    @property
    def en(self) -> str:
        """English text."""
        return texts.gettext("en", f"mailproblem.{self.value}")


_QUARANTINE = frozenset(
    {
        MailReason.TOO_LARGE,
        MailReason.TOO_MANY_PARTS,
        MailReason.TOO_MANY_ATTACHMENTS,
        MailReason.TOO_DEEP,
        MailReason.UNREADABLE,
    }
)


@dataclass(frozen=True)
class MailLimits:
    """Bounds on one mail-drop message (``intake.mail_*`` settings)."""

    max_bytes: int = declared(IntakeSettings, "mail_max_bytes")
    max_parts: int = declared(IntakeSettings, "mail_max_parts")
    max_attachments: int = declared(IntakeSettings, "mail_max_attachments")
    max_depth: int = declared(IntakeSettings, "mail_max_depth")


@dataclass(frozen=True)
class ParsedMail:
    """The parts of a message the intake uses."""

    #: the sender's address (lower case), or None when ``From:`` is missing, malformed or ambiguous
    sender: str | None
    #: the ``From:`` line as received, for staff (control characters removed, truncated)
    from_line: str
    subject: str
    message_id: str
    #: reply tokens carried in the subject or in plus addresses of the mailbox
    tokens: frozenset[str]
    attachments: tuple[tuple[str, bytes], ...]

    @property
    def reference(self) -> str | None:
        """The first application reference named in the subject."""
        match = REFERENCE_IN_SUBJECT.search(self.subject)
        return match.group(0) if match else None


def check_size(size: int, limits: MailLimits) -> None:
    """Raises ``MailRefused(message_trop_volumineux)`` for a message over the size limit."""
    if size > limits.max_bytes:
        raise MailRefused(MailReason.TOO_LARGE, f"{size} bytes, over the limit of {limits.max_bytes}")


def prescan(raw: bytes, limits: MailLimits) -> None:
    """Refuses, before parsing, a message with far more delimiter lines than parts allowed."""
    check_size(len(raw), limits)
    delimiters = raw.count(b"\n--") + raw.startswith(b"--")
    if delimiters > 2 * limits.max_parts + DELIMITER_SLACK:
        raise MailRefused(MailReason.TOO_MANY_PARTS, f"{delimiters} delimiter lines")


def parse_mail(raw: bytes, limits: MailLimits = MailLimits(), mailbox: ReplyAddress | None = None) -> ParsedMail:
    """Sender, subject, Message-ID, reply tokens and attachments of a message, within ``limits``.

    Raises :class:`MailRefused` when a bound is exceeded; other exceptions of the ``email``
    package (it has a few on hostile headers) propagate, and the mail drop counts them.
    """
    prescan(raw, limits)
    try:
        message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        raise MailRefused(MailReason.TOO_DEEP, "the parser recursed too deep") from None
    attachments = _attachments(message, limits)
    subject = _clean(str(message.get("Subject", "") or ""), 300)
    recipients = [_unfold(value) for name, value in message.raw_items() if name.lower() in RECIPIENT_HEADERS]
    from_values = [_unfold(value) for name, value in message.raw_items() if name.lower() == "from"]
    return ParsedMail(
        sender=strict_sender(from_values),
        from_line=_clean(" / ".join(from_values), 254),
        subject=subject,
        message_id=_clean(" ".join(v for n, v in message.raw_items() if n.lower() == "message-id"), 300),
        tokens=frozenset(tokens_in(subject, recipients, mailbox)),
        attachments=attachments,
    )


def _attachments(message: EmailMessage, limits: MailLimits) -> tuple[tuple[str, bytes], ...]:
    """Walks the tree with an explicit stack, counting parts, depth and attachments."""
    found: list[tuple[str, bytes]] = []
    parts = 0
    stack = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        parts += 1
        if parts > limits.max_parts:
            raise MailRefused(MailReason.TOO_MANY_PARTS, f"more than {limits.max_parts} parts")
        if depth > limits.max_depth:
            raise MailRefused(MailReason.TOO_DEEP, f"parts nested more than {limits.max_depth} deep")
        if part.is_multipart():
            # a multipart part's payload is the list of its parts (typeshed gives every payload kind)
            children = cast(list[EmailMessage], part.get_payload())
            stack.extend((child, depth + 1) for child in reversed(children))
            continue
        name = part.get_filename()
        if name is None and part.get_content_disposition() != "attachment":
            continue  # a body (text or HTML) is not a document
        if len(found) >= limits.max_attachments:
            raise MailRefused(MailReason.TOO_MANY_ATTACHMENTS, f"more than {limits.max_attachments} attachments")
        payload = part.get_payload(decode=True)  # bytes or None for a part that is not multipart
        found.append((name or UNNAMED, payload if isinstance(payload, bytes) else b""))
    return tuple(found)


# --------------------------------------------------------------------------- the sender

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
#: outside quoted strings these mean comments, several addresses, groups, escapes or literals
_AMBIGUOUS = set("(),;:\\[]")


def strict_sender(from_values: list[str]) -> str | None:
    """The one plain address of a single ``From:`` line, lower case; None for anything else."""
    if len(from_values) != 1:
        return None
    value = from_values[0].strip()
    outside = _mask_quoted(value)
    if not value or len(value) > 998 or outside is None or _AMBIGUOUS & set(outside):
        return None
    if "<" in outside or ">" in outside:
        if outside.count("<") != 1 or outside.count(">") != 1:
            return None
        start, end = outside.index("<"), outside.index(">")
        if end < start or outside[end + 1 :].strip():
            return None
        display, address = value[:start].strip(), value[start + 1 : end].strip()
    else:
        display, address = "", value
    if len(address) > 254 or not ADDR_SPEC.fullmatch(address):
        return None
    shown = _display_text(display)
    if shown is None or "@" in shown or "<" in shown or ">" in shown:
        return None  # a display name that looks like an address is how a forged sender is shown
    return address.lower()


def _mask_quoted(value: str) -> str | None:
    """``value`` with every character inside a quoted string replaced by ``_`` (same length);
    None when a quote is left open."""
    masked, quoted, escaped = [], False, False
    for char in value:
        if escaped:
            masked.append("_")
            escaped = False
        elif quoted and char == "\\":
            masked.append("_")
            escaped = True
        elif char == '"':
            masked.append('"')
            quoted = not quoted
        else:
            masked.append("_" if quoted else char)
    return None if quoted or escaped else "".join(masked)


def _display_text(display: str) -> str | None:
    """The display name as a reader sees it (quotes removed, encoded words decoded); None
    when it cannot be decoded or holds control characters."""
    if display.startswith('"') and display.endswith('"') and len(display) >= 2:
        display = re.sub(r"\\(.)", r"\1", display[1:-1])
    try:
        text = str(make_header(decode_header(display))) if "=?" in display else display
    except (ValueError, LookupError, UnicodeError):
        return None
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if any(not char.isprintable() for char in text):
        return None
    return text


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]", " ", value)


def _clean(text: str, length: int) -> str:
    """Printable characters only (no NUL, no line breaks), at most ``length``."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(char if char.isprintable() else " " for char in text).strip()[:length]
