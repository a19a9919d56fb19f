"""Applicant pages: create, fill, upload with immediate verdicts, save, submit, follow up."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from gateway import texts
from gateway.store.models.intake import RateEvent
from tests.web.applicant import Applicant
from tests.web.conftest import csrf_of, new_address
from tests.web.data import COMPLETE_DATA, JPEG, KINDS, pdf


def test_create_gives_a_private_link_that_resumes_the_application(site):
    applicant = Applicant(site)
    response = applicant.create(establishment_name="Ortho Nord")
    assert response.status_code == 303
    assert len(applicant.token) >= 40
    page = applicant.page()
    assert page.status_code == 200
    assert "Ortho Nord" in page.text and "En préparation" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    # Another browser with the link resumes the same application (save and come back later).
    with site.client(address=new_address()) as other:
        assert "Ortho Nord" in other.get(applicant.link).text


def test_save_data_and_see_what_is_still_missing(site):
    applicant = Applicant(site)
    applicant.create()
    assert applicant.post("data", **{**COMPLETE_DATA, "iban": ""}).status_code == 303  # a draft may leave gaps
    page = applicant.page().text
    assert "Ortho Sud" in page
    assert 'id="to-correct"' in page and "IBAN" in page
    assert "aria-invalid" not in page  # a gap in a draft is listed, not marked as an error yet


@pytest.mark.parametrize(
    "name,content,reason,message_fr,message_en",
    [
        pytest.param("scan.pdf", JPEG, "jpeg_refuse", "JPEG", "JPEG", id="jpeg-named-pdf"),
        pytest.param("page.htm", b"<html><body>x</body></html>", "htm_refuse", "HTML", "HTML", id="html-page"),
        pytest.param("empty.pdf", b"", "fichier_vide", "vide", "empty", id="empty"),
    ],
)
def test_refused_upload_is_refused_at_once_with_its_reason(site, name, content, reason, message_fr, message_en):
    applicant = Applicant(site)
    applicant.create()
    page = applicant.upload("rib", name, content)
    result = page.text.split('id="upload-result"')[1].split("</div>")[0]
    # the reason as a word in the page's language; its code stays out of the page
    assert "refusé" in result and texts.label("fr", "reasonlabel", reason) in html.unescape(result)
    assert reason not in result and message_fr.lower() in result.lower()
    english = applicant.client.get(applicant.link, headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert "refused" in english and message_en.lower() in english.lower()


def test_accepted_upload_is_listed_under_its_kind(site):
    applicant = Applicant(site)
    applicant.create()
    page = applicant.upload("fiche_renseignement", "fiche.pdf", pdf("fiche")).text
    assert "accepté" in page.split('id="upload-result"')[1].split("</div>")[0]
    assert "fiche.pdf" in page


def test_submit_then_no_more_changes(site):
    applicant = Applicant(site)
    reference = applicant.complete_and_submit()
    page = applicant.page().text
    assert "Transmise" in page and reference in page
    assert 'action="/suivi/' not in page.replace(f'action="{applicant.link}/withdraw"', "")
    refused = applicant.post("withdraw")  # no confirmation box: refused
    assert refused.status_code == 400


def test_unknown_link_is_not_found(site):
    with site.client() as client:
        assert client.get("/suivi/" + "x" * 43).status_code == 404


def test_the_public_form_is_rate_limited_per_address(site):
    address = new_address()
    with site.client(address=address) as client:
        statuses = []
        for _ in range(site.config.applications_per_hour + 1):
            token = csrf_of(client.get("/demande").text)
            statuses.append(client.post("/demande", data={"csrf_token": token}).status_code)
    assert statuses[:-1] == [303] * site.config.applications_per_hour
    assert statuses[-1] == 429
    with site.client(address=address, headers={"Accept-Language": "en"}) as client:
        token = csrf_of(client.get("/demande").text)
        refused = client.post("/demande", data={"csrf_token": token})
    assert refused.status_code == 429 and "Too many applications or uploads from your address" in refused.text
    with site.sessions() as session:
        assert session.scalars(select(RateEvent).where(RateEvent.address == address)).all()
    # Another address is not affected.
    assert Applicant(site).create().status_code == 303


def test_a_client_cannot_dodge_the_limit_with_its_own_forwarded_header(site):
    """X-Forwarded-For is believed only from a trusted proxy; here the peer is trusted, so
    the rightmost untrusted hop counts, and prepending made-up hops changes nothing."""
    address = new_address()
    statuses = []
    for n in range(site.config.applications_per_hour + 1):
        with site.client(address=f"203.0.113.{n + 1}, {address}") as client:
            token = csrf_of(client.get("/demande").text)
            statuses.append(client.post("/demande", data={"csrf_token": token}).status_code)
    assert statuses[-1] == 429


def test_public_forms_need_the_csrf_token(site):
    with site.client(address=new_address()) as client:
        client.get("/demande")
        assert client.post("/demande", data={"establishment_name": "x"}).status_code == 403


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(site):
    applicant = Applicant(site)
    applicant.create()
    page = applicant.upload("rib", "big.pdf", b"%PDF-1.4\n" + b"0" * site.config.max_document_bytes)
    result = page.text.split('id="upload-result"')[1].split("</div>")[0]
    assert "fichier trop volumineux" in result and "fichier_trop_volumineux" not in result
    (document,) = site.applications.by_followup(applicant.token).documents
    assert not document.kept


def test_a_request_far_over_the_limit_is_refused_before_it_is_read(site):
    applicant = Applicant(site)
    applicant.create()
    response = applicant.upload("rib", "huge.pdf", b"0" * (2 * site.config.max_document_bytes + 2 * 1024 * 1024))
    assert response.status_code == 413
    assert "taille maximale" in response.text
    assert site.applications.by_followup(applicant.token).documents == ()


def test_the_applicant_withdraws_with_confirmation(site):
    applicant = Applicant(site)
    applicant.create()
    assert applicant.post("withdraw", confirm="yes", reason="Plus besoin").status_code == 303
    page = applicant.page().text
    assert "Retirée" in page and 'id="data-form"' not in page


def test_an_upload_of_unknown_length_is_refused(site):
    applicant = Applicant(site)
    applicant.create()

    def chunks():  # a generator body is sent chunked, without Content-Length
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4\r\n--x--\r\n'

    response = applicant.client.post(
        f"{applicant.link}/documents", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert response.status_code == 411


WRONG = {
    **COMPLETE_DATA,
    "contact_email": "jeanne(at)ortho-sud",
    "iban": "LU28 0019 4006 4475 0001",
    "manager_first_name": "",
    "manager_last_name": "",
}


def _described(page: str, input_id: str) -> str:
    """The message an invalid input's aria-describedby points to ('' when the input is valid)."""
    tag = re.search(rf'<(?:input|select) id="{input_id}"[^>]*>', page).group(0)
    if 'aria-invalid="true"' not in tag:
        return ""
    target = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
    return html.unescape(re.search(rf'<p class="field-error" id="{target}">([^<]*)</p>', page).group(1))


