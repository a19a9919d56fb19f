"""Staff review of applications: queue, report, previews, audited document views, decisions."""

from __future__ import annotations

import re

from sqlalchemy import select

from gateway.store.models.audit import AuditEvent
from tests.web.applicant import Applicant, received_on_paper
from tests.web.conftest import csrf_of
from tests.web.data import JPEG


def _doc_links(html: str, reference: str) -> list[str]:
    return re.findall(rf'src="(/applications/{reference}/documents/\d+)/thumbnail.png"', html)


def test_queue_lists_submitted_applications(site, agent_client):
    reference = Applicant(site).complete_and_submit()
    page = agent_client.get("/applications?status=TRANSMISE")
    assert page.status_code == 200 and f'href="/applications/{reference}"' in page.text
    assert f'href="/applications/{reference}"' not in agent_client.get("/applications?status=CLOTUREE").text


def test_detail_shows_report_previews_and_serves_documents_safely(site, agent_client):
    applicant = Applicant(site)
    reference = applicant.complete_and_submit()
    page = agent_client.get(f"/applications/{reference}")
    assert page.status_code == 200
    assert 'id="verdict">Complète' in page.text
    links = _doc_links(page.text, reference)
    assert len(links) == 6
    thumbnail = agent_client.get(f"{links[0]}/thumbnail.png")
    assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\x89PNG\r\n\x1a\n")
    document = agent_client.get(links[0])
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["x-content-type-options"] == "nosniff"
    assert document.headers["content-security-policy"].startswith("sandbox")
    assert document.headers["content-disposition"].startswith("inline")
    assert document.content.startswith(b"%PDF-")


def test_every_document_view_is_audited(site, agent_client):
    reference = Applicant(site).complete_and_submit()
    links = _doc_links(agent_client.get(f"/applications/{reference}").text, reference)
    doc_id = links[0].rsplit("/", 1)[1]

    def views() -> int:
        with site.sessions() as session:
            return len(
                session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action == "intake.document.view",
                        AuditEvent.target_id == doc_id,
                        AuditEvent.actor == "staff:bob",
                    )
                ).all()
            )

    before = views()
    agent_client.get(links[0])
    agent_client.get(f"{links[0]}/thumbnail.png")
    assert views() == before + 2


def test_refused_files_are_only_downloaded_never_rendered(site, agent_client):
    reference = received_on_paper(site, (("rib", "photo.pdf", JPEG),))
    page = agent_client.get(f"/applications/{reference}").text
    assert _doc_links(page, reference) == []  # no preview of a refused file
    link = re.search(rf'href="(/applications/{reference}/documents/\d+)" download', page).group(1)
    response = agent_client.get(link)
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    assert agent_client.get(f"{link}/thumbnail.png").status_code == 400


def test_correction_then_resubmission_then_approval_shows_the_code(site, agent_client):
    applicant = Applicant(site)
    reference = applicant.complete_and_submit()
    page = agent_client.get(f"/applications/{reference}").text
    without = agent_client.post(
        f"/applications/{reference}/correction", data={"csrf_token": csrf_of(page), "message": "Le RIB est illisible."}
    )
    assert without.status_code == 400  # the confirmation box was not ticked
    asked = agent_client.post(
        f"/applications/{reference}/correction",
        data={"csrf_token": csrf_of(page), "message": "Le RIB est illisible.", "confirm": "yes"},
    )
    assert asked.status_code == 303
    follow = applicant.page().text
    assert "À corriger" in follow and "Le RIB est illisible." in follow
    assert applicant.upload("rib", "rib-net.pdf", b"%PDF-1.4 broken").status_code == 200
    assert applicant.post("submit").status_code == 303
    page = agent_client.get(f"/applications/{reference}").text
    approved = agent_client.post(
        f"/applications/{reference}/approve", data={"csrf_token": csrf_of(page), "confirm": "yes"}
    )
    assert approved.status_code == 303
    page = agent_client.get(approved.headers["location"]).text
    code = re.search(r'id="allocated-code">[^<]*<strong class="mono">(63\d{6})<', page).group(1)
    assert code in applicant.page().text
    history = page.split(">Historique des statuts<")[1]
    # who and which statuses, as words (agent bob is "personnel bob" in French)
    assert "personnel bob" in history and "À corriger" in history and "Code attribué" in history
    assert "staff:bob" not in history and "A_CORRIGER" not in history and "CODE_ATTRIBUE" not in history


