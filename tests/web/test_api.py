"""The REST API against its own OpenAPI document (schemathesis), and its paging and scopes."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from gateway.web.staff import create_api_key
from tests.web.applicant import Applicant
from tests.web.data import FindingSpec, add_file


@pytest.fixture(scope="module")
def keys(site) -> dict[str, str]:
    return {
        "backoffice": create_api_key(site.sessions, "api backoffice", "backoffice", actor="test"),
        "admin": create_api_key(site.sessions, "api admin", "admin", actor="test"),
    }


@pytest.fixture(scope="module")
def seeded(site) -> dict[str, object]:
    """Files with findings and forwarded records, and one submitted application."""
    now = dt.datetime.now(dt.UTC)
    ids = [
        add_file(
            site,
            name=f"KINE_FACT_45001237_20261115093000_{n:06d}.xml",
            status="ACCEPTE",
            forwarded=3,
            received_at=now - dt.timedelta(minutes=n),
            findings=(FindingSpec("DAT-004", "AVERTISSEMENT", 9),),
        )
        for n in range(1, 4)
    ]
    return {"files": ids, "reference": Applicant(site).complete_and_submit()}


def _get(site, key, path, **params):
    with site.client(headers={"Authorization": f"Bearer {key}"}) as client:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_forwarded_records_are_paged_by_cursor_without_gaps_or_repeats(site, keys, seeded):
    seen, after = [], 0
    while True:
        page = _get(site, keys["backoffice"], "/api/v1/forwarded", after=after, limit=4)
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        after = page["next_cursor"]
    assert len(seen) >= 9 and seen == sorted(set(seen))
    first = _get(site, keys["backoffice"], "/api/v1/forwarded", after=0, limit=1)["items"][0]
    assert {
        "provider",
        "convention",
        "file_name",
        "id_fichier",
        "record_id",
        "reference",
        "matricule",
        "amount",
    } <= set(first)


def test_files_with_findings_and_response(site, keys, seeded):
    file_id = seeded["files"][0]
    detail = _get(site, keys["backoffice"], f"/api/v1/files/{file_id}")
    assert detail["status"] == "ACCEPTE" and detail["findings"][0]["code"] == "DAT-004"
    listed = _get(site, keys["backoffice"], "/api/v1/files", error_code="DAT-004", limit=2)
    assert len(listed["items"]) == 2 and listed["next_cursor"] is not None
    with site.client(headers={"Authorization": f"Bearer {keys['backoffice']}"}) as client:
        response = client.get(f"/api/v1/files/{file_id}/response")
    assert response.content == b"<Reponse/>" and response.headers["content-disposition"].startswith("attachment")


def test_applications_with_their_report(site, keys, seeded):
    body = _get(site, keys["backoffice"], f"/api/v1/applications/{seeded['reference']}")
    assert body["application"]["status"] == "TRANSMISE" and body["report"]["verdict"] == "COMPLET"
    listed = _get(site, keys["backoffice"], "/api/v1/applications", status="TRANSMISE")
    assert seeded["reference"] in {a["reference"] for a in listed["items"]}


def test_backoffice_keys_cannot_void(site, keys, seeded):
    with site.client(headers={"Authorization": f"Bearer {keys['backoffice']}"}) as client:
        response = client.post(f"/api/v1/files/{seeded['files'][1]}/void", json={"reason": "test"})
    assert response.status_code == 403 and response.json()["code"] == "WEB-FORBIDDEN"


def test_admin_keys_manage_provider_keys_and_void_files(site, keys, seeded):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    public = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
        + " api-test"
    )
    with site.client(headers={"Authorization": f"Bearer {keys['admin']}"}) as client:
        added = client.post("/api/v1/providers/45001237/keys", json={"public_key": public})
        assert added.status_code == 201, added.text
        (key,) = [k for k in added.json()["keys"] if k["comment"] == "api-test"]
        removed = client.delete("/api/v1/providers/45001237/keys", params={"fingerprint": key["fingerprint"]})
        assert removed.status_code == 200 and not [k for k in removed.json()["keys"] if k["comment"] == "api-test"]
        voided = client.post(f"/api/v1/files/{seeded['files'][2]}/void", json={"reason": "sent twice by mistake"})
        assert voided.status_code == 200 and voided.json()["withdrawn_records"] == 3
        again = client.post(f"/api/v1/files/{seeded['files'][2]}/void", json={"reason": "sent twice by mistake"})
        assert again.status_code == 409 and again.json()["code"] == "EXC-VOID-ALREADY"


def test_api_conforms_to_its_openapi_document(site, keys, seeded):
    """Every operation, with generated parameters and bodies, answers as its schema says.

    Last in the module: with an admin key it voids files and changes keys at random.
    """
    api = schemathesis.openapi.from_url(f"{site.url}/openapi.json")
    headers = {"Authorization": f"Bearer {keys['admin']}"}
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 14
    # /status.json answers 503 on purpose here (no SFTP server runs): test_ops.py covers it.
    operations = [op for op in operations if op.path != "/status.json"]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            # Valid-looking ids of things that do not exist are refused (404), as they should be.
            case.call_and_validate(base_url=site.url, headers=headers, excluded_checks=[positive_data_acceptance])

        check()
