"""Worker processes under limits: results come back, limits stop the work, the pool recovers."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway.isolation import (
    MIB,
    Isolation,
    WorkerUnavailable,
    WorkFailed,
    WorkLimitExceeded,
    WorkLimits,
)

TASKS = "tests.isolation.tasks"
#: generous: a worker's interpreter alone is about 60 MiB of address space
MEMORY = 400 * MIB


@pytest.fixture
def pool() -> Iterator[Isolation]:
    isolation = Isolation(WorkLimits(memory_bytes=MEMORY, cpu_seconds=2, wall_seconds=20), workers=1, preload=(TASKS,))
    try:
        yield isolation
    finally:
        isolation.close()


def test_result_and_bytes_come_back_from_a_worker_that_stays_warm(pool: Isolation) -> None:
    first = pool.run(f"{TASKS}:echo", b"\x00payload\xff", answer=42, word="mot")
    assert first.payload == b"\x00payload\xff"
    assert first.value["params"] == {"answer": 42, "word": "mot"}
    assert first.value["pid"] != os.getpid()
    second = pool.run(f"{TASKS}:echo", b"")
    assert second.value["pid"] == first.value["pid"]  # the same warm worker


def test_memory_limit_stops_the_work_and_a_fresh_worker_takes_over(pool: Isolation) -> None:
    before = pool.run(f"{TASKS}:echo").value["pid"]
    with pytest.raises(WorkLimitExceeded) as raised:
        pool.run(f"{TASKS}:allocate", mib=2 * MEMORY // MIB)
    assert "memory" in raised.value.message
    after = pool.run(f"{TASKS}:echo").value["pid"]
    assert after != before
    assert pool.run(f"{TASKS}:allocate", mib=50).value == 50 * MIB  # within the limit: fine


def test_cpu_limit_stops_a_spinning_task(pool: Isolation) -> None:
    with pytest.raises(WorkLimitExceeded) as raised:
        pool.run(f"{TASKS}:spin")
    assert raised.value.context["limit"] == "CPU time"
    assert pool.run(f"{TASKS}:echo").value["params"] == {}


def test_wall_time_limit_kills_a_task_that_waits() -> None:
    isolation = Isolation(WorkLimits(memory_bytes=MEMORY, cpu_seconds=5, wall_seconds=1), workers=1, preload=(TASKS,))
    try:
        isolation.warm()
        with pytest.raises(WorkLimitExceeded) as raised:
            isolation.run(f"{TASKS}:sleep", seconds=30)
        assert raised.value.context["limit"] == "wall"
        assert isolation.run(f"{TASKS}:sleep", seconds=0).value == 0
    finally:
        isolation.close()


def test_a_worker_cannot_write_files(pool: Isolation, tmp_path: Path) -> None:
    target = tmp_path / "written-by-a-worker"
    with pytest.raises(WorkFailed) as raised:
        pool.run(f"{TASKS}:write_file", path=str(target))
    assert "File too large" in raised.value.message
    assert not target.exists() or target.stat().st_size == 0


def test_an_unexpected_exception_is_reported_with_its_type(pool: Isolation) -> None:
    with pytest.raises(WorkFailed) as raised:
        pool.run(f"{TASKS}:fail")
    assert "ValueError: something unexpected" in raised.value.message


def test_workers_outlive_the_threads_that_started_them() -> None:
    # Request threads come and go; the workers they started must keep serving.
    isolation = Isolation(WorkLimits(memory_bytes=MEMORY), workers=2, preload=(TASKS,))
    try:
        with ThreadPoolExecutor(max_workers=4) as threads:
            pids = set(threads.map(lambda _: isolation.run(f"{TASKS}:echo").value["pid"], range(16)))
        assert 1 <= len(pids) <= 2
        later = {isolation.run(f"{TASKS}:echo").value["pid"] for _ in range(4)}
        assert later <= pids
    finally:
        isolation.close()


def test_callers_wait_for_a_free_worker() -> None:
    isolation = Isolation(WorkLimits(memory_bytes=MEMORY, wall_seconds=20), workers=1, preload=(TASKS,))
    try:
        results: list[float] = []
        threads = [
            threading.Thread(target=lambda: results.append(isolation.run(f"{TASKS}:sleep", seconds=0.3).value))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [0.3, 0.3, 0.3]
    finally:
        isolation.close()


def test_a_closed_pool_refuses_work() -> None:
    isolation = Isolation(WorkLimits(memory_bytes=MEMORY), workers=1, preload=(TASKS,))
    isolation.close()
    with pytest.raises(WorkerUnavailable):
        isolation.run(f"{TASKS}:echo")


def test_a_worker_that_cannot_start_is_unavailable_not_a_limit() -> None:
    isolation = Isolation(
        WorkLimits(memory_bytes=MEMORY, startup_seconds=30), workers=1, preload=("tests.isolation.no_such_module",)
    )
    try:
        with pytest.raises(WorkerUnavailable):
            isolation.run(f"{TASKS}:echo")
    finally:
        isolation.close()
