"""The application's data and its checks (spec/intake.md section 1).

:class:`ApplicationData` is the value the web form, the CLI and the mail drop fill in.
The checks come in the three forms of the style guide: :func:`data_checks` gives one
:class:`DataCheck` per field (passed or not, for the report), :func:`data_problems` only the
failed ones, :func:`is_valid_data` a bool and :func:`check_data` raises
:class:`~gateway.intake.errors.InvalidData` naming every problem.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

from gateway import texts
from gateway.identifiers import iban_problems, matricule_problems, normalise_iban
from gateway.intake.errors import InvalidData


class LegalForm(StrEnum):
    """Legal forms an establishment may have."""

    ENTREPRISE_INDIVIDUELLE = "ENTREPRISE_INDIVIDUELLE"
    SARL = "SARL"
    SARL_S = "SARL_S"
    SA = "SA"
    SNC = "SNC"
    SCS = "SCS"
    AUTRE = "AUTRE"


NAME_MAX = 120
_POSTCODE = re.compile(r"^L-[0-9]{4}$")
_REGISTER = re.compile(r"^[A-Z][0-9]{1,6}$")
_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_PHONE = re.compile(r"^\+?[0-9][0-9 ./()-]{4,30}$")

#: longest value each field may hold (the database column); longer values are refused outright
MAX_LENGTHS = {
    "establishment_name": 120,
    "legal_form": 30,
    "street": 200,
    "postcode": 10,
    "locality": 100,
    "register_number": 10,
    "authorisation_number": 40,
    "manager_first_name": 100,
    "manager_last_name": 100,
    "manager_matricule": 13,
    "contact_email": 254,
    "contact_phone": 40,
    "iban": 40,
}


@dataclass(frozen=True)
class ApplicationData:
    """What an applicant fills in; every field is a string, empty when not given."""

    establishment_name: str = ""
    legal_form: str = ""
    street: str = ""
    postcode: str = ""
    locality: str = ""
    register_number: str = ""
    authorisation_number: str = ""
    manager_first_name: str = ""
    manager_last_name: str = ""
    manager_matricule: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    iban: str = ""

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> ApplicationData:
        """Builds the value from a form or JSON mapping; unknown keys are ignored, None is ''."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: "" if v is None else str(v) for k, v in values.items() if k in names}).normalised()

    def as_dict(self) -> dict[str, str]:
        """Field name -> value."""
        return asdict(self)

    def normalised(self) -> ApplicationData:
        """Trimmed values; IBAN without spaces in upper case; ``1234`` postcode as ``L-1234``."""
        values = {k: v.strip() for k, v in asdict(self).items()}
        values["iban"] = normalise_iban(values["iban"])
        values["register_number"] = re.sub(r"\s+", "", values["register_number"]).upper()
        values["legal_form"] = values["legal_form"].upper()
        values["contact_email"] = (
            values["contact_email"].lower() if "@" in values["contact_email"] else values["contact_email"]
        )
        values["manager_matricule"] = re.sub(r"\s+", "", values["manager_matricule"])
        postcode = values["postcode"].upper().replace(" ", "")
        if re.fullmatch(r"[0-9]{4}", postcode):
            postcode = f"L-{postcode}"
        elif re.fullmatch(r"L[0-9]{4}", postcode):
            postcode = f"L-{postcode[1:]}"
        values["postcode"] = postcode
        return replace(self, **values)


@dataclass(frozen=True)
class DataCheck:
    """One check of the data, as the report shows it; ``code`` is None when it passed."""

    field: str
    label_fr: str
    label_en: str
    ok: bool
    code: str | None = None
    message_fr: str = ""
    message_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(name: str, problem: str | tuple[str, dict[str, object]] | None) -> DataCheck:
    """The check of field ``name``: passed (``problem`` None) or failed with code ``problem``
    (and the values its message names); texts are ``datafield.<name>`` and ``datacheck.<code>``."""
    fr, en = texts.both(f"datafield.{name}")
    if problem is None:
        return DataCheck(name, fr, en, True)
    code, values = (problem, {}) if isinstance(problem, str) else problem
    # a value given as (fr, en) differs by language
    message_fr, message_en = (
        texts.text(lang, f"datacheck.{code}", **{k: v[i] if isinstance(v, tuple) else v for k, v in values.items()})
        for i, lang in enumerate(("fr", "en"))
    )
    return DataCheck(name, fr, en, False, code, message_fr, message_en)


