"""An OCB applicant whose application was approved: a password link from staff, then its code and
the decision letter in the portal (the approval message's own words), in its language."""

from __future__ import annotations

from gateway.cli.applications import build_applications
from gateway.cli.portal import provider_settings
from tests.intake.applications.conftest import complete_application, valid_data
from tests.portal.conftest import PASSWORD, csrf_of


def test_an_approved_applicant_finds_its_code_and_decision_letter(installation):
    service = build_applications(installation.context)
    data = valid_data(contact_email="cabinet-ocb@example.lu")
    reference = complete_application(service, data)
    code = service.decisions.approve(reference, actor="staff:alice").provider_code
    token = provider_settings(installation.context).issue_password_link(code, actor="staff:alice", hours=1)
    with installation.client() as browser:
        page = browser.get(f"/password/{token}")
        assert code in page.text
        assert (
            browser.post(
                f"/password/{token}", data={"csrf_token": csrf_of(page.text), "password": PASSWORD, "confirm": PASSWORD}
            ).status_code
            == 303
        )
    with installation.client() as browser:
        installation.log_in(browser, code)
        assert 'href="/application"' in browser.get("/files").text
        page = browser.get("/application")
        assert page.status_code == 200 and code in page.text and reference in page.text
        assert "Votre code prestataire est" in page.text
        browser.cookies.set("lang", "en")
        letter = browser.get("/application/letter")
        assert letter.status_code == 200 and f"Your provider code is: {code}" in letter.text
        assert letter.headers["content-disposition"].startswith("attachment")
        # the application's address is where the account's notices go
        assert "cabinet-ocb@example.lu" in browser.get("/account").text


def test_a_provider_without_an_approved_application_has_no_such_page(installation):
    from gateway.identifiers import make_provider_code

    code = make_provider_code("45", 6001)
    installation.add_provider(code)
    with installation.client() as browser:
        installation.log_in(browser, code)
        assert 'href="/application"' not in browser.get("/files").text
        assert browser.get("/application").status_code == 404
