"""The publisher against the real RabbitMQ: once each, in order per provider, nothing lost.

Records are forwarded by the real processing (outbox rows in the final transaction) and
published by the real publisher to a per-test exchange and queue, read back with a consumer.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
from collections import defaultdict

import jsonschema
import pytest
import structlog
import typer
from sqlalchemy import func, select

from gateway.cli.forwarded import republish as republish_command
from gateway.cli.forwarded import status as status_command
from gateway.clock import utcnow
from gateway.config_check import check_settings
from gateway.errors import ConfigError, UsageError
from gateway.exchange.runtime.claims import claim_next
from gateway.exchange.runtime.forwarding import outbox
from gateway.exchange.runtime.forwarding.broker import AmqpBroker, redacted
from gateway.exchange.runtime.forwarding.monitor import forwarding_health
from gateway.exchange.runtime.forwarding.publisher import PublisherService
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.exchange.runtime.void import void_file
from gateway.store.models.exchange import ForwardedRecord
from gateway.store.models.forwarding import OutboxMessage, PublisherStatus
from tests.conftest import REPO
from tests.exchange.runtime.broker import URL, Link, Names, drain, queue_depth
from tests.exchange.runtime.conftest import DIET, EXTRA_KINE, KINE, LAB, request
from tests.support import GATEWAY, clean_env, free_port, run_gateway, wait_until

RECORD_SCHEMA = json.loads((REPO / "schemas" / "forwarded-record-1.0.json").read_text())
WITHDRAWAL_SCHEMA = json.loads((REPO / "schemas" / "forwarded-withdrawal-1.0.json").read_text())


@pytest.fixture
def quiet_cli(monkeypatch, request) -> None:
    """Commands called in this process drop their log lines instead of pointing the process's
    logging at this test's captured stderr (closed after the test); defaults come back after."""
    monkeypatch.setattr(
        "gateway.logs.configure_logging",  # imported by each command as it starts
        lambda *args, **kwargs: structlog.configure(logger_factory=structlog.ReturnLoggerFactory()),
    )
    request.addfinalizer(structlog.reset_defaults)


def forward_all(runtime) -> None:
    """Claims and processes every waiting file, with the broker outbox on (as with amqp_url set)."""
    processor = runtime.processor(outbox=True)
    while (
        claim := claim_next(
            runtime.sessions, "test:1:t:0", now=utcnow(), lease_s=30, archive_ref=SpoolPaths.archive_ref
        )
    ) is not None:
        processor.process(claim)


def workload(runtime, *, files: int = 2, records: int = 2, first_sequence: int = 1) -> None:
    """``files`` files of ``records`` records for four providers of the three conventions."""
    for n in range(first_sequence, first_sequence + files):
        runtime.deposit(KINE, *request("KINE", sequence=n, records=records, first_record=10 * n))
        runtime.deposit(LAB, *request("LAB", sequence=n, records=records, first_record=10 * n))
        runtime.deposit(DIET, *request("DIET", sequence=n, records=1, first_record=n))
        runtime.deposit(
            EXTRA_KINE[0], *request("KINE", provider=EXTRA_KINE[0], sequence=n, records=records, first_record=10 * n)
        )
    forward_all(runtime)


def publisher(runtime, names: Names, *, url: str = URL, batch: int = 5, lease_s: float = 10.0) -> PublisherService:
    """A started publisher (stopped at the end of the test)."""
    broker = AmqpBroker(url, names.topology, connect_timeout=2.0, heartbeat=5)
    service = PublisherService(
        runtime.sessions,
        broker,
        claimant=f"test:{os.getpid()}:{secrets.token_hex(4)}:publisher",
        broker_name=redacted(url),
        batch_size=batch,
        lease_s=lease_s,
        poll_interval=0.05,
        retry_initial=0.05,
        retry_max=0.5,
    )
    service.start()
    runtime.services.append(service)
    return service


def unsent(runtime) -> int:
    with runtime.sessions() as session:
        return outbox.backlog(session).unsent


def forwarded_by_provider(runtime) -> dict[str, list[int]]:
    """Live forwarded ids per provider, in id order."""
    found: dict[str, list[int]] = defaultdict(list)
    with runtime.sessions() as session:
        for provider, record_id in session.execute(
            select(ForwardedRecord.provider_code, ForwardedRecord.id)
            .where(ForwardedRecord.withdrawn_at.is_(None))
            .order_by(ForwardedRecord.id)
        ):
            found[provider].append(record_id)
    return dict(found)


