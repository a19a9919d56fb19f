"""Identifiers of spec/exchange.md section 5 and spec/intake.md section 1.

Provider codes (``PPNNNNNC``, Luhn), matricules (``YYYYMMDDXXXCD``, Luhn and Verhoeff) and
IBANs (mod 97). Each check comes in the three forms of the style guide: ``check_*`` raises
:class:`IdentifierError` naming what is wrong, ``is_valid_*`` returns a bool and
``*_problems`` lists every problem.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from gateway.errors import IdentifierError
from gateway.exchange.conventions import CONVENTIONS


class Profession(StrEnum):
    """Two-digit profession prefixes of provider codes that are not exchange conventions.

    The conventions' prefixes are in their registry (:mod:`gateway.exchange.conventions`).
    """

    PHYSICIAN = "10"
    OCB = "63"


#: account profession name (operations.md) -> code prefix: the exchange conventions, then OCB
PROFESSION_PREFIX = {
    **{spec.code: spec.prefix for spec in CONVENTIONS.values()},
    Profession.OCB.name: Profession.OCB.value,
}
#: conventions of the exchange flow
EXCHANGE_PROFESSIONS = tuple(spec.code for spec in CONVENTIONS.values())
#: every prefix a provider code may have
_PREFIXES = sorted({p.value for p in Profession} | set(PROFESSION_PREFIX.values()))


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # the digit next to the check digit is doubled
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_check_digit(digits: str) -> int:
    """The Verhoeff check digit to append to ``digits``."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[(i + 1) % 8][int(ch)]]
    return _VERHOEFF_INV[c]


# ------------------------------------------------------------------ provider codes

_PROVIDER_CODE = re.compile(r"^[0-9]{8}$")


def provider_code_problems(code: str, profession: str | None = None) -> list[str]:
    """Every problem with ``code`` as a provider code (of ``profession`` when given)."""
    if not _PROVIDER_CODE.match(code or ""):
        return [f"provider code {code!r} must be exactly 8 digits"]
    problems = []
    if code[:2] not in _PREFIXES:
        problems.append(f"provider code {code}: prefix {code[:2]} is not a profession ({', '.join(_PREFIXES)})")
    elif profession is not None:
        expected = PROFESSION_PREFIX.get(
            profession, Profession[profession].value if profession in Profession.__members__ else None
        )
        if expected is not None and code[:2] != expected:
            problems.append(
                f"provider code {code}: prefix {code[:2]} does not match profession {profession} (expected {expected})"
            )
    expected_digit = luhn_check_digit(code[:7])
    if int(code[7]) != expected_digit:
        problems.append(
            f"provider code {code}: check digit {code[7]} is wrong (Luhn of {code[:7]} is {expected_digit})"
        )
    return problems


def is_valid_provider_code(code: str, profession: str | None = None) -> bool:
    """True when ``code`` is a well-formed provider code (of ``profession`` when given)."""
    return not provider_code_problems(code, profession)


def check_provider_code(code: str, profession: str | None = None) -> str:
    """Returns ``code`` or raises :class:`IdentifierError` naming the first problem."""
    problems = provider_code_problems(code, profession)
    if problems:
        raise IdentifierError(problems[0], code="ID-PROVIDER", value=code)
    return code


def make_provider_code(prefix: str, sequence: int) -> str:
    """The provider code with ``prefix``, 5-digit ``sequence`` and its Luhn check digit."""
    if not 0 <= sequence <= 99999:
        raise IdentifierError(f"sequence {sequence} does not fit in 5 digits", code="ID-PROVIDER-FULL")
    body = f"{prefix}{sequence:05d}"
    return f"{body}{luhn_check_digit(body)}"


# ------------------------------------------------------------------ matricules

_MATRICULE = re.compile(r"^[0-9]{13}$")


def matricule_birth_date(matricule: str) -> dt.date | None:
    """The birth date of the first 8 digits, or None when they are not a real date."""
    try:
        return dt.date(int(matricule[0:4]), int(matricule[4:6]), int(matricule[6:8]))
    except ValueError:
        return None


def matricule_problems(matricule: str) -> list[tuple[str, str]]:
    """Every problem with ``matricule`` as (code, sentence); codes are MAT-00x."""
    if not _MATRICULE.match(matricule or ""):
        return [("MAT-001", f"matricule {matricule!r} must be exactly 13 digits")]
    problems = []
    if matricule_birth_date(matricule) is None:
        problems.append(("MAT-002", f"matricule: {matricule[:8]} is not a valid birth date (YYYYMMDD)"))
    if int(matricule[11]) != luhn_check_digit(matricule[:11]):
        problems.append(("MAT-003", "matricule: the 12th digit is not the Luhn check digit of the first 11"))
    if int(matricule[12]) != verhoeff_check_digit(matricule[:11]):
        problems.append(("MAT-004", "matricule: the 13th digit is not the Verhoeff check digit of the first 11"))
    return problems


def is_valid_matricule(matricule: str) -> bool:
    """True when ``matricule`` passes every structural check."""
    return not matricule_problems(matricule)


def check_matricule(matricule: str) -> str:
    """Returns ``matricule`` or raises :class:`IdentifierError` with the first problem's code."""
    problems = matricule_problems(matricule)
    if problems:
        code, message = problems[0]
        raise IdentifierError(message, code=code)
    return matricule


# ------------------------------------------------------------------ IBAN

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def normalise_iban(iban: str) -> str:
    """Upper case without spaces, as IBANs are compared and stored."""
    return re.sub(r"\s+", "", iban or "").upper()


def iban_problems(iban: str) -> list[str]:
    """Every problem with ``iban`` (format, Luxembourg length, mod-97 check digits)."""
    value = normalise_iban(iban)
    if not _IBAN.match(value):
        return [f"IBAN {iban!r} is not in IBAN format (two letters, two check digits, then the account)"]
    if value.startswith("LU") and len(value) != 20:
        return [f"IBAN {value}: a Luxembourg IBAN has 20 characters, this one has {len(value)}"]
    rearranged = value[4:] + value[:4]
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    if number % 97 != 1:
        return [f"IBAN {value}: the check digits {value[2:4]} do not match (mod 97)"]
    return []


def is_valid_iban(iban: str) -> bool:
    """True when ``iban`` has valid mod-97 check digits."""
    return not iban_problems(iban)


def mask_matricule(matricule: str) -> str:
    """``matricule`` with all but its last 3 digits hidden, for logs and metrics."""
    if not matricule:
        return matricule
    return "*" * max(0, len(matricule) - 3) + matricule[-3:]
