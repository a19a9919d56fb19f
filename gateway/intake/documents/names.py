"""The applicant's file name: sanitised for display, never used as a path.

A name from outside (form field, mail attachment header) may carry folders, control
characters or bidirectional overrides that make ``invoice.exe\u202efdp.pdf`` read as a PDF.
:func:`sanitise_name` keeps only what is safe to show; the caller stores files under names of
its own making.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: longest display name kept (the database column holds 255 characters)
MAX_NAME_CHARS = 255
#: shown when nothing of the given name is left
FALLBACK_NAME = "document"

# Bidirectional embeddings, overrides and isolates, plus the implicit marks: each can reorder
# how a name reads on screen.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


@dataclass(frozen=True)
class SanitisedName:
    """A display name and whether it differs from what was given."""

    display_name: str
    changed: bool

    @property
    def extension(self) -> str:
        """The lower-case extension with its dot ('' when none), ignoring trailing dots and spaces."""
        stem = self.display_name.rstrip(". ")
        dot = stem.rfind(".")
        return stem[dot:].lower() if dot > 0 else ""


def _is_unsafe(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def sanitise_name(name: str) -> SanitisedName:
    """Base name only (after either slash), Unicode NFC, controls and bidi overrides removed.

    Leading and trailing white space is dropped too; an empty result becomes ``document``.
    ``changed`` is True when the result differs from ``name`` (flag ``nom_assaini``).
    """
    text = unicodedata.normalize("NFC", name)
    text = "".join(c for c in text if not _is_unsafe(c))
    # Both separators: a Windows browser may send C:\Users\...\file.pdf.
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if text in ("", ".", ".."):
        text = FALLBACK_NAME
    if len(text) > MAX_NAME_CHARS:
        # Keep the extension visible: it is what the applicant recognises.
        dot = text.rfind(".")
        ext = text[dot:] if dot > 0 and len(text) - dot <= 16 else ""
        text = text[: MAX_NAME_CHARS - len(ext)] + ext
    return SanitisedName(text, text != name)
