"""/healthz, /status, /metrics and the dashboard's figures and charts."""

from __future__ import annotations

import datetime as dt
import socket
from xml.etree import ElementTree

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.web.conftest import start_site
from tests.web.data import FindingSpec, add_file

NOW = dt.datetime.now(dt.UTC)


def _metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def test_healthz_needs_no_login(site):
    with site.client() as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_status_reports_each_check_and_fails_without_sftp(site):
    with site.client() as client:
        response = client.get("/status.json")
    checks = {c["name"]: c["result"] for c in response.json()["checks"]}
    assert checks["database"] == "ok" and checks["migrations"] == "ok"
    assert checks["folder inbox"] == "ok" and checks["folder outbox"] == "ok"
    assert checks["sftp"] == "fail"  # nothing listens on port 1
    assert checks["sftp sessions"] == "ok"
    assert response.status_code == 503 and response.json()["status"] == "fail"


def test_status_is_ok_when_everything_answers(tmp_path, module_database_url):
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        site, service = start_site(tmp_path, module_database_url, sftp_port=listener.getsockname()[1])
        try:
            with site.client() as client:
                response = client.get("/status.json")
                page = client.get("/status", headers={"Accept": "text/html"})
        finally:
            service.stop()
            site.engine.dispose()
    finally:
        listener.close()
    assert response.status_code == 200, response.json()
    assert page.status_code == 200 and "OK" in page.text


def test_status_fails_when_a_folder_cannot_be_written(tmp_path, module_database_url):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox should be")
    site, service = start_site(tmp_path / "site", module_database_url, outbox=blocker)
    try:
        with site.client() as client:
            checks = {c["name"]: c for c in client.get("/status.json").json()["checks"]}
    finally:
        service.stop()
        site.engine.dispose()
    assert checks["folder outbox"]["result"] == "fail"
    assert checks["folder inbox"]["result"] == "ok"


def test_metrics_include_queue_age_and_free_space_computed_at_scrape(site):
    with site.client() as client:
        add_file(
            site,
            name="KINE_FACT_45001237_20261117093000_000301.xml",
            answered=False,
            received_at=NOW - dt.timedelta(minutes=10),
        )
        text = client.get("/metrics").text
    age = _metric(text, "gateway_oldest_unanswered_file_age_seconds")
    assert age is not None and age >= 600
    assert _metric(text, "gateway_spool_free_bytes", spool="inbox") > 0


def test_dashboard_counts_and_charts(site, agent_client):
    add_file(
        site,
        name="KINE_FACT_45001237_20261118093000_000401.xml",
        status="REJETE",
        findings=(FindingSpec("ENT-004", "FATAL", 4),),
    )
    add_file(
        site,
        name="KINE_FACT_45001237_20261118093000_000402.xml",
        status="ACCEPTE",
        received_at=NOW - dt.timedelta(days=2),
    )
    page = agent_client.get("/dashboard")
    assert page.status_code == 200
    assert 'href="/files?error_code=ENT-004"' in page.text
    assert "Rejeté" in page.text and "Accepté" in page.text
    files_chart = agent_client.get("/dashboard/files-per-day.svg")
    assert files_chart.headers["content-type"].startswith("image/svg+xml")
    svg = ElementTree.fromstring(files_chart.content)
    bars = svg.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) == 30 and any(float(b.get("height")) > 0 for b in bars)
    rate = ElementTree.fromstring(agent_client.get("/dashboard/rejection-rate.svg").content)
    assert rate.findall("{http://www.w3.org/2000/svg}circle")


@pytest.mark.parametrize(
    "header,cookie,expected",
    [
        pytest.param("en-US,en;q=0.9", None, "Staff login", id="accept-language-en"),
        pytest.param("de-DE,fr;q=0.5", None, "Connexion du personnel", id="fallback-fr"),
        pytest.param("en", "fr", "Connexion du personnel", id="cookie-wins"),
    ],
)
def test_language_negotiation(site, header, cookie, expected):
    with site.client() as client:
        if cookie:
            client.cookies.set("lang", cookie)
        page = client.get("/login", headers={"Accept-Language": header})
    assert expected in page.text


def test_language_switch_sets_a_cookie_and_returns(site):
    with site.client() as client:
        response = client.get("/lang/en?next=/login")
        assert response.headers["location"] == "/login"
        assert "Staff login" in client.get("/login").text