def test_incomplete_applications_cannot_be_approved(site, agent_client):
    reference = received_on_paper(site)
    page = agent_client.get(f"/applications/{reference}").text
    assert 'id="verdict">Incomplète' in page
    response = agent_client.post(
        f"/applications/{reference}/approve", data={"csrf_token": csrf_of(page), "confirm": "yes"}
    )
    assert response.status_code == 409 and "INT-INCOMPLET" in response.text


def test_refusal_is_recorded_with_who_and_why(site, agent_client):
    applicant = Applicant(site)
    reference = applicant.complete_and_submit()
    page = agent_client.get(f"/applications/{reference}").text
    response = agent_client.post(
        f"/applications/{reference}/refuse",
        data={"csrf_token": csrf_of(page), "reason": "Pas d'autorisation valable.", "confirm": "yes"},
    )
    assert response.status_code == 303
    assert "Pas d&#39;autorisation valable." in applicant.page().text
    detail = site.applications.get(reference)
    assert detail.history[-1].actor == "staff:bob" and detail.history[-1].reason == "Pas d'autorisation valable."


def test_report_downloads(site, agent_client):
    reference = Applicant(site).complete_and_submit()
    as_json = agent_client.get(f"/applications/{reference}/report.json")
    assert as_json.json()["verdict"] == "COMPLET"
    as_pdf = agent_client.get(f"/applications/{reference}/report.pdf")
    assert as_pdf.content.startswith(b"%PDF-") and "attachment" in as_pdf.headers["content-disposition"]


def test_staff_enter_a_paper_application_and_add_scans(site, agent_client):
    from tests.web.data import COMPLETE_DATA, KINDS, pdf

    page = agent_client.get("/applications/new").text
    created = agent_client.post("/applications/new", data={"csrf_token": csrf_of(page), **COMPLETE_DATA})
    assert created.status_code == 303
    reference = re.search(r"DEM-\d{4}-\d{6}", created.headers["location"]).group(0)
    for kind in KINDS:
        page = agent_client.get(f"/applications/{reference}").text
        added = agent_client.post(
            f"/applications/{reference}/documents",
            data={"csrf_token": csrf_of(page), "kind": kind},
            files={"file": (f"scan-{kind}.pdf", pdf(kind), "application/pdf")},
        )
        assert added.status_code == 303
    view = site.applications.get(reference)
    assert view.channel == "paper" and view.status == "TRANSMISE"
    assert site.applications.report(reference).complete
    assert {d.received_by for d in view.documents} == {"staff:bob"}


def test_staff_issue_a_new_link_shown_once_and_revoke_them_all(site, agent_client):
    applicant = Applicant(site)
    reference = applicant.complete_and_submit()
    page = agent_client.get(f"/applications/{reference}").text
    issued = agent_client.post(f"/applications/{reference}/followup/new", data={"csrf_token": csrf_of(page)})
    link = re.search(r'id="followup-link">([^<]+)<', issued.text).group(1)
    assert link not in agent_client.get(f"/applications/{reference}").text  # shown once
    with site.client() as other:
        assert other.get(link).status_code == 200
        revoked = agent_client.post(f"/applications/{reference}/followup/revoke", data={"csrf_token": csrf_of(page)})
        assert revoked.status_code == 303
        assert other.get(link).status_code == 404
    assert applicant.page().status_code == 404


def test_the_report_and_the_page_give_times_in_one_named_zone(site, agent_client):
    import datetime as dt

    reference = received_on_paper(site)
    page = agent_client.get(f"/applications/{reference}").text
    assert "Heures affichées dans le fuseau Europe/Luxembourg." in page
    generated = re.search(r"<dd>(\d{4}-\d\d-\d\d \d\d:\d\d) \(Europe/Luxembourg\)</dd>", page).group(1)
    opened = re.search(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d):\d\d</td><td>[^<]*bob</td>", page).group(1)
    # Both in the same zone: minutes apart at most, never the zone's hour(s) of offset.
    apart = dt.datetime.fromisoformat(generated) - dt.datetime.fromisoformat(opened)
    assert dt.timedelta(0) <= apart <= dt.timedelta(minutes=5)
    assert "UTC" not in page.split('class="report"')[1].split("</section>")[0]


def test_staff_are_not_told_the_applicant_was_warned_when_no_message_could_go(site, agent_client):
    reference = received_on_paper(site, establishment_name="Sans courriel", contact_email="pas une adresse")
    page = agent_client.get(f"/applications/{reference}").text
    asked = agent_client.post(
        f"/applications/{reference}/correction",
        data={"csrf_token": csrf_of(page), "message": "Envoyez le RIB.", "confirm": "yes"},
    )
    import html

    page = html.unescape(agent_client.get(asked.headers["location"]).text)
    assert "aucun message n'a pu partir" in page and "le demandeur a été prévenu" not in page
