"""The supervisor's loop: start the children, relay their logs, restart the dead, stop in order.

Everything happens in the main thread around one ``select``: children's log pipes, their
readiness pipes, and a wake-up pipe that signals (SIGCHLD, SIGTERM, SIGINT) write to. No
other thread runs, so no lock is needed, and every child is started by the main thread
(``PR_SET_PDEATHSIG`` fires when the thread that started a child ends).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from gateway.config import ProcessesSettings, declared
from gateway.logs import get_logger
from gateway.service import notify
from gateway.supervisor.child import ENV_NAME, ENV_READY_FD, ENV_SUPERVISOR_PID
from gateway.supervisor.relay import LineRelay
from gateway.supervisor.status import ChildState, ChildStatus, StatusBoard

log = get_logger(__name__)

#: exit status of a command that refused its usage or configuration: restarting cannot help
CONFIGURATION_EXIT = 2
#: how long, once every child has stopped, to wait for grandchildren holding a log pipe open
DRAIN_SECONDS = 2.0


@dataclass(frozen=True)
class ChildSpec:
    """One child to run: its name (``worker-2``), its role, and its command line."""

    name: str
    role: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class RestartPolicy:
    """When to restart a dead child, when to stop trying, how long a stop may take."""

    delay: float = declared(ProcessesSettings, "restart_delay")
    delay_max: float = declared(ProcessesSettings, "restart_delay_max")
    crash_loop_exits: int = declared(ProcessesSettings, "crash_loop_exits")
    crash_loop_window: float = declared(ProcessesSettings, "crash_loop_window")
    stop_timeout: float = declared(ProcessesSettings, "stop_timeout")

    def next_delay(self, recent_exits: int) -> float:
        """The wait before restart number ``recent_exits`` within the window (doubling)."""
        return min(self.delay * float(2 ** max(0, recent_exits - 1)), self.delay_max)


@dataclass
class _Child:
    spec: ChildSpec
    state: ChildState = ChildState.STOPPED
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    exits: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    last_exit: str = ""
    ready_once: bool = False


def describe_exit(returncode: int) -> str:
    """``exit status 1`` or ``killed by SIGKILL``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


