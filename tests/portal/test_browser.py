"""The portal in real headless Chromium at a phone's width (390 px): login with TOTP enrolment,
a refused name told at once, a file sent and its response appearing without a reload, a key added
and then used over the real SFTP server, a notification received by the test SMTP server, each page
in French and English with every field labelled, nothing wider than the screen, no CSP violation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from playwright.sync_api import Browser, Page, expect

from gateway.cli.portal import provider_settings
from gateway.identifiers import make_provider_code
from tests.portal.conftest import PASSWORD, kine_request, new_address
from tests.portal.test_account import _openssh, _sftp_login
from tests.support import wait_until
from tests.web.test_browser import UNLABELLED, browser  # noqa: F401 - the module's Chromium

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
#: every element wider than the page (a table may be, inside its own scrolling box)
OVERFLOW = """() => document.documentElement.scrollWidth - document.documentElement.clientWidth"""
#: the outermost elements that stick out, to say what is too wide
WIDE = """() => Array.from(document.querySelectorAll('html, body, body *'))
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .filter(e => !e.parentElement.closest('.scroll, pre'))
    .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def phone(installation, browser: Browser) -> Iterator[Page]:  # noqa: F811 - the fixture imported above, taken by its name
    context = browser.new_context(
        base_url=installation.portal_url,
        locale="fr-FR",
        viewport=PHONE,
        extra_http_headers={"Accept-Language": "fr", "X-Forwarded-For": new_address()},
    )
    page = context.new_page()
    page.console_errors = []  # CSP violations and failed loads show up here
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


def _fits_and_is_labelled(page: Page) -> None:
    page.wait_for_load_state("load")  # measured once the stylesheets apply
    assert page.evaluate(OVERFLOW) <= 0, f"{page.url} is wider than 390 px: {page.evaluate(WIDE)}"
    assert page.evaluate(UNLABELLED) == [], page.url
    assert page.console_errors == [], page.console_errors


def _log_in(installation, page: Page, code: str) -> str:
    """Password, then enrolment at first login; returns the TOTP secret."""
    page.goto("/files")
    expect(page).to_have_url(re.compile(r"/login\?next=/files$"))
    _fits_and_is_labelled(page)
    page.get_by_label("Code prestataire (8 chiffres)").fill(code)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    _fits_and_is_labelled(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer").click()
    expect(page).to_have_url(re.compile(r"/files$"))
    return secret


def test_log_in_send_a_file_and_see_its_response_appear(installation, phone):
    code = make_provider_code("45", 7001)
    installation.add_provider(code)
    _log_in(installation, phone, code)
    expect(phone.get_by_role("heading", name="Mes fichiers de demande")).to_be_visible()
    _fits_and_is_labelled(phone)

    phone.get_by_role("link", name="Envoyer un fichier").first.click()
    expect(phone).to_have_url(re.compile(r"/send$"))
    _fits_and_is_labelled(phone)
    chooser = phone.get_by_label("Fichier de demande")
    chooser.set_input_files({"name": "facture mars.xml", "mimeType": "text/xml", "buffer": b"<x/>"})
    expect(phone.locator("#name-message")).to_be_visible()  # told at once, before sending
    expect(phone.locator("#name-message")).to_contain_text("facture mars.xml")
    name, data = kine_request(code, 1)
    chooser.set_input_files({"name": name, "mimeType": "text/xml", "buffer": data})
    expect(phone.locator("#name-message")).to_be_hidden()
    phone.get_by_role("button", name="Envoyer").click()
    expect(phone).to_have_url(re.compile(r"/files/\d+\?sent=1$"))
    expect(phone.get_by_role("status").first).to_contain_text("Fichier reçu")
    # no reload by hand: the page's own script waits for the response and shows it
    expect(phone.locator("#file-status")).to_have_class(re.compile(r"\bs-ACCEPTE\b"), timeout=30_000)
    expect(phone.locator("#file-status")).to_have_text("Accepté")  # the status's label, not its code
    expect(phone.get_by_role("link", name="Télécharger la réponse")).to_be_visible()
    _fits_and_is_labelled(phone)

    phone.get_by_role("link", name="EN", exact=True).click()
    expect(phone.get_by_role("link", name="Download the response")).to_be_visible()
    phone.get_by_role("link", name="My files").click()
    expect(phone.get_by_role("heading", name="My request files")).to_be_visible()
    expect(phone.get_by_role("link", name=name)).to_be_visible()
    _fits_and_is_labelled(phone)


def test_add_a_key_use_it_over_sftp_and_get_told_by_mail(installation, phone):
    code = make_provider_code("45", 7002)
    installation.add_provider(code)
    contact = f"accueil-{code}@example.lu"
    provider_settings(installation.context).set_contact(code, contact, actor="staff:alice")
    _log_in(installation, phone, code)
    phone.get_by_role("link", name="Mon compte").click()
    expect(phone).to_have_url(re.compile(r"/account$"))
    expect(phone.locator("#host-key")).to_contain_text("SHA256:")
    _fits_and_is_labelled(phone)

    key = ed25519.Ed25519PrivateKey.generate()
    phone.get_by_label("Ajouter une clé publique").fill(_openssh(key) + " poste-accueil")
    phone.get_by_role("button", name="Ajouter la clé").click()
    expect(phone.get_by_role("status")).to_contain_text("Clé ajoutée")
    expect(phone.get_by_role("cell", name="poste-accueil")).to_be_visible()
    assert _sftp_login(installation, code, key)
    wait_until(lambda: installation.mails.to(contact), timeout_s=10)
    assert "SSH" in installation.mails.to(contact)[0].get_content()

    phone.get_by_label("Un message quand une réponse est prête").check()
    phone.get_by_role("button", name="Enregistrer").click()
    expect(phone.get_by_role("status")).to_contain_text("Choix enregistrés")
    expect(phone.get_by_label("Un message quand une réponse est prête")).to_be_checked()
    _fits_and_is_labelled(phone)
    name, data = kine_request(code, 1)
    phone.goto("/send")
    phone.get_by_label("Fichier de demande").set_input_files({"name": name, "mimeType": "text/xml", "buffer": data})
    phone.get_by_role("button", name="Envoyer").click()
    wait_until(lambda: any("Response ready" in m["Subject"] for m in installation.mails.to(contact)), timeout_s=30)


def test_an_approved_applicant_sets_its_password_and_reads_its_decision(installation, phone):
    from gateway.cli.applications import build_applications
    from tests.intake.applications.conftest import complete_application

    service = build_applications(installation.context)
    code = service.decisions.approve(complete_application(service), actor="staff:alice").provider_code
    token = provider_settings(installation.context).issue_password_link(code, actor="staff:alice", hours=1)
    phone.goto(f"/password/{token}")
    _fits_and_is_labelled(phone)
    phone.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    phone.get_by_label("Le même, encore une fois").fill(PASSWORD)
    phone.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(phone.get_by_role("status")).to_contain_text("Mot de passe enregistré")
    _log_in(installation, phone, code)
    phone.get_by_role("link", name="Mon code prestataire").click()
    expect(phone.locator("#provider-code")).to_have_text(code)
    expect(phone.locator("pre.letter")).to_contain_text(f"Votre code prestataire est : {code}")
    _fits_and_is_labelled(phone)
