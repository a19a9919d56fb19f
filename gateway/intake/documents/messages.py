"""The French and English messages of every verdict, reason and flag.

Each message tells the applicant what happened and what to do. Other parts of the gateway
(web form, mail replies, intake report) take their wording from here, so that the applicant
reads the same sentence everywhere. The texts are the gettext messages ``document.accepted``,
``reason.<reason>`` and ``flag.<flag>`` (:mod:`gateway.texts`); short labels for lists are
``reasonlabel.<reason>`` and ``flaglabel.<flag>``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from gateway import texts
from gateway.intake.documents.model import Flag, Reason


@dataclass(frozen=True)
class Message:
    """One message in both languages."""

    fr: str
    en: str

    @classmethod
    def of(cls, msgid: str) -> Message:
        """The message ``msgid`` of the catalogues."""
        return cls(*texts.both(msgid))


Code = TypeVar("Code", bound=StrEnum)


class _Messages(Mapping[Code, Message], Generic[Code]):
    """Every member of an enum -> its message, read from the catalogues (``<prefix>.<value>``),
    or from ``legacy`` for a member whose text was written in the old shape."""

    def __init__(self, enum: type[Code], prefix: str, legacy: dict[Code, Message]) -> None:
        self._enum, self._prefix, self._legacy = enum, prefix, legacy

    def __getitem__(self, key: Code) -> Message:
        msgid = f"{self._prefix}.{self._enum(key).value}"
        if not texts.has(msgid) and key in self._legacy:
            return self._legacy[key]
        return Message.of(msgid)

    def __iter__(self) -> Iterator[Code]:
        return iter(self._enum)

    def __len__(self) -> int:
        return len(self._enum)


#: texts of reasons and flags written in the old shape (``Reason.X: Message(fr=..., en=...)``),
#: used until ``scripts/texts update`` moves them into the catalogues; keep these empty
LEGACY_REASONS: dict[Reason, Message] = {}
LEGACY_FLAGS: dict[Flag, Message] = {}

REASONS: Mapping[Reason, Message] = _Messages(Reason, "reason", LEGACY_REASONS)
FLAGS: Mapping[Flag, Message] = _Messages(Flag, "flag", LEGACY_FLAGS)


def __getattr__(name: str) -> Message:
    # ACCEPTED is read from the catalogues when asked for, not frozen at import
    if name == "ACCEPTED":
        return Message.of("document.accepted")
    raise AttributeError(name)


def _human_size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    return f"{n} bytes"


def message_for(reason: Reason | None, flags: tuple[Flag, ...] = (), *, max_bytes: int = 0) -> Message:
    """The message of a verdict: the reason's (or "accepted"), then one sentence per flag."""
    head = Message.of("document.accepted") if reason is None else REASONS[reason]
    parts_fr, parts_en = [head.fr], [head.en]
    for flag in flags:
        parts_fr.append(FLAGS[flag].fr)
        parts_en.append(FLAGS[flag].en)
    limit = _human_size(max_bytes)
    return Message(fr=" ".join(parts_fr).format(limit=limit), en=" ".join(parts_en).format(limit=limit))
