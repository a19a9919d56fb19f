"""The catalogue: every code of spec/exchange.md section 4 with its stage and severity.

The French and English text of each finding is the gettext message ``finding.<code>``
(:mod:`gateway.texts`); those texts are part of the response format and do not change
lightly. :func:`finding` builds a :class:`~gateway.exchange.checks.model.Finding` from a code and the
values its messages name; :data:`CATALOGUE` is also what docs/exchange.md lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from gateway import texts
from gateway.exchange.checks.model import Finding, Severity


@dataclass(frozen=True)
class Entry:
    """One code: its stage and severity; its texts are the message ``finding.<code>``.

    ``stage`` is the number of section 4's stage, or ``"any"`` for SYS-001, which no stage
    gives: the gateway itself does, when it could not check the file. ``fr`` and ``en`` are
    for entries written in the old shape, with their texts inline: they are used until
    ``scripts/texts update`` moves them into the catalogues.
    """

    stage: int | str
    severity: Severity
    fr: str = ""
    en: str = ""

    def templates(self, code: str) -> tuple[str, str]:
        """The French and English message templates of ``code``."""
        msgid = f"finding.{code}"
        if texts.has(msgid) or not (self.fr or self.en):
            return texts.gettext("fr", msgid), texts.gettext("en", msgid)
        return self.fr, self.en


#: the file could not be checked (spec section 4 has no code for it; the response stays valid)
INTERNAL_ERROR = "SYS-001"

# one letter per severity keeps the catalogue below a readable table
F, E, W, I = Severity.FATAL, Severity.ERREUR, Severity.AVERTISSEMENT, Severity.INFO  # noqa: E741 - the table's one-letter names (above)

CATALOGUE: dict[str, Entry] = {
    "FIC-005": Entry(0, I),
    "FIC-001": Entry(0, F),
    "FIC-002": Entry(0, F),
    "FIC-003": Entry(0, F),
    "FIC-004": Entry(0, F),
    "XML-001": Entry(1, F),
    "XML-002": Entry(1, F),
    "XML-003": Entry(1, F),
    "XSD-001": Entry(2, F),
    "XSD-004": Entry(2, I),
    "XSD-002": Entry(2, F),
    "XSD-003": Entry(2, F),
    "ENT-001": Entry(3, F),
    "ENT-002": Entry(3, F),
    "ENT-003": Entry(3, F),
    "ENT-004": Entry(3, F),
    "ENT-005": Entry(3, W),
    "ENT-006": Entry(3, F),
    "ENT-007": Entry(3, F),
    "ENT-008": Entry(3, F),
    "ENT-009": Entry(3, F),
    "MAT-002": Entry(4, E),
    "MAT-003": Entry(4, E),
    "MAT-004": Entry(4, E),
    "MAT-005": Entry(4, E),
    "PRE-001": Entry(4, E),
    "DAT-001": Entry(4, E),
    "DAT-002": Entry(4, E),
    "DAT-003": Entry(4, E),
    "DAT-004": Entry(4, W),
    "NOM-001": Entry(4, E),
    "NOM-002": Entry(4, E),
    "NOM-003": Entry(4, E),
    "MNT-001": Entry(4, E),
    "MNT-002": Entry(4, E),
    "LAB-001": Entry(4, E),
    "KIN-001": Entry(4, E),
    "DIE-001": Entry(4, E),
    "DUP-001": Entry(4, E),
    "DUP-002": Entry(5, E),
    # Not in section 4: the gateway's own failure, answered rather than retried for ever.
    INTERNAL_ERROR: Entry("any", F),
}


#: longest offending value (or quoted parser message) in a response: a value may be megabytes long
MAX_VALUE_CHARS = 1000


def quoted(value: str | None) -> str | None:
    """``value`` as a response quotes it: cut at MAX_VALUE_CHARS, the cut marked with '…'."""
    if value is None or len(value) <= MAX_VALUE_CHARS:
        return value
    return value[: MAX_VALUE_CHARS - 1] + "…"


class Where(TypedDict, total=False):
    """Where a finding is: the place arguments of :func:`finding`, gathered once for several."""

    line: int | None
    column: int | None
    path: str | None
    value: str | None


class _Fields(dict[str, Any]):
    """Message fields; ``x_fr`` or ``x_en`` not given is ``x`` (one value for both languages)."""

    def __missing__(self, key: str) -> Any:
        base, _, lang = key.rpartition("_")
        if lang in ("fr", "en") and base in self:
            return self[base]
        raise KeyError(key)


def finding(
    code: str,
    *,
    line: int | None = None,
    column: int | None = None,
    path: str | None = None,
    value: str | None = None,
    diagnostic: str | None = None,
    **params: Any,
) -> Finding:
    """The finding ``code`` at this place, its messages filled from ``value`` and ``params``.

    A field may differ by language (``detail_fr``, ``detail_en``) or not (``detail``).
    ``diagnostic`` is a tool's own words (libxml2's), kept beside the messages.
    """
    entry = CATALOGUE[code]
    value = quoted(value)
    # libxml2 quotes the offending value in its message too: cut it the same way
    fields = _Fields({"value": value, **{k: quoted(v) if isinstance(v, str) else v for k, v in params.items()}})
    template_fr, template_en = entry.templates(code)
    return Finding(
        code=code,
        severity=entry.severity,
        message_fr=template_fr.format_map(fields),
        message_en=template_en.format_map(fields),
        line=line or None,
        column=column or None,
        path=path,
        value=value,
        diagnostic=quoted(diagnostic),
    )
