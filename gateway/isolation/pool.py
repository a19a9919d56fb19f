"""The gateway's side: a pool of warm worker processes, each used by one call at a time."""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from gateway.isolation import (
    Output,
    WorkerUnavailable,
    WorkFailed,
    WorkLimitExceeded,
    WorkLimits,
)
from gateway.isolation.protocol import FrameClosed, FrameInvalid, FrameTimeout, encode, read_frame, write_all
from gateway.logs import get_logger
from gateway.metrics import ISOLATED_WORK

log = get_logger(__name__)

#: modules a worker imports before it is ready, so that the first call is not slowed by them
DEFAULT_PRELOAD = (
    "gateway.intake.documents.content:warm_up",
    "gateway.intake.kinds",
    "gateway.web.thumbnails",
)
#: largest answer a worker may send (text of two pages, a PNG thumbnail, a verdict)
MAX_OUTPUT_BYTES = 16 * 1024 * 1024
#: calls a worker serves before it is replaced (memory fragmentation, library caches)
MAX_CALLS = 500
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_SIGNALS: dict[int, str] = {
    signal.SIGXCPU: "CPU time",
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "crashed (SIGSEGV)",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "crashed (SIGBUS)",
    signal.SIGTRAP: "crashed (SIGTRAP)",
    signal.SIGALRM: "wall time",
}


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        return _SIGNALS.get(-code, f"signal {-code}")
    return f"exited with status {code}"


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, limits: WorkLimits, preload: tuple[str, ...]) -> None:
        settings = json.dumps({"memory_bytes": limits.memory_bytes, "preload": list(preload)})
        env = dict(
            os.environ,
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONPATH=os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])),
        )
        try:
            # Popen forks with vfork/exec and runs no Python in the child: safe in a threaded process.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.isolation.worker", settings],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise WorkerUnavailable(f"cannot start a document worker: {exc}") from None
        assert self.process.stdin is not None and self.process.stdout is not None
        self.to_worker = self.process.stdin.fileno()
        self.from_worker = self.process.stdout.fileno()
        os.set_blocking(self.to_worker, False)
        os.set_blocking(self.from_worker, False)
        self.started = time.monotonic()
        self.ready = False
        self.calls = 0
        self.resident = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, limits: WorkLimits) -> None:
        """Reads the worker's ready frame; raises WorkerUnavailable when it does not come."""
        if self.ready:
            return
        try:
            header, _ = read_frame(self.from_worker, self.started + limits.startup_seconds, 0)
        except (FrameTimeout, FrameClosed, FrameInvalid) as exc:
            self.kill()
            raise WorkerUnavailable(
                f"document worker did not start: {_describe_exit(self.process.poll())} ({type(exc).__name__})"
            ) from None
        if not header.get("ready"):
            self.kill()
            raise WorkerUnavailable("document worker did not start: unexpected first frame")
        self.ready = True

    def call(self, task: str, data: bytes, params: dict[str, Any], limits: WorkLimits) -> Output:
        """One task; raises FrameClosed when the worker was already gone before it got the request."""
        self.calls += 1
        deadline = time.monotonic() + limits.wall_seconds
        request = encode(
            {"task": task, "params": params, "cpu_seconds": limits.cpu_seconds, "wall_seconds": limits.wall_seconds},
            data,
        )
        write_all(self.to_worker, request, deadline)  # FrameClosed: a worker that died idle
        try:
            header, payload = read_frame(self.from_worker, deadline, MAX_OUTPUT_BYTES)
        except FrameTimeout:
            self.kill()
            raise WorkLimitExceeded(f"no answer within {limits.wall_seconds:g} s (wall time)", limit="wall") from None
        except FrameClosed:
            code = self.reap()
            raise WorkLimitExceeded(f"the reader {_describe_exit(code)}", limit=_describe_exit(code)) from None
        except FrameInvalid as exc:
            self.kill()
            raise WorkFailed(f"the worker broke the protocol: {exc}") from None
        if header.get("ok"):
            self.resident = int(header.get("rss", 0))
            return Output(header.get("value"), payload)
        if "limit" in header:
            self.reap()
            raise WorkLimitExceeded(f"the reader ran out of {header['limit']}", limit=str(header["limit"]))
        raise WorkFailed(str(header.get("error", "unknown error")))

    def reap(self, timeout: float = 5.0) -> int | None:
        """Waits a moment for the process to end (it closed its pipe), else kills it."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.returncode

    def kill(self) -> None:
        """Ends the process (SIGKILL: it may be stuck in C code) and closes the pipes."""
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process SIGKILL did not end
            log.warning("document worker did not end after SIGKILL", pid=self.pid)
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                if pipe is not None:  # both are pipes: the process was started with PIPE
                    pipe.close()
            except OSError:
                pass


class Isolation:
    """Runs tasks on untrusted bytes in up to ``workers`` worker processes under ``limits``.

    Thread-safe; callers wait (at most the wall time) for a free worker. Workers start on
    first use (or :meth:`warm`) and are replaced at once when one is lost.
    """

    def __init__(
        self,
        limits: WorkLimits | None = None,
        *,
        workers: int = 2,
        preload: tuple[str, ...] = DEFAULT_PRELOAD,
        max_calls: int = MAX_CALLS,
    ) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        self.limits = limits or WorkLimits()
        self.size = workers
        self.preload = preload
        self.max_calls = max_calls
        self._idle: list[_Worker] = []
        self._live = 0
        self._closed = False
        self._changed = threading.Condition()

    # ------------------------------------------------------------------ calls

    def run(self, task: str, data: bytes = b"", **params: Any) -> Output:
        """Runs ``task`` (``module:function``) on ``data`` in a worker; its Output, or an IsolationError."""
        name = task.rsplit(":", 1)[-1]
        for attempt in (1, 2):
            worker = self._acquire()
            healthy = False
            try:
                worker.wait_ready(self.limits)
                output = worker.call(task, data, params, self.limits)
                healthy = True
                ISOLATED_WORK.labels(task=name, result="ok").inc()
                return output
            except FrameClosed:
                if attempt == 2:  # two workers gone before reading a request: not the input's doing
                    ISOLATED_WORK.labels(task=name, result="unavailable").inc()
                    raise WorkerUnavailable("document workers die before reading their input") from None
            except WorkLimitExceeded as exc:
                ISOLATED_WORK.labels(task=name, result="limit").inc()
                log.warning("document worker stopped", task=name, pid=worker.pid, reason=exc.message)
                raise
            except WorkFailed as exc:
                ISOLATED_WORK.labels(task=name, result="failed").inc()
                log.warning("document task failed", task=name, error=exc.message)
                raise
            except WorkerUnavailable:
                ISOLATED_WORK.labels(task=name, result="unavailable").inc()
                raise
            finally:
                self._release(worker, healthy)
        raise AssertionError("unreachable")

    def warm(self) -> None:
        """Starts every worker now (they import their modules while nothing waits for them)."""
        with self._changed:
            while not self._closed and self._live < self.size:
                self._idle.append(_Worker(self.limits, self.preload))
                self._live += 1

    def close(self) -> None:
        """Ends idle workers; busy ones end when their call returns."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._changed.notify_all()
        for worker in idle:
            worker.kill()

    def pids(self) -> list[int]:
        """Process ids of the idle workers (for tests and the status page)."""
        with self._changed:
            return [w.pid for w in self._idle]

    # ------------------------------------------------------------------ the pool

    def _acquire(self) -> _Worker:
        deadline = time.monotonic() + self.limits.wall_seconds
        with self._changed:
            while True:
                if self._closed:
                    raise WorkerUnavailable("the document workers are shut down")
                if self._idle:
                    return self._idle.pop()
                if self._live < self.size:
                    self._live += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._changed.wait(remaining):
                    if not self._idle and self._live >= self.size:
                        raise WorkerUnavailable(
                            f"all {self.size} document workers busy for {self.limits.wall_seconds:g} s"
                        )
        try:
            return _Worker(self.limits, self.preload)
        except WorkerUnavailable:
            with self._changed:
                self._live -= 1
                self._changed.notify()
            raise

    def _release(self, worker: _Worker, healthy: bool) -> None:
        keep = (
            healthy
            and worker.calls < self.max_calls
            and worker.resident < self.limits.memory_bytes // 2
            and worker.process.poll() is None
        )
        replacement = None
        if not keep:
            worker.kill()
            if not self._closed and worker.ready:
                # Started now, it is ready by the time the next document comes (never when the
                # worker could not even start: that would loop).
                try:
                    replacement = _Worker(self.limits, self.preload)
                except WorkerUnavailable as exc:
                    log.warning("document worker not replaced", error=exc.message)
        with self._changed:
            if keep and not self._closed:
                self._idle.append(worker)
            elif replacement is not None and not self._closed:
                self._idle.append(replacement)
                replacement = None
            else:
                self._live -= 1
            self._changed.notify()
        if keep and self._closed:
            worker.kill()
        if replacement is not None:
            replacement.kill()


_default: Isolation | None = None
_default_lock = threading.Lock()


def default_isolation() -> Isolation:
    """The process's shared pool with the default limits (for callers given none)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Isolation()
            atexit.register(_default.close)
        return _default
