"""OCB provider codes: allocation above the highest code known, and import of earlier ones.

A code is ``63`` + a 5-digit sequence number + the Luhn check digit. The next sequence number
is one above the highest known, whether imported (``gateway codes import``), allocated here,
or held by an existing OCB provider account, so a gap left by a deleted account is never
filled again. Uniqueness does not rest on the reading of that maximum: ``provider_codes``
has the code as primary key and a unique sequence and application, so when two approvals
race, one insert fails and that approval reads the maximum again (inside a savepoint, keeping
its lock on the application).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.identifiers import PROFESSION_PREFIX, make_provider_code, provider_code_problems
from gateway.intake.errors import CodesExhausted, InvalidData
from gateway.store.models.accounts import Provider
from gateway.store.models.intake import ProviderCode

PREFIX = PROFESSION_PREFIX["OCB"]
MAX_SEQUENCE = 99999
#: attempts at inserting a code when other approvals keep winning the race
ATTEMPTS = 20


def sequence_of(code: str) -> int:
    """The 5-digit sequence number of an 8-digit provider code."""
    return int(code[2:7])


def highest_sequence(session: Session) -> int:
    """The highest OCB sequence number known (imported, allocated, or an account); 0 if none.

    Sequence 00000 is never allocated: the first code is 63000012.
    """
    known = session.scalar(select(func.max(ProviderCode.sequence)))
    highest = 0 if known is None else known
    accounts = session.scalars(select(Provider.code).where(Provider.code.like(f"{PREFIX}%")))
    for code in accounts:
        if re.fullmatch(r"[0-9]{8}", code):
            highest = max(highest, sequence_of(code))
    return highest


def allocate_code(session: Session, *, application_id: int, name: str, actor: str, at: dt.datetime) -> str:
    """Reserves the next OCB code for an application in the caller's transaction; returns it.

    Raises :class:`CodesExhausted` when 99999 is taken. The row is committed with the
    caller's transaction: if that rolls back, the code was never given.
    """
    for _ in range(ATTEMPTS):
        sequence = highest_sequence(session) + 1
        if sequence > MAX_SEQUENCE:
            raise CodesExhausted("every OCB sequence number is taken")
        code = make_provider_code(PREFIX, sequence)
        try:
            with session.begin_nested():
                session.add(
                    ProviderCode(
                        code=code,
                        sequence=sequence,
                        name=name[:200],
                        source="allocated",
                        application_id=application_id,
                        at=at,
                        actor=actor,
                    )
                )
                session.flush()
        except IntegrityError:
            continue  # another approval took this number first: read the maximum again
        return code
    raise CodesExhausted(f"could not allocate a code after {ATTEMPTS} attempts (too many approvals at once)")


@dataclass(frozen=True)
class ImportLine:
    """One line of an import file that was refused."""

    line: int
    text: str
    problem: str


@dataclass(frozen=True)
class ImportResult:
    """What ``codes import`` did."""

    imported: tuple[str, ...] = ()
    already_known: tuple[str, ...] = ()
    refused: tuple[ImportLine, ...] = field(default_factory=tuple)
    highest: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": list(self.imported),
            "already_known": list(self.already_known),
            "refused": [r.__dict__ for r in self.refused],
            "highest": self.highest,
        }


def parse_import(text: str) -> tuple[list[tuple[int, str, str]], list[ImportLine]]:
    """Splits an import file into (line number, code, name) and refused lines.

    Format (docs/intake.md): one code per line, ``CODE;NAME`` (a tab or comma also
    separates); blank lines and lines starting with ``#`` are skipped.
    """
    good, bad = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = re.split(r"[;\t,]", line, maxsplit=1)
        code = parts[0].strip()
        name = parts[1].strip() if len(parts) > 1 else ""
        problems = provider_code_problems(code, "OCB")
        if problems:
            bad.append(ImportLine(number, raw, problems[0]))
        elif not name:
            bad.append(ImportLine(number, raw, f"provider code {code}: the name is missing (CODE;NAME)"))
        elif len(name) > 200:
            bad.append(ImportLine(number, raw, f"provider code {code}: the name is longer than 200 characters"))
        else:
            good.append((number, code, name))
    return good, bad


def import_codes(session: Session, text: str, *, actor: str, at: dt.datetime) -> ImportResult:
    """Registers the codes of an import file in the caller's transaction.

    Codes already known are reported, not changed; a sequence number already taken by
    another code cannot happen (the sequence decides the check digit). Raises
    :class:`InvalidData` when a code appears twice in the file with different names.
    """
    good, refused = parse_import(text)
    seen: dict[str, str] = {}
    for number, code, name in good:
        if code in seen and seen[code] != name:
            raise InvalidData(f"line {number}: code {code} appears twice with different names", code="INT-IMPORT")
        seen[code] = name
    imported, known = [], []
    for code, name in seen.items():
        if session.get(ProviderCode, code) is not None:
            known.append(code)
            continue
        session.add(
            ProviderCode(
                code=code,
                sequence=sequence_of(code),
                name=name,
                source="imported",
                application_id=None,
                at=at,
                actor=actor,
            )
        )
        imported.append(code)
    try:
        session.flush()
    except IntegrityError:  # an approval took one of these numbers at this very moment
        raise InvalidData(
            "a code of the file was allocated meanwhile; run the import again", code="INT-IMPORT"
        ) from None
    highest = highest_sequence(session)
    return ImportResult(
        tuple(imported), tuple(known), tuple(refused), make_provider_code(PREFIX, highest) if highest > 0 else None
    )
