"""Provider codes, matricules and IBANs against the examples of the specs."""

import pytest

from gateway.errors import IdentifierError
from gateway.identifiers import (
    check_matricule,
    check_provider_code,
    iban_problems,
    is_valid_iban,
    is_valid_matricule,
    is_valid_provider_code,
    luhn_check_digit,
    make_provider_code,
    mask_matricule,
    matricule_problems,
    provider_code_problems,
    verhoeff_check_digit,
)

SPEC_PROVIDER_CODES = ["10000172", "10042117", "31000425", "45001237", "47000070", "47003116", "63000012"]
SPEC_MATRICULES = ["1893120105732", "1983081246785", "2012051469331"]


@pytest.mark.parametrize("code", SPEC_PROVIDER_CODES)
def test_spec_provider_codes_are_valid(code):
    assert is_valid_provider_code(code)
    assert make_provider_code(code[:2], int(code[2:7])) == code


@pytest.mark.parametrize(
    ("code", "profession", "fragment"),
    [
        pytest.param("4500123", None, "exactly 8 digits", id="seven-digits"),
        pytest.param("4500123A", None, "exactly 8 digits", id="letter"),
        pytest.param("45001238", None, "check digit 8 is wrong", id="bad-check-digit"),
        pytest.param("99001233", None, "prefix 99 is not a profession", id="unknown-prefix"),
        pytest.param("45001237", "LAB", "does not match profession LAB (expected 31)", id="wrong-profession"),
    ],
)
def test_bad_provider_codes_name_the_problem(code, profession, fragment):
    problems = provider_code_problems(code, profession)
    assert any(fragment in p for p in problems), problems
    with pytest.raises(IdentifierError) as raised:
        check_provider_code(code, profession)
    assert raised.value.code == "ID-PROVIDER"


@pytest.mark.parametrize("matricule", SPEC_MATRICULES)
def test_spec_matricules_are_valid(matricule):
    assert is_valid_matricule(matricule)
    assert check_matricule(matricule) == matricule
    assert luhn_check_digit(matricule[:11]) == int(matricule[11])
    assert verhoeff_check_digit(matricule[:11]) == int(matricule[12])


def _with_check_digits(body: str) -> str:
    return f"{body}{luhn_check_digit(body)}{verhoeff_check_digit(body)}"


@pytest.mark.parametrize(
    ("matricule", "codes"),
    [
        pytest.param("1893120105733", {"MAT-004"}, id="verhoeff-wrong"),
        pytest.param("1893120105742", {"MAT-003"}, id="luhn-wrong"),
        pytest.param(_with_check_digits("18931233105"), {"MAT-002"}, id="day-33"),
        pytest.param("189312010573", {"MAT-001"}, id="twelve-digits"),
    ],
)
def test_bad_matricules(matricule, codes):
    assert {code for code, _ in matricule_problems(matricule)} == codes


def test_mask_keeps_only_last_digits():
    assert mask_matricule("1893120105732") == "**********732"


@pytest.mark.parametrize("iban", ["LU28 0019 4006 4475 0000", "DE89370400440532013000", "lu280019400644750000"])
def test_valid_ibans(iban):
    assert is_valid_iban(iban)


@pytest.mark.parametrize(
    ("iban", "fragment"),
    [
        pytest.param("LU29 0019 4006 4475 0000", "check digits 29", id="check-digits"),
        pytest.param("LU28 0019 4006 4475 000", "20 characters", id="lu-length"),
        pytest.param("hello", "not in IBAN format", id="garbage"),
    ],
)
def test_bad_ibans(iban, fragment):
    assert any(fragment in p for p in iban_problems(iban))
