"""What /status and /metrics report: checks of the parts the web node can see.

Each check returns a :class:`Check`; nothing here raises. "Workers alive" is read from the
database: a file claimed by a worker whose lease ran out, or a received file waiting much
longer than the checks take, means no live worker is taking work.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine, Exists, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from gateway.exchange.checks.messages import INTERNAL_ERROR
from gateway.exchange.runtime.forwarding.monitor import forwarding_health
from gateway.host_checks import host_checks
from gateway.store import schema
from gateway.store.files import make_folder
from gateway.store.models.exchange import FileState, RequestFile, RequestFinding
from gateway.store.models.sftp import SftpSession

#: a received file older than this with nothing in progress means the workers are not running
STALE_QUEUE_SECONDS = 300
#: an SFTP session row not refreshed for this long belongs to a node that died (3 heartbeats)
SFTP_SESSION_STALE = dt.timedelta(seconds=45)
#: a file answered with SYS-001 (could not be checked) keeps /status at "warn" this long
INTERNAL_ERROR_WINDOW = dt.timedelta(days=7)


class CheckResult(StrEnum):
    """Outcome of one check."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One line of the status page."""

    name: str
    result: CheckResult
    detail: str = ""


def check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the finding itself
        return Check("database", CheckResult.FAIL, type(exc).__name__)
    return Check("database", CheckResult.OK, engine.dialect.name)


def check_migrations(engine: Engine) -> Check:
    try:
        current, expected = schema.current_heads(engine), schema.expected_heads()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return Check("migrations", CheckResult.FAIL, type(exc).__name__)
    if current != expected:
        return Check("migrations", CheckResult.FAIL, f"missing: {', '.join(sorted(expected - current))}")
    return Check("migrations", CheckResult.OK, ", ".join(sorted(current)))


def check_writable(name: str, folder: Path) -> Check:
    """Creates and removes a temporary file in ``folder``."""
    try:
        make_folder(folder)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".status-", delete=True):
            pass
    except OSError as exc:
        return Check(f"folder {name}", CheckResult.FAIL, exc.strerror or type(exc).__name__)
    return Check(f"folder {name}", CheckResult.OK, "writable")


