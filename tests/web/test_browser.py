"""End to end in real headless Chromium: staff and applicant pages as people use them.

One browser for the module (each actor in its own context, so cookies never mix); the app
is the module's real uvicorn server. Never downloads a browser: /usr/bin/chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support import missing_tool, wait_until
from tests.web.conftest import AGENT, new_address
from tests.web.data import COMPLETE_DATA, JPEG, KINDS, FindingSpec, add_file, pdf

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        missing_tool("no Chromium at /usr/bin/chromium")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def staff(site, browser) -> Iterator[Page]:
    """An agent logged in through the form, in French."""
    context = browser.new_context(base_url=site.url, locale="fr-FR", extra_http_headers={"Accept-Language": "fr"})
    page = context.new_page()
    page.console_errors = []  # CSP violations and failed loads show up here
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # keyboard users skip the header
    page.get_by_label("Identifiant").fill(AGENT[0])
    page.get_by_label("Mot de passe").fill(AGENT[1])
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    yield page
    context.close()


@pytest.fixture(scope="module")
def applicant(site, browser) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site.url, locale="fr-FR", extra_http_headers={"X-Forwarded-For": new_address()}
    )
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
    .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))
    .map(e => e.name || e.id)"""


def _unlabelled(page: Page) -> list[str]:
    """Form fields a screen reader could not name."""
    return page.evaluate(UNLABELLED)


def _images_loaded(page: Page, selector: str) -> list[int]:
    """Natural widths of the images, once each has been scrolled to (previews load lazily)."""
    images = page.locator(selector)
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
    # Polled from here: wait_for_function's own polling evaluates a string, which the pages' CSP
    # forbids, and previews (rendered in a worker process) may take a moment the first time.
    wait_until(
        lambda: page.eval_on_selector_all(selector, "els => els.every(e => e.complete)"), timeout_s=60, interval_s=0.1
    )
    return page.eval_on_selector_all(selector, "els => els.map(e => e.naturalWidth)")


def test_dashboard_with_server_drawn_charts(site, staff):
    add_file(
        site,
        name="KINE_FACT_45001237_20261120093000_000601.xml",
        status="REJETE",
        findings=(FindingSpec("ENT-006", "FATAL", 2),),
    )
    staff.goto("/dashboard")
    expect(staff.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    expect(staff.get_by_role("link", name="ENT-006")).to_be_visible()
    widths = _images_loaded(staff, "img.chart")
    assert len(widths) == 2 and all(w > 0 for w in widths)
    assert staff.console_errors == []


def test_request_file_with_its_errors(site, staff):
    file_id = add_file(
        site,
        name="KINE_FACT_45001237_20261120093000_000602.xml",
        status="REJETE",
        findings=(
            FindingSpec("MAT-004", "ERREUR", 20, "/Facturation/Enregistrement[1]/Matricule", "1893120105733", "1"),
        ),
    )
    staff.goto("/files?error_code=MAT-004")
    assert _unlabelled(staff) == []
    staff.get_by_role("link", name="KINE_FACT_45001237_20261120093000_000602.xml").click()
    expect(staff).to_have_url(re.compile(rf"/files/{file_id}$"))
    staff.get_by_role("link", name="20", exact=True).first.click()
    expect(staff).to_have_url(re.compile(r"#L20$"))
    line = staff.locator("#L20")
    expect(line).to_have_class(re.compile(r"\berr\b"))
    expect(line).to_contain_text("MAT-004")


def test_application_from_form_to_code(site, staff, applicant):
    # The applicant creates the application and uploads each document under its kind.
    applicant.goto("/demande")
    assert _unlabelled(applicant) == []
    for field, value in COMPLETE_DATA.items():
        if field == "legal_form":
            applicant.locator("#f-form").select_option(value)
        elif value:
            applicant.locator(f"[name={field}]").fill(value)
    applicant.get_by_role("button", name="Créer ma demande").click()
    expect(applicant.locator("#followup-link")).to_be_visible()
    followup = applicant.url.split("?")[0]
    assert _unlabelled(applicant) == []

    applicant.locator("#file-rib").set_input_files(
        files=[{"name": "photo.pdf", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    applicant.locator("#file-rib").locator("xpath=..").get_by_role("button", name="Envoyer").click()
    expect(applicant.locator("#upload-result")).to_contain_text("JPEG")
    expect(applicant.locator("#upload-result")).to_contain_text("refusé")
    for kind in KINDS:
        applicant.locator(f"#file-{kind}").set_input_files(
            files=[{"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": pdf(kind)}]
        )
        applicant.locator(f"#file-{kind}").locator("xpath=..").get_by_role("button", name="Envoyer").click()
        expect(applicant.locator("#upload-result")).to_contain_text("accepté")
    applicant.get_by_role("button", name="Transmettre").click()
    expect(applicant.locator("#app-status")).to_have_text("Transmise")
    reference = re.search(r"DEM-\d{4}-\d{6}", applicant.content()).group(0)

    # Staff review it: report, previews of every accepted document, then ask for a correction.
    staff.goto("/applications")
    staff.get_by_role("link", name=reference).click()
    expect(staff.locator("#verdict")).to_have_text("Complète")
    assert _unlabelled(staff) == []
    staff.wait_for_load_state("load")
    widths = _images_loaded(staff, "img.thumb")
    assert len(widths) == 6 and all(w > 0 for w in widths)
    with staff.expect_popup() as popup:  # the full document opens in the browser's PDF viewer
        staff.locator("img.thumb").first.click()
    viewer = popup.value
    viewer.wait_for_load_state()
    assert viewer.evaluate("document.contentType") == "application/pdf"
    viewer.close()
    staff.locator("#message").fill("Merci d'envoyer un RIB plus lisible.")
    staff.locator("#correction-form").get_by_label("Je confirme la demande de corrections").check()
    staff.get_by_role("button", name="Demander des corrections").click()
    expect(staff.get_by_role("status")).to_contain_text("Corrections demandées")

    # The applicant reads the request on the follow-up page and sends a corrected document.
    applicant.goto(followup)
    expect(applicant.locator("#correction-request")).to_contain_text("RIB plus lisible")
    applicant.locator("#file-rib").set_input_files(
        files=[{"name": "rib-lisible.pdf", "mimeType": "application/pdf", "buffer": pdf("RIB lisible")}]
    )
    applicant.locator("#file-rib").locator("xpath=..").get_by_role("button", name="Envoyer").click()
    expect(applicant.locator("#upload-result")).to_contain_text("accepté")
    applicant.get_by_role("button", name="Transmettre").click()
    expect(applicant.locator("#app-status")).to_have_text("Transmise")

    # Staff approve and see the allocated code; so does the applicant.
    staff.reload()
    staff.locator("#approve-form").get_by_label(re.compile("Je confirme l'approbation")).check()
    staff.get_by_role("button", name="Approuver et attribuer le code").click()
    code = staff.locator("#allocated-code strong").inner_text()
    assert re.fullmatch(r"63\d{6}", code)
    applicant.goto(followup)
    expect(applicant.locator("#allocated-code")).to_contain_text(code)
    assert staff.console_errors == [] and applicant.console_errors == []
