"""No page scrolls sideways: every staff and applicant page, at 390 px (a phone) and 1366 px
(a laptop), in French and English, filled with long real-looking data. Wide tables and
response blocks scroll inside their own box; the header fits.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from gateway.intake.maildrop import MailDrop
from gateway.web import cookies
from tests.web.applicant import Applicant, received_on_paper
from tests.web.conftest import ADMIN
from tests.web.data import COMPLETE_DATA, JPEG, KINDS, KINE, FindingSpec, add_file, add_providers, pdf
from tests.web.test_browser import browser  # noqa: F401 - the module's Chromium

pytestmark = pytest.mark.browser
WIDTHS = (390, 1366)
LONG_NAME = "facture_novembre_2026_cabinet_de_kinesitherapie_du_centre_ville_version_definitive_corrigee.xml"
LONG_PATH = "/Facturation/Enregistrement[12]/Prestations/Prestation[3]/ActesRealises/Acte[2]/CodeNomenclature"
LONG_VALUE = "ZZ99-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789"
LONG_ESTABLISHMENT = (
    "Centre de rééducation fonctionnelle et de kinésithérapie du sport Luxembourg-Kirchberg-Nord S.à r.l."
)[:120]
LONG_RESPONSE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Reponse xmlns="urn:cns:echange:reponse:1">'
    + '<Message code="XSD-001" ligne="3" chemin="'
    + LONG_PATH
    + '">'
    + "Element '{urn:cns:echange:kine:1}Enregistrement', attribute 'reference': [facet 'pattern'] "
    + "The value '"
    + LONG_VALUE
    + "' is not accepted by the pattern '[A-Z0-9]{1,20}'.</Message>"
    + "</Reponse>\n"
).encode()


@pytest.fixture(scope="module")
def pages(site) -> dict[str, list[str]]:
    """Long data everywhere it shows, and the paths of every page to measure."""
    add_providers(site)
    long_request = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Facturation><Enregistrement reference="'
        + LONG_VALUE * 3
        + '"/></Facturation>\n'
    ).encode()
    findings = (
        FindingSpec("XSD-001", "FATAL", 2, LONG_PATH, LONG_VALUE * 2, "12"),
        FindingSpec("MAT-004", "ERREUR", 2, LONG_PATH, "1893120105733", "1"),
    )
    rejected = add_file(
        site,
        name=LONG_NAME,
        status="REJETE",
        content=long_request,
        findings=findings,
        response=LONG_RESPONSE,
        convention="",
    )
    accepted = add_file(
        site,
        name="KINE_FACT_45001237_20261120093000_000901.xml",
        status="PARTIELLEMENT_ACCEPTE",
        findings=findings,
        forwarded=2,
    )
    # An application with long values, long document names and a refused upload.
    applicant = Applicant(site)
    data = {
        **COMPLETE_DATA,
        "establishment_name": LONG_ESTABLISHMENT,
        "contact_email": "secretariat.direction.generale@centre-reeducation-kirchberg-nord.lu",
        "street": "123, boulevard Grande-Duchesse Charlotte, résidence « Les Jardins du Kirchberg »",
    }
    assert applicant.create(**data).status_code == 303
    for kind in KINDS[:3]:
        applicant.upload(kind, f"{kind}_scan_signe_{'tres_long_nom_de_fichier_' * 3}.pdf", pdf(kind))
    refused = applicant.upload("rib", "photo_du_rib_prise_avec_le_telephone_portable_IMG_20261120_093000.pdf", JPEG)
    refused_upload = str(refused.url)[len(site.url) :]  # the follow-up page with the refusal shown
    reference = received_on_paper(
        site,
        (("rib", f"rib_{'releve_identite_bancaire_' * 4}.pdf", pdf("rib")),),
        establishment_name=LONG_ESTABLISHMENT,
        contact_email="anne@dupont.lu",
    )
    site.applications.decisions.request_correction(
        reference, "Merci d'envoyer " + "un relevé d'identité bancaire lisible, " * 6, actor="staff:bob"
    )
    # A mail that no application takes: listed on the mail page with its long sender and subject.
    from tests.intake.applications.test_maildrop import message

    message_ = message(
        "",
        "Demande d'agrément " + "documents complémentaires " * 5,
        [(LONG_NAME.replace(".xml", ".pdf"), pdf("x"), "application/pdf")],
        from_line="Secrétariat <secretariat.direction.generale@centre-reeducation-kirchberg-nord.lu>",
    )
    mailbox.Maildir(site.root / "var" / "maildrop", create=False).add(message_)
    MailDrop(site.applications, site.root / "var" / "maildrop").process_pending()
    staff = [
        "/dashboard",
        "/files",
        f"/files?provider={KINE}",
        f"/files/{rejected}",
        f"/files/{accepted}",
        "/applications",
        "/applications?status=A_CORRIGER",
        f"/applications/{reference}",
        "/applications/new",
        "/applications/mail",
        "/providers",
        f"/providers/{KINE}",
        "/audit",
        "/admin",
        f"/admin/staff/{ADMIN[0]}",
        "/account",
        "/status",
    ]
    public = ["/login", "/demande", applicant.link, refused_upload]
    return {"staff": staff, "public": public}


@pytest.fixture(scope="module", params=["fr", "en"])
def admin_browser(request, site, browser: Browser) -> Iterator[Page]:  # noqa: F811 - the fixture imported above, taken by its name
    """The admin (who sees every staff page) in one language."""
    with site.staff_client(ADMIN[0]) as client:
        token = client.cookies.get(cookies.SESSION)
    context = browser.new_context(base_url=site.url, extra_http_headers={"Accept-Language": request.param})
    context.add_cookies([{"name": cookies.SESSION, "value": token, "url": site.url}])
    page = context.new_page()
    yield page
    context.close()


WIDTH_JS = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
WIDEST_JS = """() => Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _overflowing(page: Page, paths: list[str]) -> list[str]:
    """The pages wider than the window, with the first elements that stick out."""
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            response = page.goto(path)
            assert response.status < 500 or path == "/status", path  # /status says 503 while a check fails
            page.wait_for_load_state("load")
            scroll_width, inner_width = page.evaluate(WIDTH_JS)
            if scroll_width > inner_width:
                found.append(f"{width}px {path}: {scroll_width} > {inner_width} {page.evaluate(WIDEST_JS)}")
    return found