def test_wrong_values_are_refused_at_creation_next_to_their_fields_as_typed(site):
    applicant = Applicant(site)
    response = applicant.create(**WRONG)
    assert response.status_code == 422 and applicant.token == ""  # nothing created
    page = response.text
    assert "adresse e-mail valide" in _described(page, "f-email")
    assert "IBAN n'est pas valide" in _described(page, "f-iban")
    assert "prénom et le nom du gérant" in _described(page, "f-first") == _described(page, "f-last")
    assert _described(page, "f-name") == "" and _described(page, "f-postcode") == ""
    assert 'value="jeanne(at)ortho-sud"' in page and 'value="LU28 0019 4006 4475 0001"' in page
    assert 'value="Ortho Sud"' in page and 'href="#err-contact_email"' in page  # the summary links to the field
    english = applicant.client.post(
        "/demande", data={"csrf_token": csrf_of(page), **WRONG}, headers={"Accept-Language": "en"}
    ).text
    assert "valid e-mail address" in _described(english, "f-email")


def test_saving_a_wrong_value_keeps_nothing_and_shows_it_back(site):
    applicant = Applicant(site)
    assert applicant.create(**COMPLETE_DATA).status_code == 303
    response = applicant.post("data", **{**COMPLETE_DATA, "establishment_name": "Ortho Est", "iban": "FR00 123"})
    assert response.status_code == 422
    assert "IBAN" in _described(response.text, "f-iban") and 'value="FR00 123"' in response.text
    view = site.applications.by_followup(applicant.token)
    assert view.data.establishment_name == "Ortho Sud" and view.data.iban == "LU280019400644750000"


def test_an_application_with_open_problems_is_not_sent_nor_acknowledged(site):
    applicant = Applicant(site)
    assert applicant.create(**{**COMPLETE_DATA, "contact_email": "", "iban": ""}).status_code == 303
    for kind in KINDS[:-1]:  # no bank details form
        applicant.upload(kind, f"{kind}.pdf", pdf(kind))
    outgoing = site.root / "outgoing"
    before = sorted(outgoing.glob("*")) if outgoing.exists() else []
    refused = applicant.post("submit")
    assert refused.status_code == 422
    assert site.applications.by_followup(applicant.token).status == "EN_PREPARATION"
    assert "ne peut pas encore être transmise" in refused.text and "Document manquant" in refused.text
    assert _described(refused.text, "f-email") and _described(refused.text, "f-iban")
    assert "Vous serez informé" not in refused.text
    assert (sorted(outgoing.glob("*")) if outgoing.exists() else []) == before  # nobody was told anything

    assert applicant.post("data", **COMPLETE_DATA).status_code == 303
    applicant.upload("rib", "rib.pdf", pdf("rib"))
    sent = applicant.post("submit")
    assert sent.status_code == 303
    page = applicant.client.get(sent.headers["location"]).text
    assert "Vous serez informé de la suite par e-mail à jeanne@ortho-sud.lu" in page


def test_a_wrong_value_received_on_paper_is_marked_when_the_applicant_opens_the_link(site):
    from gateway.intake.status import Channel
    from gateway.intake.validation import ApplicationData

    created = site.applications.create(
        ApplicationData.from_mapping({**COMPLETE_DATA, "iban": "LU00 0000"}), channel=Channel.PAPER, actor="staff:bob"
    )
    reference = created.application.reference
    site.applications.decisions.request_correction(reference, "Vérifiez votre IBAN.", actor="staff:bob")
    with site.client(address=new_address()) as client:
        page = client.get(f"/suivi/{created.followup_token}").text
    assert "IBAN n'est pas valide" in _described(page, "f-iban")
    assert _described(page, "f-email") == ""