class Supervisor:
    """Runs ``specs`` as child processes until SIGTERM or SIGINT; see the package docstring."""

    def __init__(
        self,
        specs: Sequence[ChildSpec],
        policy: RestartPolicy,
        *,
        env: Mapping[str, str],
        status: StatusBoard | None = None,
        clock: Callable[[], float] = time.monotonic,
        log_fd: int = 2,
    ) -> None:
        self._children = [_Child(spec) for spec in specs]
        self._roles = list(dict.fromkeys(spec.role for spec in specs))
        self._policy = policy
        self._env = dict(env)
        self._status = status
        self._clock = clock
        self._relay = LineRelay(log_fd)
        self._selector = selectors.DefaultSelector()
        self._stop_signal: int | None = None
        self._force = False
        self._announced = False
        self._gave_up = False
        #: a child was given up on for another reason than its configuration
        self._gave_up_crashing = False

    # ------------------------------------------------------------------ main loop

    def run(self) -> int:
        """Supervises until asked to stop; returns 0, 2 (the configuration's exit status) when
        the children given up on all refused their configuration, or 1 when one crashed in a loop."""
        wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._selector.register(wake_read, selectors.EVENT_READ, ("wake", None))
        previous_wakeup = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select
        try:
            if self._status is not None:
                self._status.retire(set(self._roles), {c.spec.name for c in self._children})
            for child in self._children:
                self._spawn(child)
            while self._stop_signal is None:
                self._step(self._timeout())
                if not any(c.state is not ChildState.GIVEN_UP for c in self._children):
                    log.error("every process was given up on; the supervisor stops")
                    break
            self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(previous_wakeup)
            for key in list(self._selector.get_map().values()):
                self._selector.unregister(key.fileobj)
                os.close(key.fd)
            os.close(wake_write)
            self._selector.close()
        if not self._gave_up:
            return 0
        return 1 if self._gave_up_crashing else CONFIGURATION_EXIT

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stop_signal is not None:
            self._force = True  # a second request: do not wait for in-flight work
        self._stop_signal = signum

    def _timeout(self) -> float:
        due = [c.restart_at for c in self._children if c.restart_at is not None]
        if not due:
            return 1.0
        return max(0.0, min(1.0, min(due) - self._clock()))

    def _step(self, timeout: float) -> None:
        """Waits up to ``timeout`` for output or a signal, then handles exits and restarts."""
        for key, _ in self._selector.select(timeout):
            kind, child = key.data
            if kind == "wake":
                try:
                    while os.read(key.fd, 512):
                        pass
                except BlockingIOError:
                    pass
                continue
            data = os.read(key.fd, 65536)
            if kind == "log":
                if data:
                    self._relay.feed(key.fd, child.spec.name, data)
                else:
                    self._relay.close(key.fd, child.spec.name)
            elif kind == "ready" and b"ready" in data:
                self._ready(child)
            if not data:
                self._selector.unregister(key.fd)
                os.close(key.fd)
        for child in self._children:
            if child.process is not None and child.process.poll() is not None:
                self._exited(child)
        if self._stop_signal is None:
            now = self._clock()
            for child in self._children:
                if child.restart_at is not None and child.restart_at <= now:
                    self._spawn(child)

    # ------------------------------------------------------------------ one child

    def _spawn(self, child: _Child) -> None:
        child.restart_at = None
        log_read, log_write = os.pipe2(os.O_CLOEXEC)
        ready_read, ready_write = os.pipe2(os.O_CLOEXEC)
        env = {
            **self._env,
            ENV_SUPERVISOR_PID: str(os.getpid()),
            ENV_NAME: child.spec.name,
            ENV_READY_FD: str(ready_write),
        }
        env.pop("NOTIFY_SOCKET", None)  # systemd hears from the supervisor only
        try:
            # A process group of its own: a terminal's Ctrl-C reaches the supervisor only,
            # which then stops the children in order.
            child.process = subprocess.Popen(
                child.spec.argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_write,
                stderr=log_write,
                pass_fds=(ready_write,),
                process_group=0,
            )
        except OSError as exc:
            os.close(log_read)
            os.close(ready_read)
            child.process = None
            log.error("process could not be started", process=child.spec.name, error=str(exc))
            self._after_exit(child, f"not started: {exc.strerror or exc}", configuration=False)
            return
        finally:
            os.close(log_write)
            os.close(ready_write)
        os.set_blocking(log_read, False)
        os.set_blocking(ready_read, False)
        self._selector.register(log_read, selectors.EVENT_READ, ("log", child))
        self._selector.register(ready_read, selectors.EVENT_READ, ("ready", child))
        child.starts += 1
        child.state = ChildState.STARTING
        log.info("process started", process=child.spec.name, role=child.spec.role, pid=child.process.pid)
        self._publish(child)

    def _ready(self, child: _Child) -> None:
        if child.state is not ChildState.STARTING:
            return
        child.state = ChildState.RUNNING
        child.ready_once = True
        log.info("process ready", process=child.spec.name, pid=child.process.pid if child.process else None)
        self._publish(child)
        self._announce_when_ready()

    def _announce_when_ready(self) -> None:
        """Logs ``gateway ready`` (and tells systemd) once every child not given up is ready."""
        if self._announced or not any(c.ready_once for c in self._children):
            return
        if any(c.state is not ChildState.GIVEN_UP and not c.ready_once for c in self._children):
            return
        self._announced = True
        log.info(
            "gateway ready",
            processes=[c.spec.name for c in self._children if c.ready_once],
            given_up=[c.spec.name for c in self._children if c.state is ChildState.GIVEN_UP],
        )
        notify("READY=1")

    def _exited(self, child: _Child) -> None:
        assert child.process is not None
        returncode = child.process.returncode
        pid = child.process.pid
        child.process = None
        how = describe_exit(returncode)
        if self._stop_signal is not None:
            child.state = ChildState.STOPPED
            child.last_exit = how
            log.info("process stopped", process=child.spec.name, pid=pid, status=how)
            self._publish(child)
            return
        log.warning("process ended", process=child.spec.name, pid=pid, status=how)
        self._after_exit(child, how, configuration=returncode == CONFIGURATION_EXIT)

    def _after_exit(self, child: _Child, how: str, *, configuration: bool) -> None:
        """Schedules a restart with back-off, or gives up on a crash loop."""
        now = self._clock()
        child.exits.append(now)
        while child.exits and child.exits[0] < now - self._policy.crash_loop_window:
            child.exits.popleft()
        child.last_exit = how
        if configuration or len(child.exits) >= self._policy.crash_loop_exits:
            child.state = ChildState.GIVEN_UP
            self._gave_up = True
            self._gave_up_crashing = self._gave_up_crashing or not configuration
            why = (
                "it refused its configuration"
                if configuration
                else f"{len(child.exits)} exits within {self._policy.crash_loop_window:g} s"
            )
            log.error(
                "process given up: not restarted", process=child.spec.name, role=child.spec.role, status=how, reason=why
            )
        else:
            delay = self._policy.next_delay(len(child.exits))
            child.state = ChildState.RESTARTING
            child.restart_at = now + delay
            log.info("process restarting", process=child.spec.name, in_seconds=delay)
        self._publish(child)
        self._announce_when_ready()  # the others may all be ready already

    # ------------------------------------------------------------------ stopping

    def _stop_all(self) -> None:
        """Stops the children role by role, in reverse order, each role's processes together."""
        if self._stop_signal is None:
            self._stop_signal = signal.SIGTERM
        log.info("stopping", signal=signal.Signals(self._stop_signal).name)
        notify("STOPPING=1")
        for child in self._children:
            if child.state is ChildState.RESTARTING:
                child.restart_at = None
                child.state = ChildState.STOPPED
                self._publish(child)
        for role in reversed(self._roles):
            group = [c for c in self._children if c.spec.role == role and c.process is not None]
            for child in group:
                self._signal(child, signal.SIGTERM)
            deadline = self._clock() + self._policy.stop_timeout
            killed = False
            while any(c.process is not None for c in group):
                if not killed and (self._force or self._clock() > deadline):
                    killed = True
                    for child in group:
                        if child.process is not None:
                            log.warning("process did not stop in time; killing it", process=child.spec.name)
                            self._signal(child, signal.SIGKILL)
                self._step(0.2)
        deadline = self._clock() + DRAIN_SECONDS
        while len(self._selector.get_map()) > 1 and self._clock() < deadline:
            self._step(0.1)

    @staticmethod
    def _signal(child: _Child, sig: int) -> None:
        try:
            if child.process is not None:
                child.process.send_signal(sig)
        except ProcessLookupError:
            pass

    def _publish(self, child: _Child) -> None:
        if self._status is None:
            return
        pid = child.process.pid if child.process is not None else None
        self._status.publish(
            ChildStatus(
                name=child.spec.name,
                role=child.spec.role,
                state=child.state,
                pid=pid,
                starts=child.starts,
                last_exit=child.last_exit,
                host=self._status.host,
                supervisor_pid=os.getpid(),
            )
        )