def records_by_provider(messages) -> dict[str, list[int]]:
    """Record message ids per provider in arrival order, duplicates dropped as a consumer does."""
    seen: set[str] = set()
    found: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        if message.type == "forwarded-record" and message.message_id not in seen:
            seen.add(message.message_id)
            found[message.body["provider"]].append(int(message.message_id))
    return dict(found)


def test_every_record_arrives_once_in_order_per_provider_persistent_and_whole(runtime, rabbitmq):
    workload(runtime)
    service = publisher(runtime, rabbitmq, batch=3)
    wait_until(lambda: unsent(runtime) == 0, timeout_s=60)
    service.stop()
    messages = drain(rabbitmq)
    ids = [m.message_id for m in messages]
    assert len(ids) == len(set(ids)) == sum(len(v) for v in forwarded_by_provider(runtime).values())
    assert records_by_provider(messages) == forwarded_by_provider(runtime)
    for message in messages:
        jsonschema.validate(message.body, RECORD_SCHEMA)
        assert message.message_id == str(message.body["id"]) and message.delivery_mode == 2
        assert message.type == "forwarded-record"
        assert message.routing_key == f"record.{message.body['convention']}.{message.body['provider']}"
        assert message.headers["provider"] == message.body["provider"] and "replay" not in message.headers
    with runtime.sessions() as session:
        status = session.scalars(select(PublisherStatus)).one()
    assert status.sent == len(messages) and status.last_success_at is not None
    assert status.broker == "amqp://guest:***@127.0.0.1:5672/%2F"  # never the password


def test_two_publishers_never_send_a_record_twice_nor_out_of_order(runtime, rabbitmq):
    for _ in range(2):  # both waiting before the records arrive, so both take part
        publisher(runtime, rabbitmq, batch=2)
    workload(runtime, files=3, records=3)
    wait_until(lambda: unsent(runtime) == 0, timeout_s=60)
    for service in runtime.services:
        service.stop()
    messages = drain(rabbitmq)
    ids = [m.message_id for m in messages]
    assert len(ids) == len(set(ids))
    assert records_by_provider(messages) == forwarded_by_provider(runtime)
    with runtime.sessions() as session:  # both took part
        assert {row.sent > 0 for row in session.scalars(select(PublisherStatus))} == {True}


def test_a_connection_cut_during_a_run_loses_nothing_and_is_reported(runtime, rabbitmq):
    link = Link()
    try:
        workload(runtime, files=4, records=4)
        total = sum(len(v) for v in forwarded_by_provider(runtime).values())
        publisher(runtime, rabbitmq, url=link.url, batch=4)
        wait_until(lambda: queue_depth(rabbitmq) >= 8, timeout_s=30)
        link.cut()  # mid-run: some records published, others waiting, maybe one unconfirmed

        def reported() -> str | None:
            with runtime.sessions() as session:
                problem = forwarding_health(session, utcnow()).problem
            return problem if problem and "unreachable" in problem else None

        assert f"127.0.0.1:{link.port}" in wait_until(reported, timeout_s=30)
        workload(runtime, files=1, records=2, first_sequence=5)  # more arrives while the broker is away
        assert unsent(runtime) > 0
        link.restore()
        wait_until(lambda: unsent(runtime) == 0, timeout_s=60)
        assert link.connections >= 2
        with runtime.sessions() as session:
            assert forwarding_health(session, utcnow()).problem is None
    finally:
        link.close()
    messages = drain(rabbitmq)
    assert records_by_provider(messages) == forwarded_by_provider(runtime)
    assert sum(len(v) for v in records_by_provider(messages).values()) == total + 7
    bodies: dict[str, dict] = {}
    for message in messages:  # a record re-sent after the cut is the same message
        assert bodies.setdefault(message.message_id, message.body) == message.body


