"""The whole loop against the live gateway: make -> push -> the workers answer -> pull -> import -> status."""

from __future__ import annotations

import pytest

from gateway.client.connection import Retrying, open_connection
from gateway.client.csvlayout import Convention
from gateway.client.errors import RequestRefused
from gateway.client.importer import ImportResult, import_responses
from gateway.client.ledger import record_pushed
from gateway.client.make import MakeOptions, make_request
from gateway.client.pull import Puller, ResponseSchema
from gateway.client.push import push_files
from gateway.client.status import summarise
from gateway.client.store import open_store
from gateway.clock import utcnow
from tests.support import wait_until

from .conftest import DATA, SCHEMAS, TIMEZONE
from .live import CODE
from .responses import response_name


@pytest.fixture
def practice(tmp_path):
    """The practice's own database (SQLite beside its files, as by default)."""
    engine, sessions = open_store(f"sqlite:///{tmp_path / 'practice' / 'client.db'}")
    yield sessions
    engine.dispose()


def test_make_push_answer_pull_import_status(live_with_workers, practice, tmp_path):
    live = live_with_workers
    live.trust()
    options = MakeOptions(
        convention=Convention.KINE,
        provider_code=CODE,
        out_dir=tmp_path / "practice" / "outgoing",
        schemas_dir=SCHEMAS,
        timezone=TIMEZONE,
        max_file_bytes=52428800,
    )
    made = make_request(DATA / "kine.csv", options, practice)  # the real clock: the gateway judges now
    assert summarise(practice).counts["made"] == 1

    with Retrying(lambda: open_connection(live.endpoint()), attempts=3, base_delay=0.01) as retrying:
        push_files([made.path], retrying, on_pushed=lambda path, pushed: record_pushed(practice, path, utcnow()))
        assert summarise(practice).counts["pending"] == 1
        answer = live.outbox / response_name(made.path.name)
        wait_until(answer.exists, timeout_s=30)

        puller = Puller(tmp_path / "practice" / "responses", ResponseSchema(SCHEMAS))
        [pulled] = retrying.run(puller.run)
        assert pulled.path.read_bytes() and not answer.exists()  # collected: deleted on the server
        assert retrying.run(puller.run) == []

    [imported] = import_responses(puller.into, practice, ResponseSchema(SCHEMAS))
    assert (imported.result, imported.status, imported.request_name) == (
        ImportResult.IMPORTED,
        "ACCEPTE",
        made.path.name,
    )
    summary = summarise(practice, show_all=True)
    assert {k: v for k, v in summary.counts.items() if v} == {"ACCEPTE": 1}
    [line] = summary.files
    assert (line.name, line.records, line.amount, line.amount_accepted) == (made.path.name, 2, "132.90", "132.90")
    assert [r.result for r in import_responses(puller.into, practice, ResponseSchema(SCHEMAS))] == [ImportResult.KNOWN]

    # the accepted acts are now history: billing them again is caught before anything is sent
    with pytest.raises(RequestRefused) as caught:
        make_request(DATA / "kine.csv", options, practice)
    assert "DUP-002" in {f.finding.code for f in caught.value.findings}
