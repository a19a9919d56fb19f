"""The helpdesk's "why was this refused" view in real headless Chromium: refused SFTP
operations on the provider's page, the per-provider view with its filters, the audit page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from gateway.clock import utcnow
from gateway.sftp.refusals import RefusalRecorder
from gateway.sftp.session import Who
from tests.web.data import KINE, LAB, add_providers
from tests.web.test_browser import browser, staff  # noqa: F401 - the module's Chromium and logged-in agent

pytestmark = pytest.mark.browser


def _refuse(site, code: str, session_id: str) -> None:
    """Refusals written by the SFTP layer's own recorder, as a session of ``code`` makes them."""
    who = Who(
        provider_code=code,
        profession="KINE",
        address="203.0.113.9",
        session_id=session_id,
        method="publickey",
        key_fingerprint="SHA256:x",
        started_at=utcnow(),
    )
    recorder = RefusalRecorder(site.sessions, who, max_recorded=10)
    recorder.note(
        operation="open",
        path="inbox/facture mars.xml",
        code="SFTP-NAME",
        message="file name refused / nom de fichier refusé",
    )
    for _ in range(3):
        recorder.note(
            operation="mkdir",
            path="inbox/archives",
            code="SFTP-DENIED",
            message="folders and links cannot be created or removed",
        )
    recorder.finish()


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_helpdesk_sees_why_an_operation_was_refused(site, staff: Page):  # noqa: F811 - the fixture imported above, taken by its name
    add_providers(site)
    _refuse(site, KINE, "helpdesk-1")
    _refuse(site, LAB, "helpdesk-2")

    staff.goto(f"/providers/{KINE}")
    section = staff.locator("table.refusals")
    expect(section.locator("tbody tr")).to_have_count(2)
    expect(section).to_contain_text("SFTP-NAME")
    expect(section).to_contain_text("inbox/facture mars.xml")
    expect(section).to_contain_text("Nom de fichier refusé")  # the meaning, in the page's language

    staff.get_by_role("link", name=re.compile("Pourquoi refusé")).click()
    expect(staff).to_have_url(re.compile(rf"/providers/{KINE}/refusals$"))
    rows = staff.locator("table.refusals tbody tr")
    expect(rows).to_have_count(2)
    denied = staff.locator("tr", has_text="SFTP-DENIED")
    expect(denied).to_contain_text("inbox/archives")
    expect(denied).to_contain_text("Permission denied")  # what OpenSSH's sftp showed
    expect(denied).to_contain_text("203.0.113.9")
    expect(denied.locator("td").last).to_have_text("2")  # two repeats after the first
    _no_sideways_scroll(staff)

    staff.get_by_label("Raison").select_option("SFTP-NAME")
    staff.get_by_role("button", name="Filtrer").click()
    expect(staff).to_have_url(re.compile(r"reason=SFTP-NAME"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("facture mars.xml")

    staff.goto("/audit")
    staff.get_by_role("link", name="Refus SFTP").click()
    table = staff.locator("table")
    expect(table.locator("tbody tr")).to_have_count(4)  # two per provider
    staff.get_by_label("Résultat", exact=True).fill("SFTP-NAME")
    staff.get_by_label("Cible", exact=True).fill(LAB)
    staff.get_by_role("button", name="Filtrer").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    table.get_by_role("link", name=re.compile(LAB)).click()
    expect(staff).to_have_url(re.compile(rf"/providers/{LAB}/refusals$"))

    assert not staff.console_errors
