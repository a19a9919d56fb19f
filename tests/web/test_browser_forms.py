"""Forms in real headless Chromium: the applicant's form refuses wrong values next to their
fields and never sends an application with open problems; staff decisions look what they do
and destructive acts ask for a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

import pytest
from playwright.sync_api import Browser, Page, expect

from gateway.web import cookies
from tests.web.applicant import received_on_paper
from tests.web.conftest import ADMIN
from tests.web.data import COMPLETE_DATA, KINE, add_file, add_providers
from tests.web.test_browser import applicant, browser, staff  # noqa: F401 - the module's Chromium and actors

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def admin_page(site, browser: Browser) -> Iterator[Page]:  # noqa: F811 - the fixture imported above, taken by its name
    """The admin, in French, with the complete session (password and second factor) of the module."""
    with site.staff_client(ADMIN[0]) as client:
        token = client.cookies.get(cookies.SESSION)
    context = browser.new_context(base_url=site.url, locale="fr-FR", extra_http_headers={"Accept-Language": "fr"})
    context.add_cookies([{"name": cookies.SESSION, "value": token, "url": site.url}])
    page = context.new_page()
    yield page
    context.close()


def _style(page: Page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).getPropertyValue('{prop}')")


def _fill(page, values: dict[str, str]) -> None:
    for field, value in values.items():
        if field == "legal_form":
            page.locator("#f-form").select_option(value)
        else:
            page.locator(f"[name={field}]").fill(value)


def test_the_applicant_form_shows_each_problem_next_to_its_field(site, applicant):  # noqa: F811 - the fixture imported above, taken by its name
    applicant.goto("/demande")
    _fill(
        applicant,
        {
            **COMPLETE_DATA,
            "contact_email": "jeanne(at)ortho-sud",
            "iban": "LU28 0019 4006 4475 0001",
            "manager_first_name": "",
            "manager_last_name": "",
        },
    )
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


def test_decisions_are_three_separate_boxes_and_a_disabled_approval_looks_disabled(site, staff):  # noqa: F811 - the fixture imported above, taken by its name
    reference = received_on_paper(site, establishment_name="Ortho Ouest")  # INCOMPLET: nothing sent
    staff.set_viewport_size({"width": 1366, "height": 900})
    staff.goto(f"/applications/{reference}")
    approve = staff.get_by_role("button", name="Approuver et attribuer le code")
    expect(approve).to_be_disabled()
    expect(approve).to_have_accessible_description(re.compile("ne peut pas être approuvée"))
    ask = "#correction-form button[type=submit]"
    assert _style(staff, "#approve-form button", "background-color") != _style(staff, ask, "background-color")
    assert _style(staff, "#approve-form button", "cursor") == "not-allowed"
    boxes = [
        staff.locator(f"section.decision:has(#{form})").bounding_box()
        for form in ("correction-form", "approve-form", "refuse-form")
    ]
    for heading in ("Demander des corrections", "Approuver et attribuer le code", "Refuser"):
        expect(staff.get_by_role("heading", name=heading, level=3)).to_be_visible()
    # Side by side at 1366 px, with a gap: no two boxes touch.
    for left, right in pairwise(boxes):
        assert left["x"] + left["width"] < right["x"]
    staff.set_viewport_size({"width": 390, "height": 844})
    boxes = [
        staff.locator(f"section.decision:has(#{form})").bounding_box()
        for form in ("correction-form", "approve-form", "refuse-form")
    ]
    for upper, lower in pairwise(boxes):  # stacked on a phone, still apart
        assert upper["y"] + upper["height"] < lower["y"]
    staff.set_viewport_size({"width": 1366, "height": 900})


def test_voiding_a_file_asks_for_a_reason_and_says_void(site, staff):  # noqa: F811 - the fixture imported above, taken by its name
    file_id = add_file(site, name="KINE_FACT_45001237_20261120093000_000701.xml", status="ACCEPTE", forwarded=2)
    staff.goto(f"/files/{file_id}")
    expect(staff.locator("#void-form")).to_be_hidden()  # behind its own disclosure, not one click away
    staff.get_by_text("Invalider ce fichier…").click()
    staff.locator("#void-form").get_by_role("button", name="Invalider ce fichier").click()
    expect(staff).to_have_url(re.compile(rf"/files/{file_id}$"))  # the browser holds it: no reason yet
    staff.get_by_label("Motif (consigné dans le journal d'audit)").fill("envoyé deux fois par erreur")
    staff.get_by_label("Je confirme l'invalidation de ce fichier").check()
    staff.locator("#void-form").get_by_role("button", name="Invalider ce fichier").click()
    expect(staff.get_by_role("status")).to_have_text("Le fichier a été invalidé.")
    expect(staff.get_by_text("Invalidé par staff:bob")).to_be_visible()


def test_disabling_a_provider_asks_for_confirmation_and_a_reason(site, admin_page):
    add_providers(site)
    admin_page.goto(f"/providers/{KINE}")
    expect(admin_page.locator("#disable-form")).to_be_hidden()
    admin_page.get_by_text("Désactiver l'accès…").click()
    button = admin_page.locator("#disable-form").get_by_role("button", name="Désactiver l'accès")
    button.click()
    expect(admin_page.locator("dl.facts").first).to_contain_text("active")  # nothing happened without a reason
    admin_page.get_by_label("Motif (consigné dans le journal d'audit)").fill("contrat résilié")
    admin_page.get_by_label(f"Je confirme la désactivation de l'accès de {KINE}").check()
    button.click()
    expect(admin_page.get_by_role("status")).to_have_text("Accès désactivé.")
    expect(admin_page.locator("dl.facts").first).to_contain_text("désactivée")
    admin_page.get_by_role("button", name="Activer").click()
    expect(admin_page.get_by_role("status")).to_have_text("Accès activé.")
