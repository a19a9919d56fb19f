"""Crash safety: the real ``gateway serve`` process killed with SIGKILL at each point of a file's way.

The process kills itself at a named point (``GATEWAY_FAULT``, gateway/exchange/faults.py) with
many files in flight; after a restart every file must have exactly one response, identical
(but for ``traiteLe`` and, for files adopted at start, ``recuLe``) to what an uninterrupted
run writes, and every accepted record must be forwarded exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.exchange.runtime.reception import response_name_for
from gateway.store import schema
from gateway.store.db import make_engine, make_session_factory
from gateway.store.models.exchange import FileState, ForwardedRecord
from tests.conftest import REPO
from tests.exchange.runtime.conftest import DIET, EXTRA_KINE, KINE, LAB, listing, make_runtime, process_all, request
from tests.support import GATEWAY, clean_env, wait_until

RECEIVED_AT = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)
ORPHANS = EXTRA_KINE[1]
#: every fault point; the default run kills during the checks, after the response and before the
#: commit, the heavy run at the others too
POINTS = (
    "after_claim",
    "after_move",
    "after_check",
    "after_archive_response",
    "after_response",
    "before_commit",
    "after_commit",
)
DEFAULT_POINTS = ("after_check", "after_response", "before_commit")


def workload() -> tuple[list[tuple[str, str, bytes]], list[tuple[str, str, bytes]]]:
    """(registered files, files left in an inbox with no row), in order of receipt."""
    files: list[tuple[str, str, bytes]] = []
    for n in range(1, 5):
        files.append((KINE, *request("KINE", sequence=n, records=3, first_record=10 * n)))
        files.append((LAB, *request("LAB", sequence=n, records=2, first_record=10 * n)))
    files.append((KINE, "resent-1.xml", files[0][2]))  # DOUBLON
    files.append(
        (KINE, "KINE_FACT_45001237_20261116093000_000002.xml", request("KINE", sequence=2, first_record=90)[1])
    )  # ENT-004
    files.append((LAB, *request("LAB", sequence=9, mode="TEST", first_record=70)))  # TEST
    for n in range(1, 4):
        files.append((DIET, *request("DIET", sequence=n, first_record=n)))
    files.append(
        (
            DIET,
            "DIET_FACT_47000070_20261116093000_000004.xml",
            request("DIET", sequence=4, records=2, first_record=3)[1],
        )
    )  # DUP-002 on one
    for n in range(1, 4):
        files.append(
            (EXTRA_KINE[0], *request("KINE", provider=EXTRA_KINE[0], sequence=n, records=2, first_record=5 * n))
        )
    files.append((EXTRA_KINE[0], "broken.xml", b"<Facturation><unclosed>"))  # XML-001
    orphans = [(ORPHANS, *request("KINE", provider=ORPHANS, sequence=n, first_record=n)) for n in (1, 2)]
    return files, orphans


def normalise(response: bytes) -> bytes:
    return re.sub(rb'(traiteLe|recuLe)="[^"]*"', rb'\1=""', response)


def outcome_of(rt, files, orphans) -> tuple[dict[str, bytes], list[tuple[str, str]]]:
    """Normalised responses by provider/name, and forwarded (file name, record id), sorted."""
    responses = {f"{code}/{name}": normalise(rt.response(code, name)) for code, name, _ in files + orphans}
    with rt.sessions() as session:
        forwarded = session.execute(
            select(ForwardedRecord.file_name, ForwardedRecord.record_id).where(ForwardedRecord.withdrawn_at.is_(None))
        ).all()
    return responses, sorted(tuple(row) for row in forwarded)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The same workload checked in-process without interruption (its own SQLite database)."""
    root = tmp_path_factory.mktemp("reference")
    shutil.copytree(REPO / "schemas", root / "schemas")
    engine = make_engine(f"sqlite:///{root / 'var' / 'gateway.db'}")
    schema.upgrade(engine)
    rt = make_runtime(root, make_session_factory(engine))
    files, orphans = workload()
    for code, name, data in files + orphans:
        rt.deposit(code, name, data, received_at=RECEIVED_AT)
    process_all(rt)
    result = outcome_of(rt, files, orphans)
    statuses = {row.status for row in rt.rows()}
    assert statuses == {"ACCEPTE", "PARTIELLEMENT_ACCEPTE", "REJETE", "DOUBLON"}, (
        statuses
    )  # the workload covers every way
    engine.dispose()
    return result


