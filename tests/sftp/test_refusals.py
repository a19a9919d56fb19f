"""Refused SFTP operations are recorded in the audit trail, within bounds, and the client
still gets the status message."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from gateway.sftp.refusals import ACTION, REFUSALS, UNRECORDED_ACTION, split_path
from gateway.store.models.audit import AuditEvent
from tests.support import wait_until


def refusals(sessions, action: str = ACTION) -> list[AuditEvent]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_split_path():
    assert split_path("inbox/X.xml") == ("inbox", "X.xml")
    assert split_path("/outbox/Y.xml") == ("outbox", "Y.xml")
    assert split_path("Z.xml") == ("/", "Z.xml")


def test_a_bad_name_is_recorded_with_its_reason_and_the_client_sees_the_message(server, provider, sessions):
    client = server.client(provider)
    with pytest.raises(PermissionError) as refused:
        client.putfo(io.BytesIO(b"<x/>"), "/inbox/bad name.xml", confirm=False)
    assert "name" in str(refused.value).lower(), "the SFTP status text is kept for clients that show it"
    client.close()
    (event,) = wait_until(lambda: refusals(sessions), timeout_s=5)
    assert event.actor == f"provider:{provider.code}" and event.target_id == provider.code
    assert event.address == "127.0.0.1" and event.outcome == "SFTP-NAME"
    assert event.detail["operation"] == "open" and event.detail["folder"] == "inbox"
    assert event.detail["name"] == "bad name.xml" and event.detail["message"]


def test_openssh_refusals_are_recorded(server, provider, sessions, tmp_path):
    local = tmp_path / "LAB_FACT_31000425_20261115093000_000001.xml"
    local.write_bytes(b"<x/>")
    run = server.openssh(provider, f"-mkdir inbox/sub\n-get outbox/NOPE_REP.xml {tmp_path}/n\n-put {local} outbox/\n")
    assert run.returncode == 0, run.stderr
    events = wait_until(lambda: len(refusals(sessions)) >= 3 and refusals(sessions), timeout_s=5)
    seen = {(e.detail["operation"], e.detail["folder"], e.outcome) for e in events}
    assert ("mkdir", "inbox", "SFTP-DENIED") in seen
    assert any(
        op in ("stat", "lstat", "open") and folder == "outbox" and code == "SFTP-NO-SUCH-FILE"
        for op, folder, code in seen
    )
    assert any(op == "open" and folder == "outbox" and code == "SFTP-DENIED" for op, folder, code in seen)
    for event in events:
        assert event.outcome in REFUSALS, "every recorded code has an explanation"


def test_repeats_are_counted_and_a_flood_is_capped(start_server, provider, sessions):
    server = start_server(max_refusals_recorded_per_session=3)
    client = server.client(provider)
    for _ in range(5):  # the same refusal again and again: one record, a count
        with pytest.raises(OSError):
            client.mkdir("/inbox/again")
    for n in range(10):  # distinct refusals: three records, then only a count
        with pytest.raises(OSError):
            client.mkdir(f"/inbox/other{n}")
    client.close()
    client.get_channel().get_transport().close()
    summary = wait_until(lambda: refusals(sessions, UNRECORDED_ACTION), timeout_s=10)
    events = refusals(sessions)
    assert len(events) == 3
    assert events[0].detail["name"] == "again" and events[0].detail["repeats"] == 4
    assert summary[0].detail["count"] == 8 and summary[0].outcome == "capped"


def test_a_lookup_before_an_upload_is_not_a_refusal(server, provider, sessions):
    client = server.client(provider)
    with pytest.raises(FileNotFoundError):
        client.stat("/inbox/LAB_FACT_31000425_20261115093000_000009.xml")
    with pytest.raises(FileNotFoundError):
        client.stat("/outbox/LAB_FACT_31000425_20261115093000_000009_REP.xml")
    client.close()
    events = wait_until(lambda: refusals(sessions), timeout_s=5)
    assert [e.detail["folder"] for e in events] == ["outbox"]


def test_docs_explain_every_refusal():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "sftp.md").read_text()
    for refusal in REFUSALS.values():
        assert f"| `{refusal.code}` | {refusal.status} | {refusal.meaning_en} |" in text
