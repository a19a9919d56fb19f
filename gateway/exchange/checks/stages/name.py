"""Stage 0: the file itself (FIC-005 DOUBLON, FIC-001 name, FIC-002 empty, FIC-003 size, FIC-004)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.exchange.checks.messages import finding
from gateway.exchange.checks.stages.base import Context, StageBase
from gateway.exchange.conventions import REQUEST_NAME as NAME


@dataclass(frozen=True)
class NameParts:
    """What a section 2 name says."""

    convention: str
    provider_code: str
    stamp: dt.datetime
    sequence: int


def parse_name(name: str) -> NameParts | None:
    """The parts of a section 2 name, or None when it does not follow the pattern (FIC-001)."""
    match = NAME.match(name)
    if not match:
        return None
    digits = match.group(3)
    try:  # by position: strptime would read "20261301..." as month 1, day 30
        year, month, day, hour, minute, second = (
            int(digits[a:b]) for a, b in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14))
        )
        stamp = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return NameParts(match.group(1), match.group(2), stamp, int(match.group(4)))


class CheckName(StageBase):
    """Stage 0: DOUBLON first (nothing else runs), then every FIC-00x that applies."""

    number = 0

    def begin(self, context: Context) -> None:
        received = context.received
        earlier = context.history.identical_file(received.provider_code, received.sha256)
        if earlier is not None:
            context.duplicate_of = earlier
            return
        context.name = parse_name(received.name)
        if context.name is None:
            context.add(0, finding("FIC-001", value=received.name))
        if received.size == 0:
            context.add(0, finding("FIC-002"))
        if received.size > context.max_file_bytes:
            context.add(
                0, finding("FIC-003", value=str(received.size), limit=context.max_file_bytes, size=received.size)
            )
        parts = context.name
        if parts is not None:
            if parts.convention != received.profession:
                context.add(
                    0,
                    finding(
                        "FIC-004",
                        value=parts.convention,
                        what="la convention",
                        what_en="convention",
                        uploader=received.provider_code,
                        profession=received.profession,
                    ),
                )
            if parts.provider_code != received.provider_code:
                context.add(
                    0,
                    finding(
                        "FIC-004",
                        value=parts.provider_code,
                        what="le code prestataire",
                        what_en="provider code",
                        uploader=received.provider_code,
                        profession=received.profession,
                    ),
                )