def test_a_publisher_killed_between_confirm_and_mark_resends_with_the_same_message_id(project, runtime, rabbitmq):
    workload(runtime)
    env = clean_env(
        {
            **rabbitmq.env(),
            "GATEWAY_FORWARDING__CLAIM_LEASE": "1",
            "GATEWAY_FORWARDING__POLL_INTERVAL": "0.05",
            "GATEWAY_FORWARDING__BATCH_SIZE": "5",
        }
    )
    log = project.root / "publisher.log"

    def start(fault: str = "") -> subprocess.Popen:
        with open(log, "ab") as sink:
            return subprocess.Popen(
                [GATEWAY, "serve", "--role", "publisher", "--config", str(project.config)],
                env={**env, **({"GATEWAY_FAULT": fault} if fault else {})},
                stdout=sink,
                stderr=sink,
                cwd=project.root,
            )

    killed = start("publisher_after_confirm:3")
    assert killed.wait(60) == -signal.SIGKILL, log.read_text()
    assert unsent(runtime) == sum(len(v) for v in forwarded_by_provider(runtime).values())  # nothing marked
    assert queue_depth(rabbitmq) == 3  # ... but three were confirmed
    process = start()
    try:
        wait_until(lambda: unsent(runtime) == 0, timeout_s=60)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()
    messages = drain(rabbitmq)
    first_three = messages[:3]
    again = [m for m in messages[3:] if m.message_id in {m.message_id for m in first_three}]
    assert [(m.message_id, m.body) for m in again] == [(m.message_id, m.body) for m in first_three]
    assert records_by_provider(messages) == forwarded_by_provider(runtime)
    assert len(messages) == len({m.message_id for m in messages}) + 3


def test_a_voided_file_is_not_published_when_not_yet_sent(runtime, rabbitmq):
    kine_name, kine_data = request("KINE", records=2)
    runtime.deposit(KINE, kine_name, kine_data)
    runtime.deposit(LAB, *request("LAB", records=1))
    forward_all(runtime)
    voided = void_file(
        runtime.sessions, provider_code=KINE, file_name=kine_name, reason="wrong tariffs", actor="staff:alice"
    )
    assert voided.withdrawn == 2
    publisher(runtime, rabbitmq)
    wait_until(lambda: unsent(runtime) == 0, timeout_s=30)
    messages = drain(rabbitmq)
    assert [(m.type, m.body["provider"]) for m in messages] == [("forwarded-record", LAB)]


def test_a_voided_file_already_sent_is_followed_by_a_withdrawal(runtime, rabbitmq):
    kine_name, kine_data = request("KINE", records=2)
    runtime.deposit(KINE, kine_name, kine_data)
    forward_all(runtime)
    publisher(runtime, rabbitmq)
    wait_until(lambda: unsent(runtime) == 0, timeout_s=30)
    ids = forwarded_by_provider(runtime)[KINE]
    voided = void_file(
        runtime.sessions, provider_code=KINE, file_name=kine_name, reason="wrong tariffs", actor="staff:alice"
    )
    wait_until(lambda: unsent(runtime) == 0, timeout_s=30)
    messages = drain(rabbitmq)
    assert [m.type for m in messages] == ["forwarded-record", "forwarded-record", "forwarded-withdrawal"]
    withdrawal = messages[-1]
    jsonschema.validate(withdrawal.body, WITHDRAWAL_SCHEMA)
    assert withdrawal.message_id == f"withdrawal-{voided.file_id}"
    assert withdrawal.routing_key == f"withdrawal.KINE.{KINE}"
    assert withdrawal.body["ids"] == ids and withdrawal.body["reason"] == "wrong tariffs"
    assert [r["record_id"] for r in withdrawal.body["records"]] == ["1", "2"]


def test_a_void_while_records_are_in_flight_names_them_in_the_withdrawal(runtime):
    """Rows a live publisher holds may already be at the broker: withdrawn, never silently dropped."""
    name, data = request("KINE", records=3)
    runtime.deposit(KINE, name, data)
    forward_all(runtime)
    claimed = outbox.claim_batch(runtime.sessions, "node:1:t:publisher", now=utcnow(), lease_s=60, limit=2)
    assert len(claimed) == 2
    void_file(runtime.sessions, provider_code=KINE, file_name=name, reason="x", actor="cli")
    with runtime.sessions() as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [r.cancelled_at is not None for r in rows[:3]] == [True, True, True]
    withdrawal = json.loads(rows[3].payload)
    assert withdrawal["ids"] == [c.forwarded_record_id for c in claimed]


