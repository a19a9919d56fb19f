"""The supervisor with small real children: order of stop, restarts, giving up, one log stream,
and no child outliving it (tests/foundation/supervised.py holds the programs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gateway.supervisor import RestartPolicy
from gateway.supervisor.relay import LineRelay, tag
from gateway.supervisor.status import ChildState, read_statuses, summarise
from tests.conftest import REPO
from tests.support import wait_until

FAST = {"delay": 0.05, "delay_max": 0.2, "crash_loop_exits": 3, "crash_loop_window": 60.0, "stop_timeout": 20.0}


class Run:
    """``python -m tests.foundation.supervised supervise`` over ``children``, output collected."""

    def __init__(self, tmp_path: Path, children: list[tuple[str, str, str]], **policy: float) -> None:
        self.status = tmp_path / "processes"
        self.record = tmp_path / "stopped.txt"
        plan = tmp_path / "plan.json"
        plan.write_text(
            json.dumps(
                {
                    "children": children,
                    "policy": {**FAST, **policy},
                    "status": str(self.status),
                    "record": str(self.record),
                }
            )
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.foundation.supervised", "supervise", str(plan)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.lines: list[bytes] = []
        self._reader = threading.Thread(
            target=lambda: self.lines.extend(iter(self.process.stderr.readline, b"")), daemon=True
        )
        self._reader.start()

    def events(self) -> list[dict]:
        return [json.loads(line) for line in list(self.lines) if line.startswith(b"{")]

    def statuses(self) -> dict[str, object]:
        return {s.name: s for s in read_statuses(self.status)}

    def running(self, *names: str) -> bool:
        statuses = self.statuses()
        return all(n in statuses and statuses[n].state is ChildState.RUNNING for n in names)

    def finish(self, sig: int | None = signal.SIGTERM, timeout: float = 60) -> int:
        if sig is not None:
            self.process.send_signal(sig)
        status = self.process.wait(timeout)
        self._reader.join(10)
        return status

    def stop_order(self) -> list[str]:
        return self.record.read_text().split()


def gone(pid: int) -> bool:
    """True once ``pid`` has ended (a zombie waiting for its parent counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in {"Z", "X"}


def test_children_stop_role_by_role_in_reverse_order(tmp_path):
    run = Run(tmp_path, [("a-1", "a", "serve"), ("b-1", "b", "serve"), ("b-2", "b", "serve"), ("c-1", "c", "serve")])
    try:
        wait_until(lambda: run.running("a-1", "b-1", "b-2", "c-1"), timeout_s=60, interval_s=0.05)
        wait_until(lambda: any(e["event"] == "gateway ready" for e in run.events()), timeout_s=10)
    finally:
        assert run.finish() == 0
    order = run.stop_order()
    assert order[0] == "c-1" and sorted(order[1:3]) == ["b-1", "b-2"] and order[3] == "a-1", order
    assert {s.state for s in run.statuses().values()} == {ChildState.STOPPED}
    stopped = [e["process"] for e in run.events() if e["event"] == "process stopped"]
    assert sorted(stopped) == ["a-1", "b-1", "b-2", "c-1"]


def test_a_dead_child_is_restarted_and_the_others_keep_running(tmp_path):
    run = Run(tmp_path, [("a-1", "a", "serve"), ("b-1", "b", "serve")])
    try:
        wait_until(lambda: run.running("a-1", "b-1"), timeout_s=60, interval_s=0.05)
        before = run.statuses()
        os.kill(before["a-1"].pid, signal.SIGKILL)
        wait_until(
            lambda: run.running("a-1") and run.statuses()["a-1"].pid != before["a-1"].pid, timeout_s=60, interval_s=0.05
        )
        after = run.statuses()
        assert after["a-1"].starts == 2 and after["a-1"].last_exit == "killed by SIGKILL"
        assert after["b-1"].pid == before["b-1"].pid and after["b-1"].starts == 1
        assert summarise(run.status) == ("ok", "2 running, 1 restart(s)")
    finally:
        assert run.finish() == 0
    ended = [e for e in run.events() if e["event"] == "process ended"]
    assert [(e["process"], e["status"]) for e in ended] == [("a-1", "killed by SIGKILL")]


def test_a_crash_loop_is_given_up_loudly_and_the_others_keep_running(tmp_path):
    run = Run(tmp_path, [("a-1", "a", "serve"), ("b-1", "b", "exit:3")])
    try:
        wait_until(
            lambda: run.statuses().get("b-1") and run.statuses()["b-1"].state is ChildState.GIVEN_UP,
            timeout_s=60,
            interval_s=0.05,
        )
        wait_until(lambda: run.running("a-1"), timeout_s=30, interval_s=0.05)
        given_up = run.statuses()["b-1"]
        assert given_up.starts == 3 and given_up.last_exit == "exit status 3"
        assert summarise(run.status) == ("fail", "b-1 given up (exit status 3)")
        errors = [e for e in run.events() if e["event"] == "process given up: not restarted"]
        assert errors and errors[0]["level"] == "error" and errors[0]["reason"] == "3 exits within 60 s"
        waits = [e["in_seconds"] for e in run.events() if e["event"] == "process restarting"]
        assert waits == [0.05, 0.1]  # doubling
    finally:
        assert run.finish() == 1  # the supervisor says something went wrong
    assert run.stop_order() == ["a-1"]


def test_a_child_refusing_its_configuration_is_not_restarted_and_nothing_left_stops_the_supervisor(tmp_path):
    run = Run(tmp_path, [("a-1", "a", "exit:2")])
    assert run.finish(sig=None) == 2  # the configuration's exit status, as without a supervisor
    assert run.statuses()["a-1"].starts == 1
    assert any(
        e["event"] == "process given up: not restarted" and e["reason"] == "it refused its configuration"
        for e in run.events()
    )


def test_a_child_that_ignores_sigterm_is_killed_after_the_stop_timeout(tmp_path):
    run = Run(tmp_path, [("a-1", "a", "deaf")], stop_timeout=0.5)
    wait_until(lambda: run.running("a-1"), timeout_s=60, interval_s=0.05)
    assert run.finish() == 0
    assert any(e["event"] == "process did not stop in time; killing it" for e in run.events())
    assert run.statuses()["a-1"].last_exit == "killed by SIGKILL"


def test_killing_the_supervisor_leaves_no_child_running(tmp_path):
    run = Run(tmp_path, [("a-1", "a", "serve"), ("b-1", "b", "serve"), ("b-2", "b", "deaf")])
    wait_until(lambda: run.running("a-1", "b-1", "b-2"), timeout_s=60, interval_s=0.05)
    pids = [s.pid for s in run.statuses().values()]
    assert run.finish(signal.SIGKILL) == -signal.SIGKILL
    wait_until(lambda: all(gone(pid) for pid in pids), timeout_s=10)
    assert summarise(run.status)[0] == "warn"  # recorded as running by a supervisor that is gone


def test_children_lines_reach_one_stream_whole(tmp_path):
    size = 200_000  # far above what a pipe keeps whole when several processes write to it
    run = Run(tmp_path, [(f"c-{n}", "c", f"chatty:{size}") for n in range(1, 4)])
    wait_until(lambda: run.running("c-1", "c-2", "c-3"), timeout_s=60, interval_s=0.05)
    assert run.finish() == 0
    assert all(line.startswith((b"{", b"[c-")) for line in run.lines)
    events = run.events()  # every line parses: none was cut or mixed with another
    chatter = [e for e in events if e["event"] == "chatter"]
    assert len(chatter) == 60
    assert all(e["pad"] == e["process"] * (size // len(e["process"])) for e in chatter)
    assert sorted(line for line in run.lines if b"unfinished" in line) == [
        f"[c-{n}] an unfinished line without its newline\n".encode() for n in range(1, 4)
    ]


# ----------------------------------------------------------------------------- pieces


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(b'{"event": "x"}', b'{"process": "web-1", "event": "x"}', id="json"),
        pytest.param(b"Traceback (most recent call last):", b"[web-1] Traceback (most recent call last):", id="text"),
        pytest.param(b"{}", b"[web-1] {}", id="empty-object"),
    ],
)
def test_lines_are_tagged_with_the_process(line, expected):
    assert tag("web-1", line) == expected


def test_the_relay_bounds_a_line_without_end(tmp_path):
    read, write = os.pipe()
    relay = LineRelay(write, max_line=10)
    relay.feed("src", "a", b"0123456789abcdefghij-rest")
    relay.close("src", "a")
    os.close(write)
    assert os.read(read, 1000) == b"[a] 0123456789\n[a] abcdefghij\n[a] -rest\n"
    os.close(read)


def test_restart_waits_double_up_to_the_maximum():
    policy = RestartPolicy(delay=1.0, delay_max=5.0)
    assert [policy.next_delay(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
