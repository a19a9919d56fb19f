"""Forms in real headless Chromium: the applicant's form refuses wrong values next to their
fields and never sends an application with open problems; staff decisions look what they do
and destructive acts ask for a reason.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.data import COMPLETE_DATA
from tests.web.test_browser import applicant, browser, staff  # noqa: F401 - the module's Chromium and actors

pytestmark = pytest.mark.browser


def _fill(page, values: dict[str, str]) -> None:  # noqa: ANN001
    for field, value in values.items():
        if field == "legal_form":
            page.locator("#f-form").select_option(value)
        else:
            page.locator(f"[name={field}]").fill(value)


def test_the_applicant_form_shows_each_problem_next_to_its_field(site, applicant):  # noqa: F811
    applicant.goto("/demande")
    _fill(applicant, {**COMPLETE_DATA, "contact_email": "jeanne(at)ortho-sud", "iban": "LU28 0019 4006 4475 0001",
                      "manager_first_name": "", "manager_last_name": ""})
    applicant.get_by_role("button", name="Créer ma demande").click()

    # Nothing was created; each wrong field is marked and described by its own message.
    expect(applicant).to_have_url(re.compile(r"/demande$"))
    expect(applicant.locator("#form-problems")).to_contain_text("rien n'a été enregistré")
    email = applicant.get_by_label("Adresse e-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("adresse e-mail valide"))
    expect(email).to_have_value("jeanne(at)ortho-sud")  # what was typed is kept
    iban = applicant.get_by_label("IBAN")
    expect(iban).to_have_accessible_description(re.compile("IBAN n'est pas valide"))
    expect(iban).to_have_value("LU28 0019 4006 4475 0001")
    expect(applicant.locator("#f-last")).to_have_accessible_description(re.compile("nom du gérant"))
    expect(applicant.locator("#f-name")).not_to_have_attribute("aria-invalid", "true")
    expect(applicant.locator("#f-name")).to_have_value("Ortho Sud")

    # The summary's link takes the keyboard to the message next to the field.
    applicant.locator("#form-problems").get_by_role("link", name=re.compile("adresse e-mail valide")).click()
    expect(applicant).to_have_url(re.compile(r"#err-contact_email$"))

    # Corrected, the application is created; sending it without documents is refused.
    email.fill("jeanne@ortho-sud.lu")
    iban.fill(COMPLETE_DATA["iban"])
    _fill(applicant, {"manager_first_name": "Jeanne", "manager_last_name": "Muller"})
    applicant.get_by_role("button", name="Créer ma demande").click()
    expect(applicant.locator("#followup-link")).to_be_visible()
    applicant.get_by_role("button", name="Transmettre").click()
    expect(applicant.locator("#form-problems")).to_contain_text("ne peut pas encore être transmise")
    expect(applicant.locator("#form-problems")).to_contain_text("Document manquant")
    expect(applicant.locator("#app-status")).to_have_text("En préparation")
    expect(applicant.get_by_text("Vous serez informé")).to_have_count(0)
    # The refused forms answer 422 (Chromium logs that); nothing else, such as a CSP violation.
    assert [e for e in applicant.console_errors if "status of 422" not in e] == []