def data_checks(data: ApplicationData) -> list[DataCheck]:
    """Every check of spec section 1, passed or failed, in form order."""
    d = data.normalised()
    checks = []

    name = d.establishment_name
    checks.append(
        _check("establishment_name", None if 1 <= len(name) <= NAME_MAX else ("nom_invalide", {"maximum": NAME_MAX}))
    )

    checks.append(
        _check(
            "legal_form",
            None
            if d.legal_form in LegalForm.__members__
            else (
                "forme_juridique_invalide",
                {
                    "forms": tuple(
                        ", ".join(texts.label(lang, "legal", form) for form in LegalForm) for lang in ("fr", "en")
                    )
                },
            ),
        )
    )

    checks.append(_check("address", None if d.street and d.locality else "adresse_incomplete"))

    checks.append(_check("postcode", None if _POSTCODE.match(d.postcode) else "code_postal_invalide"))

    if d.register_number:
        checks.append(_check("register_number", None if _REGISTER.match(d.register_number) else "numero_rcs_invalide"))

    checks.append(_check("authorisation_number", None if d.authorisation_number else "autorisation_manquante"))

    checks.append(_check("manager", None if d.manager_first_name and d.manager_last_name else "gerant_incomplet"))

    if d.manager_matricule:
        problems = matricule_problems(d.manager_matricule)
        checks.append(
            _check("manager_matricule", None if not problems else ("matricule_invalide", {"problem": problems[0][0]}))
        )

    checks.append(_check("contact_email", None if _EMAIL.match(d.contact_email) else "email_invalide"))

    checks.append(_check("contact_phone", None if _PHONE.match(d.contact_phone) else "telephone_invalide"))

    checks.append(_check("iban", None if d.iban and not iban_problems(d.iban) else "iban_invalide"))
    return checks


def data_problems(data: ApplicationData) -> list[DataCheck]:
    """The failed checks only."""
    return [c for c in data_checks(data) if not c.ok]


#: the form fields each check reads (a check of several fields fails while one is empty)
CHECK_FIELDS: dict[str, tuple[str, ...]] = {
    "establishment_name": ("establishment_name",),
    "legal_form": ("legal_form",),
    "address": ("street", "locality"),
    "postcode": ("postcode",),
    "register_number": ("register_number",),
    "authorisation_number": ("authorisation_number",),
    "manager": ("manager_first_name", "manager_last_name"),
    "manager_matricule": ("manager_matricule",),
    "contact_email": ("contact_email",),
    "contact_phone": ("contact_phone",),
    "iban": ("iban",),
}


def wrong_values(data: ApplicationData) -> list[DataCheck]:
    """Failed checks of values that were given (a mistyped e-mail, a wrong IBAN), not of empty ones.

    A draft may leave fields empty until it is sent, but a given value that is wrong is
    refused when the data is saved, so that the applicant corrects it while it is in mind.
    """
    values = data.normalised().as_dict()
    return [c for c in data_problems(data) if all(values[f] for f in CHECK_FIELDS[c.field])]


def is_valid_email(address: str) -> bool:
    """True when ``address`` passes the contact e-mail check (the one messages are sent to)."""
    return bool(_EMAIL.match((address or "").strip()))


def is_valid_data(data: ApplicationData) -> bool:
    """True when every check passes."""
    return not data_problems(data)


def check_data(data: ApplicationData) -> ApplicationData:
    """Returns the normalised data or raises :class:`InvalidData` listing every problem."""
    problems = data_problems(data)
    if problems:
        raise InvalidData(
            "; ".join(p.message_en for p in problems), code="INT-DATA", problems=[p.code for p in problems]
        )
    return data.normalised()


def check_lengths(data: ApplicationData) -> None:
    """Raises :class:`InvalidData` when a field is longer than it can be stored.

    Unlike the checks above (which an applicant corrects later), an over-long value cannot
    even be saved, so it is refused when the data is written.
    """
    too_long = [k for k, v in data.as_dict().items() if len(v) > MAX_LENGTHS[k]]
    if too_long:
        raise InvalidData(f"too long: {', '.join(too_long)}", fields=too_long)
