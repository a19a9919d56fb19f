"""The API and pages as a back-office developer and staff read them: collected apart from
deleted, paging explained, unknown filter values refused, findings with their messages, the
interactive documentation served from the gateway itself."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from gateway.store.models.exchange import RequestFile
from gateway.web.staff import create_api_key
from tests.web.data import FindingSpec, add_file


@pytest.fixture(scope="module")
def key(site) -> str:
    return create_api_key(site.sessions, "api usability", "backoffice", actor="test")


def _get(site, key, path, **params):
    with site.client(headers={"Authorization": f"Bearer {key}"}) as client:
        return client.get(path, params=params)


def test_collected_and_deleted_are_apart(site, key, agent_client):
    downloaded = add_file(site, name="KINE_FACT_45001237_20261201093000_000001.xml", status="ACCEPTE")
    deleted = add_file(site, name="KINE_FACT_45001237_20261201093000_000002.xml", status="ACCEPTE")
    at = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    with site.sessions() as session, session.begin():
        session.execute(update(RequestFile).where(RequestFile.id == downloaded).values(downloaded_at=at))
        session.execute(
            update(RequestFile)
            .where(RequestFile.id == deleted)
            .values(downloaded_at=at, collected_at=at + dt.timedelta(hours=1))
        )
    only_downloaded = _get(site, key, f"/api/v1/files/{downloaded}").json()
    assert only_downloaded["collected_at"].startswith("2026-12-01T10:00") and only_downloaded["deleted_at"] is None
    both = _get(site, key, f"/api/v1/files/{deleted}").json()
    assert both["collected_at"].startswith("2026-12-01T10:00") and both["deleted_at"].startswith("2026-12-01T11:00")
    page = agent_client.get(f"/files/{downloaded}").text
    assert "Réponse téléchargée par le prestataire" in page and "Réponse supprimée de /outbox" in page


def test_worker_ids_are_shown_as_a_person_can_use_them(site, agent_client):
    from gateway.store import audit
    from gateway.store.db import transaction
    from gateway.web.templating import worker_label

    assert worker_label("vm:14510:0bc9487e:2", "en") == "checker 2 of process 14510 on machine vm"
    assert worker_label("vm:14510:0bc9487e", "fr") == "processus 14510 sur la machine vm"
    assert worker_label("SHA256:abc", "en") == "SHA256:abc", "other values are left alone"
    file_id = add_file(site, name="KINE_FACT_45001237_20261201093000_000003.xml", status="ACCEPTE")
    with site.sessions() as session, session.begin():
        session.execute(
            update(RequestFile)
            .where(RequestFile.id == file_id)
            .values(claimed_by="vm:14510:0bc9487e:1", claimed_at=dt.datetime.now(dt.UTC))
        )
    with transaction(site.sessions) as session:
        audit.record(
            session,
            actor="system",
            action="test.worker",
            target_type="request_file",
            target_id=str(file_id),
            node="vm:14510:0bc9487e",
        )
    page = agent_client.get(f"/files/{file_id}").text
    assert "vm:14510" not in page and "contrôleur 1 du processus 14510 sur la machine vm" in page
    audit_page = agent_client.get("/audit", params={"action": "test.worker"}).text
    assert "vm:14510" not in audit_page and "processus 14510 sur la machine vm" in audit_page


def test_unknown_filter_values_answer_422(site, key):
    add_file(site, name="KINE_FACT_45001237_20261201093000_000004.xml", status="ACCEPTE")
    for params in (
        {"status": "ACCEPTED"},
        {"convention": "PHYSIO"},
        {"error_code": "MAT-999"},
        {"provider": "99999999"},
    ):
        response = _get(site, key, "/api/v1/files", **params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "WEB-FILTER" and response.json()["message"]
    assert _get(site, key, "/api/v1/applications", status="DONE").status_code == 422
    # known values, in any case, still answer (possibly an empty list)
    assert _get(site, key, "/api/v1/files", status="accepte", convention="kine").status_code == 200
    assert _get(site, key, "/api/v1/files", error_code="mat-002").json()["items"] == []


def test_lists_say_how_to_page(site, key):
    for n in range(5, 8):
        add_file(site, name=f"KINE_FACT_45001237_20261201093000_{n:06d}.xml", status="REJETE")
    seen, path = [], "/api/v1/files?status=REJETE&limit=2"
    while path:
        with site.client(headers={"Authorization": f"Bearer {key}"}) as client:
            page = client.get(path).json()
        seen += [item["id"] for item in page["items"]]
        assert all(item["status"] == "REJETE" for item in page["items"])
        path = page["next"]
        if path:
            assert "status=REJETE" in path and f"after={page['next_cursor']}" in path
    assert len(seen) >= 3 and seen == sorted(set(seen))
    spec = _get(site, key, "/openapi.json").json()
    for route in ("/api/v1/files", "/api/v1/forwarded", "/api/v1/applications"):
        assert "Paging:" in spec["paths"][route]["get"]["description"]


def test_findings_in_the_api_carry_their_messages(site, key):
    from gateway.web.request_files import RESPONSE_NS

    ns = RESPONSE_NS.strip("{}")
    response = (
        f'<Reponse xmlns="{ns}"><Erreur code="DAT-004"><Message langue="fr">Date tardive</Message>'
        f'<Message langue="en">Late date</Message></Erreur></Reponse>'
    ).encode()
    file_id = add_file(
        site,
        name="KINE_FACT_45001237_20261201093000_000009.xml",
        status="REJETE",
        findings=(FindingSpec("DAT-004", "AVERTISSEMENT", 9),),
        response=response,
    )
    body = _get(site, key, f"/api/v1/files/{file_id}").json()
    (only,) = body["findings"]
    assert only["code"] == "DAT-004"
    assert (only["message_fr"], only["message_en"]) == ("Date tardive", "Late date")
