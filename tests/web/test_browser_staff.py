"""Staff security in real headless Chromium: second-factor enrolment and login, session revocation.

Two browser contexts are two devices of one admin; the codes come from pyotp with the secret
the enrolment page shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from gateway.web.staff import add_staff
from tests.web.staff_login import next_code
from tests.web.test_browser import browser  # noqa: F401 - the module's Chromium

pytestmark = pytest.mark.browser


@pytest.fixture
def devices(site, browser: Browser) -> Iterator[tuple[Page, Page]]:  # noqa: F811 - the fixture imported above, taken by its name
    contexts: list[BrowserContext] = []
    pages = []
    for name in ("Laptop", "Phone"):
        context = browser.new_context(
            base_url=site.url,
            locale="fr-FR",
            user_agent=f"{name} Chromium test",
            extra_http_headers={"Accept-Language": "fr"},
        )
        page = context.new_page()
        page.console_errors = []  # CSP violations and failed loads show up here
        page.on("console", lambda message, p=page: message.type == "error" and p.console_errors.append(message.text))
        contexts.append(context)
        pages.append(page)
    yield pages[0], pages[1]
    for context in contexts:
        context.close()


def _password_step(page: Page, login: str, password: str) -> None:
    page.goto("/dashboard")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_enrol_log_in_with_the_code_and_end_the_other_session(site, devices):
    laptop, phone = devices
    add_staff(site.sessions, "wanda", "admin", "wanda-password-001")

    # First login: the role requires a second factor, so the enrolment comes before the dashboard.
    _password_step(laptop, "wanda", "wanda-password-001")
    expect(laptop).to_have_url(re.compile(r"/login/enrol\?next=/dashboard$"))
    qr = laptop.locator("figure.qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["height"] >= 150
    secret = laptop.locator("#totp-secret").inner_text().replace(" ", "")
    code_field = laptop.get_by_label("Code à 6 chiffres")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    code_field.fill(next_code(site, "wanda", secret))
    laptop.get_by_role("button", name="Activer").click()
    expect(laptop.locator("#recovery-codes li")).to_have_count(10)
    laptop.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(laptop).to_have_url(re.compile(r"/dashboard$"))

    # Second device: password, then the code.
    _password_step(phone, "wanda", "wanda-password-001")
    expect(phone).to_have_url(re.compile(r"/login/code\?next=/dashboard$"))
    phone.get_by_label("Code à 6 chiffres").fill(next_code(site, "wanda", secret))
    phone.get_by_role("button", name="Vérifier").click()
    expect(phone).to_have_url(re.compile(r"/dashboard$"))

    # The laptop sees both sessions and ends the phone's.
    laptop.goto("/account")
    phone_row = laptop.locator("tr", has_text="Phone Chromium test")
    expect(phone_row).to_have_count(1)
    expect(laptop.locator("tr[aria-current=true]")).to_contain_text("Laptop Chromium test")
    phone_row.get_by_role("button", name="Fermer").click()
    expect(laptop.locator("tr", has_text="Phone Chromium test")).to_have_count(0)

    # The phone's very next request is refused: back to the login form.
    phone.goto("/files")
    expect(phone).to_have_url(re.compile(r"/login\?next=/files$"))
    laptop.goto("/files")
    expect(laptop).to_have_url(re.compile(r"/files$"))
    assert laptop.console_errors == [] and phone.console_errors == []