def test_republish_replays_records_from_an_id_with_their_message_ids(project, runtime, rabbitmq, quiet_cli):
    workload(runtime, files=1)
    publisher(runtime, rabbitmq)
    wait_until(lambda: unsent(runtime) == 0, timeout_s=30)
    first = drain(rabbitmq)
    since = int(first[2].message_id)
    with pytest.raises(UsageError) as refused:  # without a broker, nothing would publish them
        republish_command(since=since, config=project.config)
    assert refused.value.code == "FWD-NOT-CONFIGURED"
    result = run_gateway("forwarded", "republish", "--since", str(since), config=project.config, env=rabbitmq.env())
    assert result.returncode == 0, result.stderr
    wait_until(lambda: unsent(runtime) == 0, timeout_s=30)
    replayed = drain(rabbitmq)
    expected = sorted(int(m.message_id) for m in first if int(m.message_id) > since)
    assert sorted(int(m.message_id) for m in replayed) == expected and f"{len(expected)} record(s)" in result.stdout
    assert all(m.headers.get("replay") is True for m in replayed)
    originals = {m.message_id: m.body for m in first}
    assert all(m.body == originals[m.message_id] for m in replayed)


def test_status_and_metrics_show_the_backlog_and_an_unreachable_broker(project, runtime, tmp_path, capsys, quiet_cli):
    from tests.web.conftest import start_site

    workload(runtime, files=1, records=1)
    dead = f"amqp://guest:secret@127.0.0.1:{free_port()}/%2F"
    publisher(runtime, Names("gwtest.none", "gwtest.none"), url=dead)

    def failing():
        with runtime.sessions() as session:
            return session.scalar(
                select(func.count()).select_from(PublisherStatus).where(PublisherStatus.last_error_at.is_not(None))
            )

    wait_until(failing, timeout_s=30)
    with pytest.raises(typer.Exit) as exited:  # gateway forwarded status: exit 1 on a problem
        status_command(json_output=True, config=project.config)
    # the publisher thread's log lines share this test's stdout: take the command's own line
    said = json.loads(next(line for line in capsys.readouterr().out.splitlines() if line.startswith('{"unsent"')))
    assert exited.value.exit_code == 1 and "unreachable" in said["problem"] and said["unsent"] == unsent(runtime)
    site, service = start_site(tmp_path / "site", project.database_url)
    try:
        with site.client() as client:
            status = client.get("/status.json").json()
            metrics = client.get("/metrics").text
    finally:
        service.stop()
        site.engine.dispose()
    (check,) = [c for c in status["checks"] if c["name"] == "forwarding"]
    assert check["result"] == "warn" and "unreachable" in check["detail"] and "secret" not in check["detail"]
    assert f"gateway_forwarding_unsent_messages {float(unsent(runtime))}" in metrics
    assert "gateway_forwarding_broker_failing 1.0" in metrics
    age = float(
        next(
            line.split()[1]
            for line in metrics.splitlines()
            if line.startswith("gateway_forwarding_oldest_unsent_age_seconds ")
        )
    )
    assert age > 0


def test_a_plain_serve_runs_the_publisher_only_when_a_broker_is_set(project, engine):
    from gateway.cli.context import AppContext
    from gateway.cli.forwarded import build_publisher
    from gateway.cli.serve import default_roles

    pull_only = AppContext(project.settings())
    assert "publisher" not in default_roles(pull_only.settings)
    assert "publisher" in default_roles(project.settings(GATEWAY_FORWARDING__AMQP_URL=URL))
    with pytest.raises(UsageError) as refused:  # --role publisher without a broker
        build_publisher(pull_only)
    assert refused.value.code == "FWD-NOT-CONFIGURED"
    pull_only.engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://host/", id="not-amqp"),
        pytest.param("amqp://", id="no-host"),
        pytest.param("amqp//guest:secret@host", id="no-scheme"),
    ],
)
def test_a_broker_url_it_cannot_use_is_refused_when_the_settings_load(project, url):
    with pytest.raises(ConfigError) as refused:
        project.settings(GATEWAY_FORWARDING__AMQP_URL=url)
    problems = refused.value.problems
    assert refused.value.exit_status == 2
    assert [p for p in problems if p.startswith("forwarding.amqp_url")] and not any("secret" in p for p in problems)
    assert "secret" not in str(refused.value)
    assert not [
        p for p in check_settings(project.settings(GATEWAY_FORWARDING__AMQP_URL=URL)) if p.startswith("forwarding")
    ]
