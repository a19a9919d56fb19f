"""The provider's files in the portal: sent through the browser by the SFTP reception code, checked by
the real worker, listed with status, counts and amounts, findings shown as on the staff page, filters,
downloads; a response downloaded here is collected as over SFTP."""

from __future__ import annotations

import re

from sqlalchemy import select

from gateway.identifiers import make_provider_code
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import RequestFile
from tests.portal.conftest import kine_request, send
from tests.support import wait_until


def _answered(installation, file_id: int) -> bool:
    with installation.sessions() as session:
        return session.get(RequestFile, file_id).state == "ANSWERED"


def _file_id(answer) -> int:
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(r"/files/(\d+)\?sent=1", answer.headers["location"])
    assert match, answer.headers["location"]
    return int(match.group(1))


def test_a_file_sent_in_the_browser_is_received_checked_listed_and_collected(installation):
    code = make_provider_code("45", 4001)
    installation.add_provider(code)
    with installation.client() as browser:
        installation.log_in(browser, code)
        name, data = kine_request(code, 1)
        file_id = _file_id(send(browser, name, data))
        with installation.sessions() as session:
            row = session.get(RequestFile, file_id)
            assert (row.provider_code, row.name, row.size, row.source) == (code, name, len(data), "sftp")
        waiting = browser.get(f"/files/{file_id}?sent=1")
        assert waiting.status_code == 200 and name in waiting.text
        wait_until(lambda: _answered(installation, file_id), timeout_s=30)
        assert browser.get(f"/files/{file_id}/state.json").json()["answered"] is True
        page = browser.get(f"/files/{file_id}")
        assert "ACCEPTE" in page.text and "/response" in page.text and 'id="waiting"' not in page.text
        listing = browser.get("/files")
        assert name in listing.text and "ACCEPTE" in listing.text
        assert browser.get(f"/files/{file_id}/request").content == data

        outbox = installation.root / "outbox" / code / row.response_name
        assert outbox.is_file()
        response = browser.get(f"/files/{file_id}/response")
        assert response.status_code == 200 and b"<" in response.content
        assert response.headers["content-disposition"].startswith("attachment")
        assert not outbox.exists()  # collected as an SFTP client's deletion does
        with installation.sessions() as session:
            assert session.get(RequestFile, file_id).collected_at is not None
            assert session.scalar(
                select(AuditEvent.id).where(
                    AuditEvent.action == "sftp.delete", AuditEvent.target_id == row.response_name
                )
            )
        again = browser.get(f"/files/{file_id}/response")  # the archived copy
        assert again.status_code == 200 and again.content == response.content
        # the name is free again once collected
        assert send(browser, name, data).status_code == 303


def test_a_rejected_file_shows_its_findings_and_the_filters_find_it(installation):
    code = make_provider_code("45", 4002)
    installation.add_provider(code)
    with installation.client() as browser:
        installation.log_in(browser, code)
        good = _file_id(send(browser, *kine_request(code, 1)))
        bad = _file_id(send(browser, *kine_request(code, 2, total="1.00")))
        wait_until(lambda: _answered(installation, good) and _answered(installation, bad), timeout_s=30)
        with installation.sessions() as session:
            bad_row = session.get(RequestFile, bad)
            codes = sorted({f.code for f in bad_row.findings}) if hasattr(bad_row, "findings") else []
        page = browser.get(f"/files/{bad}")
        assert page.status_code == 200
        finding_codes = re.findall(r'<td class="mono code">([A-Z]{2,4}-\d{3})</td>', page.text)
        assert finding_codes, page.text
        error_code = finding_codes[0]
        assert codes == [] or error_code in codes
        listing = browser.get("/files").text
        assert listing.index(f'/files/{bad}"') < listing.index(f'/files/{good}"')  # newest first
        only_bad = browser.get("/files", params={"error_code": error_code}).text
        assert f'/files/{bad}"' in only_bad and f'/files/{good}"' not in only_bad
        status = bad_row.status
        by_status = browser.get("/files", params={"status": status}).text
        assert f'/files/{bad}"' in by_status and f'/files/{good}"' not in by_status
        assert f'/files/{good}"' not in browser.get("/files", params={"date_to": "2000-01-01"}).text


def test_refusals_are_sftps_and_are_told_at_once(installation):
    code = make_provider_code("45", 4003)
    installation.add_provider(code)
    with installation.client() as browser:
        installation.log_in(browser, code)
        bad_name = send(browser, "my invoice.xml", b"<x/>")
        assert bad_name.status_code == 409 and "SFTP-NAME" in bad_name.text
        assert send(browser, "../escape.xml", b"<x/>").status_code == 409
        name, data = kine_request(code, 1)
        first = _file_id(send(browser, name, data))
        wait_until(lambda: _answered(installation, first), timeout_s=30)  # until then the name is "already there"
        held = send(browser, name, data)
        assert held.status_code == 409 and "SFTP-NAME-HELD" in held.text
        too_large = send(browser, "big.xml", b"<a>" + b"x" * 250_000 + b"</a>")
        assert too_large.status_code == 413 and "SFTP-TOO-LARGE" in too_large.text
    leftovers = [p.name for p in (installation.root / "inbox" / code).iterdir() if p.name.startswith(".upload-")]
    assert leftovers == []


def test_another_providers_file_does_not_exist_here(installation):
    owner, other = make_provider_code("45", 4004), make_provider_code("45", 4005)
    installation.add_provider(owner)
    installation.add_provider(other)
    with installation.client() as browser:
        installation.log_in(browser, owner)
        file_id = _file_id(send(browser, *kine_request(owner, 1)))
    with installation.client() as browser:
        installation.log_in(browser, other)
        for path in (
            f"/files/{file_id}",
            f"/files/{file_id}/request",
            f"/files/{file_id}/response",
            f"/files/{file_id}/state.json",
        ):
            assert browser.get(path).status_code == 404, path
        assert f'/files/{file_id}"' not in browser.get("/files").text
