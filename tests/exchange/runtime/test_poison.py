"""A file that keeps failing gets SYS-001 after exchange.max_attempts, staff are alerted, its provider goes on.

The checks are made to raise for real with the raising fault point ``in_checks``
(``GATEWAY_FAULT``, gateway/exchange/faults.py); the crash loop kills the real ``gateway serve``
process while it checks, again and again.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from gateway.clock import utcnow
from gateway.exchange import faults
from gateway.exchange.runtime.claims import release
from gateway.exchange.runtime.reception import response_name_for
from gateway.store.models.audit import AuditEvent
from gateway.store.models.exchange import FileState, ForwardedRecord, RequestFinding
from tests.exchange.checks.conftest import validate_response
from tests.exchange.runtime.conftest import KINE, claim, process_all, request
from tests.support import GATEWAY, clean_env, wait_until
from tests.web.conftest import start_site

R = "{urn:cns:echange:reponse:1}"
POISON_ID = "00000000-0000-4000-8000-00000000d00d"
AGAIN = "KINE_FACT_45001237_20261115093001_000001.xml"


@pytest.fixture
def injected(monkeypatch):
    """arm(spec): sets GATEWAY_FAULT in this process; disarmed after the test."""

    def arm(spec: str) -> None:
        monkeypatch.setenv(faults.ENV, spec)
        faults.rearm()

    yield arm
    monkeypatch.delenv(faults.ENV, raising=False)
    faults.rearm()


def errors_of(response: bytes) -> list[tuple[str, str]]:
    root = validate_response(response)
    return [(e.get("code"), e.get("gravite")) for e in root.iter(f"{R}Erreur")]


def status_of(response: bytes) -> str:
    return validate_response(response).findtext(f"{R}Statut")


def failures(action: str) -> float:
    return REGISTRY.get_sample_value("gateway_processing_failures_total", {"action": action}) or 0.0


def internal_error_events(rt) -> list[AuditEvent]:
    with rt.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "exchange.internal_error")))


def test_checks_that_raise_get_sys_001_after_max_attempts_and_the_next_file_is_answered(
    runtime, project, injected, tmp_path
):
    injected("in_checks:3")  # the checks raise three times: the first file's three attempts
    poison_name, poison = request("KINE", sequence=1, id_fichier=POISON_ID)
    runtime.deposit(KINE, poison_name, poison)
    # the next file carries the same sequence number and IdFichier: SYS-001 used up neither
    next_name, next_file = request("KINE", sequence=1, id_fichier=POISON_ID, first_record=7, stamp="20261115100000")
    runtime.deposit(KINE, next_name, next_file)
    retried, answered = failures("retry"), failures("answered")

    runtime.workers(1, lease_s=0.4, max_attempts=3)  # a failed attempt is retried after the lease (0.4 s)
    wait_until(runtime.all_answered, timeout_s=60, interval_s=0.05)

    first, second = runtime.rows()
    response = runtime.response(KINE, poison_name)
    assert status_of(response) == "REJETE" and errors_of(response) == [("SYS-001", "FATAL")]
    root = validate_response(response)
    assert root.find(f"{R}Traitement").get("mode") is None and root.find(f"{R}Compteurs") is None
    assert "la caisse a été alertée" in response.decode() and "the fund has been alerted" in response.decode()
    assert first.status == "REJETE" and first.attempts == 3 and first.state == FileState.ANSWERED
    assert status_of(runtime.response(KINE, next_name)) == "ACCEPTE"
    assert second.attempts == 1

    (event,) = internal_error_events(runtime)
    assert event.target_id == str(first.id) and event.outcome == "answered"
    assert event.detail["attempts"] == 3 and "InjectedFault" in event.detail["error"]
    assert event.detail["file"] == poison_name and event.detail["provider"] == KINE
    assert failures("retry") - retried == 2 and failures("answered") - answered == 1

    site, service = start_site(tmp_path / "site", project.database_url)
    try:
        with site.client() as client:
            checks = {c["name"]: c for c in client.get("/status.json").json()["checks"]}
            metrics = client.get("/metrics").text
    finally:
        service.stop()
        site.engine.dispose()
    assert checks["internal errors"]["result"] == "warn"
    assert checks["internal errors"]["detail"].startswith("1 file(s) answered SYS-001")
    assert "gateway_internal_error_files 1.0" in metrics


def test_a_file_answered_sys_001_may_be_sent_again_as_it_is(runtime, injected):
    injected("in_checks")  # every check raises while armed
    name, data = request("KINE", sequence=1)
    runtime.deposit(KINE, name, data)
    processor = runtime.processor(max_attempts=2)
    first = claim(runtime)
    with pytest.raises(Exception, match="fault injected"):
        processor.process(first)
    release(runtime.sessions, first, retry_at=utcnow())
    result = processor.process(claim(runtime))
    assert result.status == "REJETE" and errors_of(runtime.response(KINE, name)) == [("SYS-001", "FATAL")]

    injected("")  # the fund fixed the problem: the provider sends the same bytes again
    runtime.deposit(KINE, AGAIN, data)
    runtime.deposit(KINE, "KINE_FACT_45001237_20261115093002_000001.xml", data)
    again, once_more = processor.process(claim(runtime)), processor.process(claim(runtime))
    assert again.status == "ACCEPTE"  # not a DOUBLON of the file that could not be checked
    assert once_more.status == "DOUBLON"  # but of the one that was
    assert f'<DoublonDe nomFichier="{AGAIN}"'.encode() in runtime.response(
        KINE, "KINE_FACT_45001237_20261115093002_000001.xml"
    )


def _answer_then_die(runtime, name: str):
    """A process checked the file and wrote its response, then died before its commit."""
    processor = runtime.processor(max_attempts=1)
    first = claim(runtime, "host:1:dead:0")
    ref = processor.archive(first)
    outcome, _ = processor.check(first, ref)
    processor.respond(first, ref, outcome)
    return processor, runtime.response(KINE, name)


def test_a_written_response_is_finished_the_normal_way_on_the_first_claim_beyond_the_attempts(runtime):
    name, data = request("KINE", sequence=4, records=2)
    runtime.deposit(KINE, name, data)
    processor, written = _answer_then_die(runtime, name)
    result = processor.process(claim(runtime, now=utcnow() + dt.timedelta(seconds=31)))  # attempt 2 of 1
    assert (result.status, result.forwarded, result.response_existed) == ("ACCEPTE", 2, True)
    assert runtime.response(KINE, name) == written and internal_error_events(runtime) == []


def test_a_written_response_is_kept_and_recorded_when_its_file_keeps_failing(runtime):
    name, data = request("KINE", sequence=4, records=2)
    runtime.deposit(KINE, name, data)
    processor, written = _answer_then_die(runtime, name)
    claim(runtime, "host:2:dead:0", now=utcnow() + dt.timedelta(seconds=31))  # attempt 2: that process died too
    result = processor.process(claim(runtime, now=utcnow() + dt.timedelta(seconds=62)))  # attempt 3 of 1
    assert (result.status, result.forwarded, result.response_existed) == ("ACCEPTE", 0, True)
    assert runtime.response(KINE, name) == written  # final: never replaced by a SYS-001 one
    (row,) = runtime.rows()
    assert (row.status, row.mode, row.sequence, row.convention) == ("ACCEPTE", "PRODUCTION", 4, "KINE")
    (event,) = internal_error_events(runtime)
    assert event.detail["response_existed"] is True and event.detail["records_not_forwarded"] == 2
    with runtime.sessions() as session:
        assert session.scalars(select(RequestFinding.code)).all() == []


def _serve(project, log: Path, **env: str) -> subprocess.Popen:
    environment = clean_env(
        {
            "GATEWAY_EXCHANGE__WORKERS": "1",
            "GATEWAY_EXCHANGE__POLL_INTERVAL": "0.05",
            "GATEWAY_EXCHANGE__MAX_ATTEMPTS": "2",
            **env,
        }
    )
    with open(log, "ab") as sink:
        return subprocess.Popen(
            [GATEWAY, "serve", "--role", "worker", "--config", str(project.config)],
            env=environment,
            stdout=sink,
            stderr=sink,
            cwd=project.root,
        )


def test_a_crash_loop_counts_and_ends_in_sys_001(runtime, project, tmp_path):
    poison_name, poison = request("KINE", sequence=1)
    runtime.deposit(KINE, poison_name, poison)
    next_name, next_file = request("KINE", sequence=2, first_record=5, stamp="20261115100000")
    runtime.deposit(KINE, next_name, next_file)
    log = tmp_path / "gateway.log"
    for attempt in (1, 2):  # the process dies while checking the first file, as an OOM kill would end it
        crashed = _serve(project, log, GATEWAY_FAULT="after_check")
        assert crashed.wait(60) == -signal.SIGKILL, log.read_text()[-3000:]
        assert [(r.state, r.attempts) for r in runtime.rows()] == [
            (FileState.PROCESSING, attempt),
            (FileState.RECEIVED, 0),
        ]
    process = _serve(project, log)  # the same checks would now pass: the two crashes were counted all the same
    try:
        wait_until(runtime.all_answered, timeout_s=60, interval_s=0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()[-3000:]
    first, second = runtime.rows()
    assert first.status == "REJETE" and first.attempts == 3
    assert errors_of(runtime.response(KINE, poison_name)) == [("SYS-001", "FATAL")]
    assert status_of(runtime.response(KINE, next_name)) == "ACCEPTE"
    (event,) = internal_error_events(runtime)
    assert event.detail["attempts"] == 3 and "without an answer" in event.detail["error"]
    assert response_name_for(poison_name) in {p.name for p in (runtime.spool.outbox / KINE).iterdir()}


def test_a_record_id_of_5000_digits_is_checked_and_recorded(runtime):
    # a valid xs:positiveInteger: int() refuses it (over 4,300 digits) and it is wider than any column
    name, data = request("KINE", records=2)
    huge = "9" * 5000
    runtime.deposit(KINE, name, data.replace(b'id="1"', f'id="{huge}"'.encode(), 1))
    (result,) = process_all(runtime)
    assert result.status == "ACCEPTE" and result.forwarded == 2
    with runtime.sessions() as session:
        assert sorted(session.scalars(select(ForwardedRecord.record_id))) == ["2", huge]