def start(project, log: Path, *, fault: str = "", roles: str = "worker") -> subprocess.Popen:
    env = clean_env(
        {
            "GATEWAY_EXCHANGE__WORKERS": "3",
            "GATEWAY_EXCHANGE__POLL_INTERVAL": "0.05",
            "GATEWAY_EXCHANGE__WATCH_QUIET_PERIOD": "0.2",
            "GATEWAY_EXCHANGE__RESCAN_INTERVAL": "0.5",
            **({"GATEWAY_FAULT": fault} if fault else {}),
        }
    )
    with open(log, "ab") as sink:
        return subprocess.Popen(
            [GATEWAY, "serve", "--role", roles, "--config", str(project.config)],
            env=env,
            stdout=sink,
            stderr=sink,
            cwd=project.root,
        )


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(30)


def deposit(runtime, files, orphans) -> None:
    for code, name, data in files:
        runtime.deposit(code, name, data, received_at=RECEIVED_AT)
    for code, name, data in orphans:  # placed by an SFTP server that died before registering them
        (runtime.spool.inbox / code / name).write_bytes(data)


def readies(log: Path) -> int:
    return log.read_bytes().count(b"gateway ready") if log.exists() else 0


def finish_and_compare(project, runtime, uninterrupted, files, orphans, log: Path) -> None:
    total = len(files) + len(orphans)
    before = readies(log)
    process = start(project, log)
    try:
        # started (signal handlers in place) even if earlier runs already answered everything
        wait_until(lambda before=before: readies(log) > before, timeout_s=60, interval_s=0.1)
        wait_until(lambda: len(runtime.rows()) == total and runtime.all_answered(), timeout_s=90, interval_s=0.1)
    finally:
        assert stop(process) == 0, log.read_text()[-3000:]
    responses, forwarded = outcome_of(runtime, files, orphans)
    expected_responses, expected_forwarded = uninterrupted
    assert responses.keys() == expected_responses.keys()
    for key, expected in expected_responses.items():
        assert responses[key] == expected, key
    assert forwarded == expected_forwarded and len(set(forwarded)) == len(forwarded)
    for code in {code for code, _, _ in files + orphans}:
        names = [name for c, name, _ in files + orphans if c == code]
        assert listing(runtime.spool.outbox / code) == sorted(response_name_for(n) for n in names)
        assert listing(runtime.spool.inbox / code) == []


@pytest.mark.parametrize(
    "point",
    [pytest.param(p, id=p.replace("_", "-"), marks=() if p in DEFAULT_POINTS else pytest.mark.heavy) for p in POINTS],
)
def test_killed_at_a_point_the_worker_resumes_to_the_uninterrupted_result(
    project, runtime, uninterrupted, point, tmp_path
):
    files, orphans = workload()
    deposit(runtime, files, orphans)
    log = tmp_path / "gateway.log"
    crashed = start(project, log, fault=f"{point}:4")
    assert crashed.wait(60) == -signal.SIGKILL, log.read_text()[-3000:]
    answered = [r for r in runtime.rows() if r.state == FileState.ANSWERED]
    assert len(answered) < len(files) + len(orphans)  # it really died with files in flight
    finish_and_compare(project, runtime, uninterrupted, files, orphans, log)


@pytest.mark.heavy
def test_killed_at_random_moments_again_and_again(project, runtime, uninterrupted, tmp_path):
    files, orphans = workload()
    deposit(runtime, files, orphans)
    log = tmp_path / "gateway.log"
    chance = random.Random(int.from_bytes(os.urandom(4), "big"))
    for _ in range(6):
        before = readies(log)
        process = start(project, log, roles="worker,watcher")
        if chance.random() < 0.5:  # else it may die while starting (recovery, rescan)
            wait_until(lambda before=before: readies(log) > before, timeout_s=60, interval_s=0.1)
        try:
            wait_until(lambda: False, timeout_s=chance.uniform(0.0, 0.4))
        except AssertionError:
            pass
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finish_and_compare(project, runtime, uninterrupted, files, orphans, log)