def test_no_staff_page_scrolls_sideways(pages, admin_browser):
    assert _overflowing(admin_browser, pages["staff"]) == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_public_page_scrolls_sideways(site, pages, browser, lang):  # noqa: F811 - the fixture imported above, taken by its name
    context = browser.new_context(base_url=site.url, extra_http_headers={"Accept-Language": lang})
    try:
        assert _overflowing(context.new_page(), pages["public"]) == []
    finally:
        context.close()


def test_the_header_fits_a_phone_and_codes_keep_their_hyphen(site, pages, admin_browser):
    admin_browser.set_viewport_size({"width": 390, "height": 900})
    admin_browser.goto("/dashboard")
    header = admin_browser.locator("header.top").bounding_box()
    assert header["x"] >= 0 and header["x"] + header["width"] <= 390
    right = admin_browser.eval_on_selector_all(
        "header.top *", "els => Math.max(...els.map(e => e.getBoundingClientRect().right))"
    )
    assert right <= 390
    # A code is one word: its box is one line high, even in a narrow column.
    file_page = next(p for p in pages["staff"] if re.fullmatch(r"/files/\d+", p))
    admin_browser.goto(file_page)
    heights = admin_browser.eval_on_selector_all(".code", "els => els.map(e => e.getClientRects().length)")
    assert heights and all(lines == 1 for lines in heights)