def check_listening(name: str, host: str, port: int) -> Check:
    """Opens and closes a TCP connection (the SFTP server may run on another node)."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            pass
    except OSError as exc:
        return Check(name, CheckResult.FAIL, f"{host}:{port} {exc.strerror or type(exc).__name__}")
    return Check(name, CheckResult.OK, f"{host}:{port}")


def check_workers(sessions: sessionmaker[Session], now: dt.datetime) -> Check:
    try:
        with sessions() as session:
            expired = (
                session.scalar(
                    select(func.count())
                    .select_from(RequestFile)
                    .where(RequestFile.state == FileState.PROCESSING, RequestFile.lease_until < now)
                )
                or 0
            )
            oldest = oldest_unanswered(session)
    except Exception as exc:  # noqa: BLE001 - any failure to read what is checked is the check's finding
        return Check("workers", CheckResult.FAIL, type(exc).__name__)
    if expired:
        return Check("workers", CheckResult.FAIL, f"{expired} claimed file(s) with an expired lease")
    if oldest is not None and (now - oldest).total_seconds() > STALE_QUEUE_SECONDS:
        return Check(
            "workers", CheckResult.WARN, f"oldest unanswered file waiting {int((now - oldest).total_seconds())} s"
        )
    return Check("workers", CheckResult.OK, "queue moving")


def _answered_with_internal_error() -> Exists:
    return (
        select(RequestFinding.id)
        .where(RequestFinding.request_file_id == RequestFile.id, RequestFinding.code == INTERNAL_ERROR)
        .exists()
    )


def internal_error_files(session: Session, since: dt.datetime | None = None) -> int:
    """Files answered with SYS-001 (not voided), answered since ``since`` if given."""
    query = (
        select(func.count())
        .select_from(RequestFile)
        .where(_answered_with_internal_error(), RequestFile.voided_at.is_(None))
    )
    if since is not None:
        query = query.where(RequestFile.answered_at >= since)
    return session.scalar(query) or 0


def check_internal_errors(sessions: sessionmaker[Session], now: dt.datetime) -> Check:
    """Files the gateway could not check: answered with SYS-001 lately, or failing and retried now."""
    try:
        with sessions() as session:
            answered = internal_error_files(session, now - INTERNAL_ERROR_WINDOW)
            retried = (
                session.scalar(
                    select(func.count())
                    .select_from(RequestFile)
                    .where(RequestFile.state != FileState.ANSWERED, RequestFile.attempts > 1)
                )
                or 0
            )
    except Exception as exc:  # noqa: BLE001 - any failure to read what is checked is the check's finding
        return Check("internal errors", CheckResult.FAIL, type(exc).__name__)
    if not answered and not retried:
        return Check("internal errors", CheckResult.OK, "none")
    return Check(
        "internal errors",
        CheckResult.WARN,
        f"{answered} file(s) answered SYS-001 in {INTERNAL_ERROR_WINDOW.days} days (audit: "
        f"exchange.internal_error); {retried} file(s) being retried",
    )


def check_sftp_sessions(sessions: sessionmaker[Session], now: dt.datetime) -> Check:
    """Live SFTP sessions across every node (rows whose node's heartbeat is recent)."""
    try:
        with sessions() as session:
            live = (
                session.scalar(
                    select(func.count()).select_from(SftpSession).where(SftpSession.seen_at > now - SFTP_SESSION_STALE)
                )
                or 0
            )
    except Exception as exc:  # noqa: BLE001 - any failure to read what is checked is the check's finding
        return Check("sftp sessions", CheckResult.FAIL, type(exc).__name__)
    return Check("sftp sessions", CheckResult.OK, str(live))


def check_forwarding(sessions: sessionmaker[Session], now: dt.datetime) -> Check:
    """The push to the broker: backlog and the publishers' last view of the broker (any node)."""
    try:
        with sessions() as session:
            health = forwarding_health(session, now)
    except Exception as exc:  # noqa: BLE001 - any failure to read what is checked is the check's finding
        return Check("forwarding", CheckResult.FAIL, type(exc).__name__)
    if health.problem:
        return Check("forwarding", CheckResult.WARN, health.problem)
    return Check("forwarding", CheckResult.OK, health.summary)


def oldest_unanswered(session: Session) -> dt.datetime | None:
    """recuLe of the oldest file not yet answered, or None."""
    return session.scalar(select(func.min(RequestFile.received_at)).where(RequestFile.state != FileState.ANSWERED))


def free_bytes(folder: Path) -> int | None:
    """Free space of the file system holding ``folder`` (None when it cannot be read)."""
    try:
        return shutil.disk_usage(folder if folder.exists() else folder.parent).free
    except OSError:
        return None


def all_checks(
    engine: Engine, sessions: sessionmaker[Session], folders: dict[str, Path], sftp: tuple[str, int], now: dt.datetime
) -> list[Check]:
    """Every check, in the order of the status page."""
    checks = [check_database(engine), check_migrations(engine)]
    checks += [check_writable(name, path) for name, path in folders.items()]
    checks.append(check_listening("sftp", *sftp))
    checks.append(check_sftp_sessions(sessions, now))
    checks.append(check_workers(sessions, now))
    checks += [Check(name, CheckResult(result), detail) for name, result, detail in host_checks(folders)]
    checks.append(check_internal_errors(sessions, now))
    checks.append(check_forwarding(sessions, now))
    return checks


def overall(checks: list[Check]) -> CheckResult:
    """The worst result."""
    results = {c.result for c in checks}
    for level in (CheckResult.FAIL, CheckResult.WARN):
        if level in results:
            return level
    return CheckResult.OK
