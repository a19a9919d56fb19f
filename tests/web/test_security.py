"""Escaping everywhere (file names, XML content, applicant fields, document names), headers,
and the client address behind a proxy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.store.models.audit import AuditEvent
from gateway.web.security import PAGE_CSP, TrustedProxies
from tests.web.applicant import Applicant
from tests.web.conftest import AGENT, csrf_of, log_in, new_address
from tests.web.data import FindingSpec, add_file, pdf

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def _no_raw_markup(html: str) -> None:
    assert SCRIPT not in html and IMG not in html and "<script" not in html.lower()


def test_xml_content_and_finding_values_are_escaped(site, agent_client):
    hostile = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Facturation>\n<!-- ' + SCRIPT.encode() + b" -->\n"
        b"<x>" + IMG.replace("<", "&lt;").encode() + b"</x>\n</Facturation>\n"
    )
    file_id = add_file(
        site,
        name="KINE_FACT_45001237_20261119093000_000501.xml",
        content=hostile,
        findings=(FindingSpec("XSD-001", "FATAL", 3, "/Facturation/x", IMG),),
        response=f"<Reponse><Valeur>{SCRIPT}</Valeur></Reponse>".encode(),
    )
    page = agent_client.get(f"/files/{file_id}").text
    _no_raw_markup(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("name", ["KINE_FACT_x.xml", "a..b-c_d.xml"])
def test_odd_but_legal_file_names_are_shown_as_text(site, agent_client, name):
    file_id = add_file(site, name=name)
    page = agent_client.get(f"/files/{file_id}").text
    assert f'<h1 class="mono">{name}</h1>' in page


def test_provider_names_are_escaped(site, agent_client):
    add_file(site, name="KINE_FACT_45001237_20261119093000_000502.xml")  # creates "Kiné <Centre> & Co"
    page = agent_client.get("/providers").text
    assert "Kiné &lt;Centre&gt; &amp; Co" in page


def test_application_fields_and_document_names_are_escaped(site, agent_client):
    applicant = Applicant(site)
    refused = applicant.create(establishment_name=SCRIPT, contact_email=f"x{SCRIPT}@example.lu")
    assert refused.status_code == 422  # not an address: shown back, as typed, escaped
    _no_raw_markup(refused.text)
    assert "x&lt;script&gt;alert(1)&lt;/script&gt;@example.lu" in refused.text
    applicant.create(establishment_name=SCRIPT, locality=IMG, contact_email="x@example.lu")
    page = applicant.upload("rib", f"{IMG}.pdf", pdf("rib")).text
    _no_raw_markup(page)
    staff_pages = [agent_client.get("/applications?status=EN_PREPARATION").text]
    reference = staff_pages[0].split('href="/applications/DEM-')[1].split('"')[0]
    staff_pages.append(agent_client.get(f"/applications/DEM-{reference}").text)
    for html in staff_pages:
        _no_raw_markup(html)
    assert "&lt;script&gt;" in staff_pages[1]


def test_every_page_carries_a_strict_csp_and_no_sniffing(site, agent_client):
    for path in ("/dashboard", "/files", "/login", "/demande", "/status"):
        response = agent_client.get(path)
        assert response.headers["content-security-policy"] == PAGE_CSP
        assert "script-src" not in PAGE_CSP and "default-src 'none'" in PAGE_CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "peer,forwarded,expected",
    [
        pytest.param("10.0.0.5", "203.0.113.7", "203.0.113.7", id="trusted-proxy"),
        pytest.param("192.0.2.1", "203.0.113.7", "192.0.2.1", id="untrusted-peer-ignored"),
        pytest.param("10.0.0.5", "6.6.6.6, 203.0.113.7", "203.0.113.7", id="client-prepends-a-fake-hop"),
        pytest.param("10.0.0.5", "203.0.113.7, 10.0.0.9", "203.0.113.7", id="two-proxies"),
        pytest.param("10.0.0.5", "not-an-address", "10.0.0.5", id="garbage"),
        pytest.param("10.0.0.5", None, "10.0.0.5", id="no-header"),
    ],
)
def test_client_address_behind_proxies(peer, forwarded, expected):
    assert TrustedProxies(["10.0.0.0/8"]).client_address(peer, forwarded) == expected


def test_audit_trail_records_the_forwarded_address_of_a_trusted_proxy(site):
    address = new_address()
    with site.client(address=address) as client:
        assert log_in(client, *AGENT).status_code == 303
    with site.sessions() as session:
        addresses = session.scalars(select(AuditEvent.address).where(AuditEvent.action == "staff.login")).all()
    assert address in addresses


def test_session_cookie_is_secure_and_host_bound_behind_tls(site):
    # The client speaks plain HTTP to the "proxy" here, so its jar would keep Secure cookies
    # to itself: the CSRF cookie is handed back by hand, as a browser on HTTPS would.
    with site.client(headers={"X-Forwarded-Proto": "https"}) as client:
        form = client.get("/login")
        csrf_cookie = next(c for c in form.headers.get_list("set-cookie") if c.startswith("__Host-gw_csrf="))
        assert "Secure" in csrf_cookie and "Domain" not in csrf_cookie and "Path=/" in csrf_cookie
        client.cookies.clear()
        response = client.post(
            "/login",
            data={"login": AGENT[0], "password": AGENT[1], "csrf_token": csrf_of(form.text)},
            headers={"Cookie": csrf_cookie.split(";")[0]},
        )
    cookie = next(c for c in response.headers.get_list("set-cookie") if "gw_session=" in c)
    assert cookie.startswith("__Host-gw_session=") and "Secure" in cookie and "HttpOnly" in cookie
