"""Pull logic against the in-memory SFTP server: save, check, then delete; never lose a response."""

from __future__ import annotations

import hashlib
import threading

import pytest

from gateway.client.connection import Endpoint, Retrying, open_connection
from gateway.client.pull import Puller, PullResult, ResponseSchema, watch
from tests.support import wait_until

from .conftest import SCHEMAS
from .proxy import CuttingProxy
from .responses import PARTIAL, REJECTED, accepted_response, example


@pytest.fixture
def endpoint(memory_sftp, tmp_path):
    return Endpoint(
        host=memory_sftp.host,
        port=memory_sftp.port,
        user="45001237",
        password="any",
        known_hosts=tmp_path / "known_hosts",
        accept_new=True,
        timeout=5,
    )


@pytest.fixture
def puller(tmp_path):
    return Puller(tmp_path / "responses", ResponseSchema(SCHEMAS))


def pull(endpoint, puller, **kwargs):
    with Retrying(lambda: open_connection(endpoint), attempts=3, base_delay=0.01, **kwargs) as retrying:
        return retrying.run(puller.run)


def test_responses_are_saved_then_deleted_on_the_server(memory_sftp, endpoint, puller):
    content = {"inbox": {}, "outbox": {PARTIAL: example(PARTIAL), REJECTED: example(REJECTED), "notes.txt": b"x"}}
    with memory_sftp.serve_content(content):
        pulled = pull(endpoint, puller)
    assert [(p.name, p.result) for p in pulled] == [(PARTIAL, PullResult.SAVED), (REJECTED, PullResult.SAVED)]
    assert (puller.into / PARTIAL).read_bytes() == example(PARTIAL)
    assert pulled[0].sha256 == hashlib.sha256(example(PARTIAL)).hexdigest()
    assert content["outbox"] == {"notes.txt": b"x"}  # only responses are taken
    assert sorted(p.name for p in puller.into.iterdir()) == [PARTIAL, REJECTED]  # no temporary file left


def test_a_response_saved_before_is_only_deleted_on_the_server(memory_sftp, endpoint, puller):
    puller.into.mkdir()
    (puller.into / PARTIAL).write_bytes(example(PARTIAL))  # an earlier pull stopped before deleting
    content = {"inbox": {}, "outbox": {PARTIAL: example(PARTIAL)}}
    with memory_sftp.serve_content(content):
        [pulled] = pull(endpoint, puller)
    assert pulled.result is PullResult.ALREADY_SAVED and content["outbox"] == {}
    assert [p.name for p in puller.into.iterdir()] == [PARTIAL]


def test_another_response_under_a_used_name_is_kept_beside_it(memory_sftp, endpoint, puller):
    name = "KINE_FACT_45001237_20261115093000_000001_REP.xml"
    first = accepted_response(name.replace("_REP", ""), "a" * 64)
    second = accepted_response(name.replace("_REP", ""), "b" * 64)
    puller.into.mkdir()
    (puller.into / name).write_bytes(first)
    content = {"inbox": {}, "outbox": {name: second}}
    with memory_sftp.serve_content(content):
        [pulled] = pull(endpoint, puller)
    assert pulled.result is PullResult.SAVED and pulled.path.name == f"{name[:-4]}.{pulled.sha256[:12]}.xml"
    assert (puller.into / name).read_bytes() == first and pulled.path.read_bytes() == second


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<Reponse", id="not-xml"),
        pytest.param(example(PARTIAL).replace(b"<Statut>PARTIELLEMENT_ACCEPTE", b"<Statut>PERDU"), id="off-schema"),
    ],
)
def test_an_invalid_response_is_kept_aside_and_left_on_the_server(memory_sftp, endpoint, puller, data):
    content = {"inbox": {}, "outbox": {PARTIAL: data}}
    with memory_sftp.serve_content(content):
        [pulled] = pull(endpoint, puller)
    assert pulled.result is PullResult.INVALID and pulled.problems
    assert content["outbox"] == {PARTIAL: data}
    assert (puller.into / "invalid" / PARTIAL).read_bytes() == data
    assert not (puller.into / PARTIAL).exists()


def test_a_link_cut_mid_download_is_retried_and_nothing_is_lost(memory_sftp, endpoint, puller):
    name = "KINE_FACT_45001237_20261115093000_000001_REP.xml"
    data = accepted_response(name.replace("_REP", ""), "c" * 64, records=400)  # several SFTP reads
    content = {"inbox": {}, "outbox": {name: data}}
    proxy = CuttingProxy((memory_sftp.host, memory_sftp.port), cuts=[len(data) // 2], downstream=True)
    retries = []
    try:
        with memory_sftp.serve_content(content):
            [pulled] = pull(
                Endpoint(**{**endpoint.__dict__, "port": proxy.port}),
                puller,
                on_retry=lambda attempt, exc, delay: retries.append(attempt),
            )
    finally:
        proxy.close()
    assert proxy.cut == 1 and retries == [1]
    assert pulled.result is PullResult.SAVED and (puller.into / name).read_bytes() == data
    assert content["outbox"] == {} and [p.name for p in puller.into.iterdir()] == [name]


def test_watch_pulls_what_arrives_until_stopped(memory_sftp, endpoint, puller):
    content = {"inbox": {}, "outbox": {}}
    stop = threading.Event()
    rounds = []
    with (
        memory_sftp.serve_content(content),
        Retrying(lambda: open_connection(endpoint), attempts=2, base_delay=0.01) as retrying,
    ):
        watcher = threading.Thread(
            target=watch, args=(puller, retrying), kwargs={"interval": 0.05, "stop": stop, "on_pulled": rounds.append}
        )
        watcher.start()
        try:
            # a response appears while watching (a new folder object: the server may be listing the old one)
            content["outbox"] = {PARTIAL: example(PARTIAL)}
            wait_until(lambda: (puller.into / PARTIAL).exists() and not content["outbox"])
        finally:
            stop.set()
            watcher.join(timeout=10)
    assert not watcher.is_alive()
    assert [[p.name for p in pulled] for pulled in rounds] == [[PARTIAL]]
