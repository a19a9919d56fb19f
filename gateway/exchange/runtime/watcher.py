"""The watcher: takes files that reach ``inbox/<code>/`` by other means than our SFTP server.

Another SFTP server, a copy by an operator, a synchronisation tool: such files are announced by
filesystem events (watchdog; inotify on Linux) and taken only once complete:

- a rename into place (``moved`` event) is complete at once; it is taken after a short settle
  (``MOVED_SETTLE_S``);
- a file written in place (``created``/``modified``/``closed`` events) is taken once it has
  been quiet for ``exchange.watch_quiet_period`` after its last event.

Taking is :func:`gateway.exchange.runtime.adopt.adopt` (the same rules as startup recovery: temp and
.part names never taken, files of our own SFTP server left to it, bad or held names moved
aside). A rescan at start and every ``exchange.rescan_interval`` catches what events missed
(overflowed event queues, folders moved in whole, network filesystems that send no events).

Remaining risk, documented in docs/exchange.md: a writer that pauses longer than the quiet
period in the middle of a file, without closing it, has its partial file taken.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from gateway.clock import Clock, SystemClock
from gateway.exchange.runtime.adopt import Adoption, adopt, is_candidate_name, scan_inbox
from gateway.exchange.runtime.spool import SpoolPaths
from gateway.logs import get_logger
from gateway.store.files import make_folder

log = get_logger(__name__)

#: wait after a rename into place, so that a server registering its own upload goes first
MOVED_SETTLE_S = 0.2
_WATCHED = {"created", "modified", "closed", "moved", "attrib"}


class _Events(FileSystemEventHandler):
    def __init__(self, watcher: WatcherService) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in _WATCHED:
            return
        moved = event.event_type == "moved"
        path = event.dest_path if moved else event.src_path
        self._watcher.announce(Path(path if isinstance(path, str) else path.decode()), moved=moved)


class WatcherService:
    """Watches the inbox root (a :class:`gateway.service.Service`)."""

    name = "watcher"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        spool: SpoolPaths,
        *,
        quiet_period: float,
        rescan_interval: float,
        clock: Clock | None = None,
    ) -> None:
        self._sessions = sessions
        self._spool = spool
        self._quiet = quiet_period
        self._rescan = rescan_interval
        self._clock = clock or SystemClock()
        self._pending: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Rescans the inbox, then starts watching it."""
        root = self._spool.inbox
        make_folder(root)
        self._observer = Observer()
        self._observer.schedule(_Events(self), str(root), recursive=True)
        self._observer.start()  # before the rescan, so nothing written meanwhile is missed
        self._scan(min_age_s=self._quiet)
        self._thread = threading.Thread(target=self._run, name="exchange-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops watching; files not yet taken are found by the next start's rescan."""
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
        if self._thread is not None:
            self._thread.join()

    # ------------------------------------------------------------------ events

    def announce(self, path: Path, *, moved: bool) -> None:
        """Notes an event on ``path``; ignored unless it is ``inbox/<code>/<name>``."""
        try:
            relative = path.relative_to(self._spool.inbox)
        except ValueError:
            return
        if len(relative.parts) != 2 or not is_candidate_name(relative.parts[1]):
            return
        due = time.monotonic() + (MOVED_SETTLE_S if moved else self._quiet)
        with self._lock:
            self._pending[(relative.parts[0], relative.parts[1])] = (due, moved)
            self._lock.notify_all()

    def _run(self) -> None:
        next_rescan = time.monotonic() + self._rescan
        while not self._stopping.is_set():
            now = time.monotonic()
            if now >= next_rescan:
                next_rescan = now + self._rescan
                self._scan(min_age_s=self._quiet)
            with self._lock:
                due = [key for key, (at, _moved) in self._pending.items() if at <= now]
                taken = {key: self._pending.pop(key)[1] for key in due}
                if not taken:
                    wake_at = min([at for at, _ in self._pending.values()] + [next_rescan])
                    self._lock.wait(max(0.01, min(wake_at - now, 1.0)))
                    continue
            for (code, name), moved in taken.items():
                self._take(code, name, moved)

    def _take(self, code: str, name: str, moved: bool) -> None:
        try:
            result = adopt(
                self._sessions, self._spool, code, name, now=self._clock.now(), min_age_s=0.0 if moved else self._quiet
            )
        except Exception:
            log.exception("taking an inbox file failed", provider=code, file=name)
            result = None
        if result is None or result.result == Adoption.BUSY:
            with self._lock:  # look again once it has been quiet
                self._pending.setdefault((code, name), (time.monotonic() + self._quiet, False))

    def _scan(self, *, min_age_s: float) -> None:
        try:
            for result in scan_inbox(self._sessions, self._spool, now=self._clock.now(), min_age_s=min_age_s):
                if result.result == Adoption.BUSY:
                    with self._lock:
                        self._pending.setdefault((result.code, result.name), (time.monotonic() + self._quiet, False))
        except Exception:
            log.exception("inbox rescan failed")
