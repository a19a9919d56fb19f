"""Checks of the application's data (spec/intake.md section 1), in their three forms."""

from __future__ import annotations

import pytest

from gateway.intake.errors import InvalidData
from gateway.intake.validation import (
    ApplicationData,
    check_data,
    check_lengths,
    data_checks,
    data_problems,
    is_valid_data,
)
from tests.intake.applications.conftest import matricule, valid_data


def failed(data: ApplicationData) -> set[str]:
    return {p.code for p in data_problems(data)}


def test_valid_data_passes_every_check():
    data = valid_data()
    assert is_valid_data(data)
    assert all(c.ok for c in data_checks(data))
    assert check_data(data).iban == "LU280019400644750000"


@pytest.mark.parametrize(
    "changes, code",
    [
        pytest.param({"iban": "LU29 0019 4006 4475 0000"}, "iban_invalide", id="iban-bad-check-digits"),
        pytest.param({"iban": ""}, "iban_invalide", id="iban-missing"),
        pytest.param({"iban": "LU28 0019 4006 4475 000"}, "iban_invalide", id="iban-lu-too-short"),
        pytest.param({"postcode": "1611-L"}, "code_postal_invalide", id="postcode-reversed"),
        pytest.param({"postcode": "L-161"}, "code_postal_invalide", id="postcode-3-digits"),
        pytest.param({"postcode": "F-57000"}, "code_postal_invalide", id="postcode-french"),
        pytest.param({"register_number": "123456"}, "numero_rcs_invalide", id="register-no-letter"),
        pytest.param({"register_number": "B1234567"}, "numero_rcs_invalide", id="register-7-digits"),
        pytest.param({"manager_matricule": "1980010112345"}, "matricule_invalide", id="matricule-bad-check"),
        pytest.param({"manager_matricule": "19801301123" + "00"}, "matricule_invalide", id="matricule-month-13"),
        pytest.param({"establishment_name": ""}, "nom_invalide", id="name-empty"),
        pytest.param({"establishment_name": "x" * 121}, "nom_invalide", id="name-121-chars"),
        pytest.param({"legal_form": "GMBH"}, "forme_juridique_invalide", id="legal-form-unknown"),
        pytest.param({"street": ""}, "adresse_incomplete", id="street-missing"),
        pytest.param({"manager_last_name": ""}, "gerant_incomplet", id="manager-incomplete"),
        pytest.param({"contact_email": "anne.dupont.lu"}, "email_invalide", id="email-no-at"),
        pytest.param({"authorisation_number": ""}, "autorisation_manquante", id="authorisation-missing"),
    ],
)
def test_each_problem_is_named(changes, code):
    data = valid_data(**changes)
    assert failed(data) == {code}
    assert not is_valid_data(data)
    with pytest.raises(InvalidData) as caught:
        check_data(data)
    assert caught.value.context["problems"] == [code]


def test_every_problem_is_reported_not_only_the_first():
    data = valid_data(iban="LU00", postcode="1", register_number="9", establishment_name="")
    assert failed(data) == {"iban_invalide", "code_postal_invalide", "numero_rcs_invalide", "nom_invalide"}


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"register_number": ""}, id="no-register-number"),
        pytest.param({"manager_matricule": ""}, id="no-matricule"),
        pytest.param({"establishment_name": "x" * 120}, id="name-120-chars"),
        pytest.param({"legal_form": "sarl_s"}, id="legal-form-lower-case"),
    ],
)
def test_optional_and_boundary_values_pass(changes):
    assert is_valid_data(valid_data(**changes))


def test_normalisation_of_what_applicants_type():
    data = valid_data(
        postcode=" 1611 ",
        iban="lu28 0019 4006 4475 0000",
        register_number="b 123456",
        manager_matricule=matricule()[:6] + " " + matricule()[6:],
    ).normalised()
    assert (data.postcode, data.iban, data.register_number) == ("L-1611", "LU280019400644750000", "B123456")
    assert data.manager_matricule == matricule()


def test_messages_come_in_french_and_english():
    (problem,) = data_problems(valid_data(iban="LU29 0019 4006 4475 0000"))
    assert "IBAN" in problem.message_fr and "IBAN" in problem.message_en
    assert problem.message_fr != problem.message_en


def test_values_too_long_to_store_are_refused_outright():
    with pytest.raises(InvalidData):
        check_lengths(valid_data(locality="x" * 101))
