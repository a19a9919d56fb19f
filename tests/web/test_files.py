"""Request-file pages: filters, paging, detail with highlighted error lines, downloads, void."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import ForwardedRecord, RequestFile
from tests.exchange import samples
from tests.web.conftest import csrf_of
from tests.web.data import LAB, FindingSpec, add_file

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def files(site) -> dict[str, int]:
    """A handful of processed files of two providers on different days."""
    content = samples.build_request()
    line = (
        content.decode()
        .splitlines()
        .index(next(text for text in content.decode().splitlines() if "<Matricule>" in text))
        + 1
    )
    return {
        "rejected": add_file(
            site,
            name="KINE_FACT_45001237_20261115093000_000124.xml",
            status="REJETE",
            content=content,
            findings=(
                FindingSpec(
                    "MAT-004", "ERREUR", line, "/Facturation/Enregistrement[1]/Matricule", "1893120105733", "1"
                ),
            ),
        ),
        "accepted": add_file(
            site,
            name="KINE_FACT_45001237_20261116093000_000125.xml",
            status="ACCEPTE",
            forwarded=2,
            received_at=NOW - dt.timedelta(days=3),
        ),
        "lab": add_file(
            site,
            provider=LAB,
            convention="LAB",
            name="LAB_FACT_31000425_20261101080000_000001.xml",
            status="PARTIELLEMENT_ACCEPTE",
            received_at=NOW - dt.timedelta(days=20),
            findings=(FindingSpec("NOM-001", "ERREUR", 12),),
        ),
        "waiting": add_file(site, name="KINE_FACT_45001237_20261117093000_000126.xml", answered=False),
        "line": line,
    }


def _names(html: str) -> set[str]:
    return set(re.findall(r'<a href="/files/\d+">([^<]+)</a>', html))


@pytest.mark.parametrize(
    "query,expected",
    [
        pytest.param("", {"rejected", "accepted", "lab", "waiting"}, id="all"),
        pytest.param(f"provider={LAB}", {"lab"}, id="provider"),
        pytest.param("convention=KINE&status=ACCEPTE", {"accepted"}, id="convention-and-status"),
        pytest.param("status=RECEIVED", {"waiting"}, id="not-yet-checked"),
        pytest.param("error_code=mat-004", {"rejected"}, id="error-code"),
        pytest.param(
            f"date_from={(NOW - dt.timedelta(days=5)).date()}&date_to={(NOW - dt.timedelta(days=1)).date()}",
            {"accepted"},
            id="dates",
        ),
    ],
)
def test_list_filters(site, files, agent_client, query, expected):
    with site.sessions() as session:
        names = {key: session.get(RequestFile, files[key]).name for key in ("rejected", "accepted", "lab", "waiting")}
    page = agent_client.get(f"/files?{query}")
    assert page.status_code == 200
    assert _names(page.text) == {names[key] for key in expected}


def test_bad_date_is_a_clear_error(site, agent_client):
    response = agent_client.get("/files?date_from=2026-13-45")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.text


def test_paging(site, files, agent_client, monkeypatch):
    from gateway.web import request_files as module

    monkeypatch.setattr(module, "PAGE_SIZE", 2)
    first, second = agent_client.get("/files"), agent_client.get("/files?page=2")
    assert len(_names(first.text)) == 2 and 'rel="next"' in first.text
    assert len(_names(second.text)) == 2 and not _names(first.text) & _names(second.text)


def test_detail_highlights_error_lines_and_links_them(site, files, agent_client):
    page = agent_client.get(f"/files/{files['rejected']}").text
    line = files["line"]
    assert f'<a href="#L{line}">{line}</a>' in page  # errors table -> line
    assert re.search(rf'<span class="line err" id="L{line}">', page)
    assert "MAT-004" in page and "1893120105733" in page
    assert "&lt;Matricule&gt;" in page  # the XML is shown as text, escaped
    assert "&lt;Reponse/&gt;" in page


def test_views_and_downloads_are_audited_and_served_as_attachments(site, files, agent_client):
    file_id = files["rejected"]
    agent_client.get(f"/files/{file_id}")
    download = agent_client.get(f"/files/{file_id}/request")
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.content.startswith(b"<?xml")
    response = agent_client.get(f"/files/{file_id}/response")
    assert response.content == b"<Reponse/>" and response.headers["content-disposition"].startswith("attachment")
    with site.sessions() as session:
        what = [
            e.detail.get("what")
            for e in session.scalars(
                select(AuditEvent).where(
                    AuditEvent.target_type == "request_file",
                    AuditEvent.target_id == str(file_id),
                    AuditEvent.actor == "staff:bob",
                )
            )
        ]
    assert {"detail", "download request", "download response"} <= set(what)


def test_void_needs_confirmation_and_reason_then_withdraws_records(site, files, agent_client):
    file_id = files["accepted"]
    page = agent_client.get(f"/files/{file_id}").text
    assert "Invalider ce fichier" in page and "Annuler ce fichier" not in page  # it voids; it does not cancel
    assert (
        agent_client.post(
            f"/files/{file_id}/void", data={"csrf_token": csrf_of(page), "reason": "jugé à tort"}
        ).status_code
        == 400
    )
    assert (
        agent_client.post(
            f"/files/{file_id}/void", data={"csrf_token": csrf_of(page), "reason": "  ", "confirm": "yes"}
        ).status_code
        == 400
    )
    response = agent_client.post(
        f"/files/{file_id}/void", data={"csrf_token": csrf_of(page), "reason": "jugé à tort", "confirm": "yes"}
    )
    assert response.status_code == 303
    page = agent_client.get(response.headers["location"]).text
    assert "staff:bob" in page and "jugé à tort" in page and 'action="/files/' not in page
    assert "Invalidé par staff:bob" in page
    with site.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "exchange.void", AuditEvent.target_id == str(file_id))
        ).one()
    assert event.actor == "staff:bob" and event.detail["reason"] == "jugé à tort"
    with site.sessions() as session:
        records = session.scalars(select(ForwardedRecord).where(ForwardedRecord.request_file_id == file_id)).all()
        assert records and all(r.withdrawn_at is not None for r in records)
    again = agent_client.post(
        f"/files/{file_id}/void", data={"csrf_token": csrf_of(page), "reason": "encore", "confirm": "yes"}
    )
    assert again.status_code == 409


def test_unknown_file_is_not_found(site, agent_client):
    assert agent_client.get("/files/999999").status_code == 404


def test_messages_of_the_response_are_shown_in_the_page_language(site, agent_client):
    response = (
        '<Reponse xmlns="urn:cns:echange:reponse:1" versionSchema="1.0"><Enregistrements>'
        '<Enregistrement id="1" reference="R" statut="REJETE"><Erreur code="MAT-004" gravite="ERREUR">'
        '<Message langue="fr">Chiffre de contrôle faux.</Message><Message langue="en">Wrong check digit.</Message>'
        "</Erreur></Enregistrement></Enregistrements></Reponse>"
    ).encode()
    file_id = add_file(
        site,
        name="KINE_FACT_45001237_20261115093000_000777.xml",
        response=response,
        findings=(FindingSpec("MAT-004", "ERREUR", 17),),
    )
    assert "Chiffre de contrôle faux." in agent_client.get(f"/files/{file_id}").text
    assert "Wrong check digit." in agent_client.get(f"/files/{file_id}", headers={"Accept-Language": "en"}).text


def test_the_list_names_the_provider_and_shows_the_first_error(site, agent_client):
    response = (
        '<Reponse xmlns="urn:cns:echange:reponse:1" versionSchema="1.0"><Enregistrements>'
        '<Enregistrement id="1" reference="R" statut="REJETE">'
        '<Erreur code="AVT-001" gravite="AVERTISSEMENT"><Message langue="fr">Date ancienne.</Message>'
        '<Message langue="en">Old date.</Message></Erreur>'
        '<Erreur code="MAT-004" gravite="ERREUR"><Message langue="fr">Chiffre de contrôle faux.</Message>'
        '<Message langue="en">Wrong check digit.</Message></Erreur>'
        "</Enregistrement></Enregistrements></Reponse>"
    ).encode()
    file_id = add_file(
        site,
        name="KINE_FACT_45001237_20261115093000_000778.xml",
        response=response,
        findings=(FindingSpec("AVT-001", "AVERTISSEMENT", 9), FindingSpec("MAT-004", "ERREUR", 17)),
    )
    row = agent_client.get("/files?name=000778").text.split(f'href="/files/{file_id}"')[1].split("</tr>")[0]
    assert "Kiné &lt;Centre&gt; &amp; Co" in row  # the provider's name, its code beside it
    assert f'<a class="code" href="/files/{file_id}#L17">MAT-004</a>' in row  # the first error, not the warning
    assert "Chiffre de contrôle faux." in row and "Date ancienne" not in row
    english = agent_client.get("/files?name=000778", headers={"Accept-Language": "en"}).text
    assert "Wrong check digit." in english


def test_files_refused_before_their_convention_was_known_have_a_label(site, agent_client):
    file_id = add_file(
        site, name="facture novembre.xml", status="REJETE", convention="", findings=(FindingSpec("FIC-001", "FATAL"),)
    )
    dashboard = agent_client.get("/dashboard").text
    rows = re.findall(r"<tr><td>([^<]*)</td><td><a href=\"([^\"]+)\"><span class=\"status s-REJETE\">", dashboard)
    (link,) = [href.replace("&amp;", "&") for label, href in rows if label == "Non déterminée"]
    assert "—" not in [label for label, _ in rows]
    assert _names(agent_client.get(link).text) == {"facture novembre.xml"}
    assert "<dd>Non déterminée</dd>" in agent_client.get(f"/files/{file_id}").text
    assert "<td>Not determined</td>" in agent_client.get("/dashboard", headers={"Accept-Language": "en"}).text
