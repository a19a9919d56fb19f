"""Pages show words, not codes: every status, severity, reason, verdict and actor has a label
in the page's language (issue 13); codes stay only where a code is meant (error-code columns,
the request and response files themselves)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from gateway.exchange.checks.model import Severity
from gateway.intake.documents.model import Reason
from gateway.intake.status import Outcome, Status
from tests.web.applicant import Applicant, received_on_paper
from tests.web.data import JPEG, FindingSpec, add_file

#: codes that must never show as text of a page (status words and reasons of the specs)
CODES = (
    ["ACCEPTE", "PARTIELLEMENT_ACCEPTE", "REJETE", "DOUBLON"]
    + [str(s) for s in Status]
    + [str(o) for o in Outcome]
    + [str(s) for s in Severity if s != Severity.INFO]
    + ["INCOMPLET", "COMPLET"]
    + [str(r) for r in Reason]
)
_CODE = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True)) + r")(?![\w-])")


class _VisibleText(HTMLParser):
    """The text a person reads: no tags, attributes, scripts, or <pre>/<code> (files shown as they are)."""

    SKIP = {"script", "style", "pre", "code", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def raw_codes(page: str) -> set[str]:
    """The codes in the visible text of ``page``, except in error-code cells."""
    # the error-code column of findings and of the dashboard's rejections shows codes on purpose
    page = re.sub(r'<td><a href="/files\?error_code=[^"]*">[^<]*</a></td>', "", page)
    parser = _VisibleText()
    parser.feed(page)
    return set(_CODE.findall(" ".join(parser.parts)))


@pytest.fixture(scope="module")
def filled(site):
    """Files of every status with findings of every severity, applications in several statuses."""
    files = [
        add_file(
            site,
            status=status,
            name=f"KINE_FACT_45001237_2026111809300{n}_00050{n}.xml",
            findings=(
                FindingSpec("ENT-004", "FATAL", 4),
                FindingSpec("ENT-005", "AVERTISSEMENT", 4),
                FindingSpec("MAT-004", "ERREUR", 17, record_id="1"),
            ),
        )
        for n, status in enumerate(("ACCEPTE", "PARTIELLEMENT_ACCEPTE", "REJETE", "DOUBLON"), start=1)
    ]
    # incomplete and with a refused document, yet sent to staff: entered from paper, as the web
    # form refuses to send an application with something to correct
    reference = received_on_paper(site, (("rib", "rib.pdf", JPEG),))
    draft = Applicant(site)  # an applicant's own page, with the same refused document
    draft.create()
    draft.upload("rib", "rib.pdf", JPEG)
    return {"files": files, "reference": reference, "applicant": draft}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_staff_pages_show_labels_not_codes(site, agent_client, filled, lang: str) -> None:
    agent_client.cookies.set("lang", lang)
    pages = [
        "/dashboard",
        "/files",
        "/applications?status=all",
        f"/applications/{filled['reference']}",
        "/audit",
        *(f"/files/{file_id}" for file_id in filled["files"]),
    ]
    for path in pages:
        response = agent_client.get(path)
        assert response.status_code == 200, path
        assert raw_codes(response.text) == set(), path


def test_english_pages_say_the_words(site, agent_client, filled) -> None:
    agent_client.cookies.set("lang", "en")
    files = agent_client.get("/files").text
    assert all(word in files for word in ("Accepted", "Partly accepted", "Rejected", "Duplicate"))
    detail = agent_client.get(f"/files/{filled['files'][2]}").text
    assert all(word in detail for word in ("Fatal", "Warning", "Error")) and "ENT-004" in detail
    application = agent_client.get(f"/applications/{filled['reference']}").text
    assert 'id="verdict">Incomplete' in application and "JPEG image refused" in application
    assert "Submitted" in application and "Forwarded" not in application
    # the history names the applicant as a person reads it, in the page's language
    agent_client.cookies.set("lang", "fr")
    french = agent_client.get(f"/applications/{filled['reference']}").text
    assert "demandeur" in french and "image JPEG refusée" in french and "La demande est incomplète" in french


def test_the_applicant_page_shows_labels_in_both_languages(site, filled) -> None:
    applicant = filled["applicant"]
    for lang in ("fr", "en"):
        applicant.client.cookies.set("lang", lang)
        page = applicant.page()
        assert page.status_code == 200 and raw_codes(page.text) == set()
