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
def key(site) -> str:  # noqa: ANN001
    return create_api_key(site.sessions, "api usability", "backoffice", actor="test")


def _get(site, key, path, **params):  # noqa: ANN001, ANN003, ANN202
    with site.client(headers={"Authorization": f"Bearer {key}"}) as client:
        return client.get(path, params=params)


def test_collected_and_deleted_are_apart(site, key, agent_client):
    downloaded = add_file(site, name="KINE_FACT_45001237_20261201093000_000001.xml", status="ACCEPTE")
    deleted = add_file(site, name="KINE_FACT_45001237_20261201093000_000002.xml", status="ACCEPTE")
    at = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
    with site.sessions() as session, session.begin():
        session.execute(update(RequestFile).where(RequestFile.id == downloaded).values(downloaded_at=at))
        session.execute(update(RequestFile).where(RequestFile.id == deleted)
                        .values(downloaded_at=at, collected_at=at + dt.timedelta(hours=1)))
    only_downloaded = _get(site, key, f"/api/v1/files/{downloaded}").json()
    assert only_downloaded["collected_at"].startswith("2026-12-01T10:00") and only_downloaded["deleted_at"] is None
    both = _get(site, key, f"/api/v1/files/{deleted}").json()
    assert both["collected_at"].startswith("2026-12-01T10:00") and both["deleted_at"].startswith("2026-12-01T11:00")
    page = agent_client.get(f"/files/{downloaded}").text
    assert "Réponse téléchargée par le prestataire" in page and "Réponse supprimée de /outbox" in page
