"""The intake report of spec/intake.md section 5: value, JSON, HTML fragment, PDF."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from gateway.intake.rendering import render_html, render_pdf
from gateway.intake.report import KindState, ReportVerdict, ScanState
from gateway.intake.requirements import DocumentKind as K
from tests.intake.applications.conftest import complete_application, pdf_for, valid_data
from tests.intake.documents.samples import attachment_pdf, jpeg_bytes


def states(report) -> dict[str, KindState]:
    return {k.kind: k.state for k in report.kinds}


def test_complete_application(service):
    report = service.report(complete_application(service))
    assert report.verdict is ReportVerdict.COMPLET and report.complete
    assert set(states(report).values()) == {KindState.PRESENT}
    assert report.to_correct == ()
    assert report.malware_scan is ScanState.NONE  # no scanner configured here
    assert all(c.ok for c in report.data_checks)
    assert {c.field for c in report.data_checks} >= {"iban", "postcode", "register_number", "manager_matricule"}


def test_missing_refused_and_data_problems_are_listed_in_both_languages(service):
    reference = service.create(valid_data(iban="LU29 0019 4006 4475 0000"), actor="applicant").application.reference
    for kind in (K.FICHE_RENSEIGNEMENT, K.PIECE_IDENTITE_GERANT, K.AUTORISATION_ETABLISSEMENT, K.ROLE_ARTISANAL):
        service.attach_document(reference, data=pdf_for(kind), name=f"{kind}.pdf", kind=str(kind), actor="applicant")
    service.attach_document(reference, data=jpeg_bytes(), name="rib.jpg", kind="rib", actor="applicant")
    report = service.report(reference)
    assert report.verdict is ReportVerdict.INCOMPLET
    assert states(report)["rib"] is KindState.REFUSE
    assert states(report)["statuts"] is KindState.MANQUANT
    (rib,) = [k for k in report.kinds if k.kind == "rib"]
    assert rib.refusals[0][:2] == ("rib.jpg", "jpeg_refuse")
    codes = [c.code for c in report.to_correct]
    assert codes == ["document_manquant:statuts", "document_refuse:rib", "iban_invalide"]
    assert "JPEG" in report.to_correct[1].message_en and "rib.jpg" in report.to_correct[1].message_fr
    assert "Missing document" in report.to_correct[0].message_en
    assert "Document manquant" in report.to_correct[0].message_fr


def test_sole_proprietorship_is_complete_without_statuts(service):
    reference = complete_application(service, valid_data(legal_form="ENTREPRISE_INDIVIDUELLE", register_number=""))
    report = service.report(reference)
    assert report.complete and "statuts" not in states(report)


def test_accepted_file_wins_over_earlier_refused_one(service):
    reference = complete_application(service, submit=False)
    service.attach_document(reference, data=jpeg_bytes(), name="rib.pdf", kind="rib", actor="applicant")
    report = service.report(reference)
    assert report.complete and states(report)["rib"] is KindState.PRESENT
    assert [f.reason for f in report.files if f.kind == "rib"] == [None, "jpeg_refuse"]


def test_every_file_is_described(service):
    reference = service.create(valid_data(), actor="applicant").application.reference
    service.attach_document(reference, data=attachment_pdf(), name="statuts", kind="statuts", actor="applicant")
    (f,) = service.report(reference).files
    assert f.display_name == "statuts" and f.size == len(attachment_pdf()) and len(f.sha256) == 64
    assert f.detected_type and f.page_count == 1 and f.pdf_version and f.producer is not None
    assert set(f.flags) == {"pdf_fichier_joint", "extension_trompeuse"} and f.verdict == "accepted"


def test_json_is_complete_and_parseable(service):
    reference = complete_application(service)
    data = json.loads(service.report(reference).to_json())
    assert data["verdict"] == "COMPLET" and data["reference"] == reference
    assert len(data["files"]) == 6 and data["malware_scan"] == "none"
    assert {
        "display_name",
        "size",
        "sha256",
        "detected_type",
        "page_count",
        "pdf_version",
        "producer",
        "flags",
        "verdict",
        "reason",
    } <= set(data["files"][0])


@pytest.mark.parametrize(
    "lang, words",
    [
        pytest.param("fr", ("Rapport d'instruction", "n'ont pas été analysés"), id="fr"),
        pytest.param("en", ("Intake report", "were not scanned"), id="en"),
    ],
)
def test_html_fragment(service, lang, words):
    reference = complete_application(service, valid_data(establishment_name="<script>alert(1)</script>"))
    html = render_html(service.report(reference), lang=lang, document_url="/applications/documents/{id}")
    assert html.lstrip().startswith("<section") and html.rstrip().endswith("</section>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert all(w.replace("'", "&#39;") in html or w in html for w in words)
    assert 'href="/applications/documents/' in html


def test_printable_pdf(service):
    reference = complete_application(service)
    service.decisions.approve(reference, actor="staff:m")
    pdf = render_pdf(service.report(reference))
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert reference in text and "Verdict : Complète" in text and "63000012" in text
    assert "Orthopédie Dupont" in text


@pytest.mark.parametrize(
    "utc, shown",
    [
        pytest.param("2026-12-03T06:57:00+00:00", "2026-12-03 07:57 (Europe/Luxembourg)", id="winter-utc+1"),
        pytest.param("2026-07-01T22:30:00+00:00", "2026-07-02 00:30 (Europe/Luxembourg)", id="summer-next-day"),
    ],
)
def test_the_report_gives_its_time_in_the_configured_zone_and_names_it(service, utc, shown):
    import dataclasses
    import datetime as dt

    reference = complete_application(service)
    report = dataclasses.replace(service.report(reference), generated_at=dt.datetime.fromisoformat(utc))
    html = render_html(report, lang="fr", timezone="Europe/Luxembourg")
    assert f"<dd>{shown}</dd>" in html and "UTC" not in html
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(report, timezone="Europe/Luxembourg"))).pages
    )
    assert shown in text and "UTC" not in text
