"""One claimed file's way: archive -> check -> response -> final state, repeatable after a crash.

Each step is idempotent, so a file resumed after a crash at any point ends exactly as if it
had never stopped:

1. The file moves from ``inbox/<code>/`` to its archive place, fixed by its row (already
   there: nothing to do). It leaves the provider's ``/inbox`` listing.
2. The checks run against the database history of files received *before* it (its row id),
   and every time rule uses ``recuLe``: a re-check gives the same outcome.
3. The response is written once, to the archive (temp, fsync, link: never replaced), then
   linked into ``outbox/<code>/`` under its fixed name (never replaced either). A response
   that already exists is kept as it is; its ``traiteLe`` is read back for the database.
4. One transaction records the outcome, the findings, the forwarded records (with their
   broker outbox rows when a broker is configured) and the keyed act hashes, and sets
   ANSWERED, on condition that the claim is still this worker's.

A file that keeps failing (its checks raise, or the process dies while it is in hand) must not
hold its provider's queue for ever: attempts are counted in its row at each claim, and after
``max_attempts`` failed ones :meth:`Processor.give_up` answers it with SYS-001 (REJETE), alerts
staff (audit event ``exchange.internal_error``, metric, /status) and the queue moves on.

Fault points (gateway/exchange/faults.py) sit between the steps for the crash tests.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Update, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import metrics
from gateway.clock import Clock, SystemClock
from gateway.config import ExchangeSettings, declared
from gateway.exchange.checks.answered import outcome_of_response
from gateway.exchange.checks.model import Finding, Mode, Outcome, Received
from gateway.exchange.checks.pipeline import MAX_ERROR_CHARS, Checker, describe, internal_error_outcome
from gateway.exchange.checks.response import render_response
from gateway.exchange.errors import ChecksFailed, ClaimLost, FileMissing
from gateway.exchange.faults import fault_point
from gateway.exchange.runtime.claims import Claim
from gateway.exchange.runtime.forwarding import cents, forward, insert_rows
from gateway.exchange.runtime.history import COUNTING_STATUSES, DatabaseHistory
from gateway.exchange.runtime.spool import SpoolPaths, move_durably
from gateway.logs import get_logger
from gateway.store import audit
from gateway.store.db import is_sqlite, transaction
from gateway.store.files import TEMP_PREFIX, atomic_write, fsync_dir, make_folder
from gateway.store.models.exchange import AcceptedAct, FileState, RequestFile, RequestFinding

log = get_logger(__name__)

_TRAITE_LE = re.compile(rb'traiteLe="([^"]+)"')


@dataclass(frozen=True)
class Processed:
    """What became of a claimed file."""

    file_id: int
    status: str
    response: str
    forwarded: int
    #: True when the response already existed (a resumed file)
    response_existed: bool


def _read_processed_at(data: bytes) -> dt.datetime:
    match = _TRAITE_LE.search(data[:65536])
    if match is None:  # not one of ours: keep a value, the response stays as it is
        return dt.datetime.now(dt.UTC)
    return dt.datetime.fromisoformat(match.group(1).decode()).astimezone(dt.UTC)


class Processor:
    """Takes a claimed file through its way; shared by the worker threads of a process."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        checker: Checker,
        *,
        spool: SpoolPaths,
        timezone: str,
        act_key: bytes,
        clock: Clock | None = None,
        durable: bool = True,
        max_attempts: int = declared(ExchangeSettings, "max_attempts"),
        outbox: bool = False,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        self._max_attempts = max(1, max_attempts)
        self._sessions = sessions
        # the checks' history lookups: on SQLite, sessions that read without the write lock
        # (the usual ones begin IMMEDIATE and queued each lookup behind every claim and commit)
        self._readers = readers or sessions
        # the lookups of one check share one connection, unless that would be a SQLite writer's
        # (BEGIN IMMEDIATE: the write lock held for the whole check)
        bind = sessions.kw.get("bind")
        self._hold_history = readers is not None or bind is None or not is_sqlite(bind)
        self._checker = checker
        self._spool = spool
        self._timezone = timezone
        self._act_key = act_key
        self._clock = clock or SystemClock()
        self._durable = durable
        #: a broker is configured: forwarded records also go to its outbox, in the same transaction
        self._outbox = outbox

    # ------------------------------------------------------------------ steps

    def archive(self, claim: Claim) -> str:
        """Moves the file from the inbox to its archive place (if not there yet); returns that ref."""
        ref = SpoolPaths.archive_ref(claim.provider_code, claim.file_id, claim.name, claim.received_at)
        target = self._spool.resolve(ref)
        if not target.exists():
            source = self._spool.inbox_file(claim.provider_code, claim.name)
            try:
                # Not fsynced here: a move lost with the page cache is simply done again (the row
                # says where the file goes), and respond() fsyncs this folder before the commit.
                move_durably(source, target, durable=False)
            except FileNotFoundError:
                raise FileMissing(
                    f"{claim.name} is neither in the inbox nor in the archive",
                    file_id=claim.file_id,
                    provider=claim.provider_code,
                ) from None
        return ref

    def _received(self, claim: Claim, ref: str) -> Received:
        return Received(
            name=claim.name,
            provider_code=claim.provider_code,
            profession=claim.profession,
            received_at=claim.received_at,
            size=claim.size,
            sha256=claim.sha256,
            path=self._spool.resolve(ref),
        )

    def check(self, claim: Claim, ref: str) -> tuple[Outcome, float]:
        """Runs the checks; returns the outcome and the seconds they took.

        The outcome of checks that failed has ``internal_error`` set (see :meth:`process`).
        """
        received = self._received(claim, ref)
        history = DatabaseHistory(self._readers, act_key=self._act_key, before_id=claim.file_id)
        started = time.perf_counter()
        with history.held() if self._hold_history else nullcontext():
            outcome = self._checker.check(received, history)
        return outcome, time.perf_counter() - started

    def respond(self, claim: Claim, ref: str, outcome: Outcome) -> tuple[dt.datetime, bool]:
        """Writes the response once (archive, then outbox); returns its traiteLe and whether it existed.

        Both folders are fsynced before returning, so the commit that follows never records a
        response (or an archived request) that a power cut could take back.
        """
        archived = self._spool.archived_response(ref, claim.file_id, claim.response_name)
        existed = archived.exists()
        if existed:
            data = archived.read_bytes()
            if self._durable:  # the archived request may have been moved in by this run
                fsync_dir(archived.parent)
        else:
            if claim.attempts > 1:  # a crash while writing may have left a temp file behind
                for stale in archived.parent.glob(f"{TEMP_PREFIX}*-{archived.name}"):
                    stale.unlink(missing_ok=True)
            processed_at = self._clock.now()
            data = render_response(outcome, processed_at=processed_at, timezone=self._timezone)
            if not atomic_write(archived, data, durable=self._durable, overwrite=False):
                existed, data = True, archived.read_bytes()  # another worker won the race
        fault_point("after_archive_response")
        outbox = self._spool.outbox_file(claim.provider_code, claim.response_name)
        if not outbox.exists():
            make_folder(outbox.parent)
            try:
                os.link(archived, outbox)
            except FileExistsError:
                pass
            except OSError:  # archive on another filesystem: a copy, written the same safe way
                atomic_write(outbox, data, durable=self._durable, overwrite=False)
            else:
                if self._durable:
                    fsync_dir(outbox.parent)
        return _read_processed_at(data), existed

    def commit(
        self,
        claim: Claim,
        outcome: Outcome,
        *,
        processed_at: dt.datetime,
        check_seconds: float | None,
        alert: dict[str, Any] | None = None,
    ) -> int:
        """Records the outcome and sets ANSWERED in one transaction; returns records forwarded.

        ``alert`` (given up on the file) is the detail of the ``exchange.internal_error`` audit
        event written in the same transaction. Raises :class:`ClaimLost` (and changes nothing)
        when the claim is no longer this worker's.
        """
        now = self._clock.now()
        with transaction(self._sessions) as session:
            # One conditional update both checks the claim is still ours and sets the outcome
            # (Core: no ORM object is loaded or flushed); on PostgreSQL it takes the row lock.
            values = self._outcome_values(session, claim, outcome)
            values.update(
                processed_at=processed_at,
                check_seconds=check_seconds,
                state=FileState.ANSWERED.value,
                answered_at=now,
                lease_until=None,
            )
            updated = session.connection().execute(
                _answer_statement(tuple(values)),
                {**values, "_file_id": claim.file_id, "_claimant": claim.claimant},
            )
            if updated.rowcount != 1:
                raise ClaimLost(f"claim on file {claim.file_id} lapsed", file_id=claim.file_id)
            self._add_findings(session, claim.file_id, outcome)
            if alert is not None:
                audit.record(
                    session,
                    actor="system",
                    action="exchange.internal_error",
                    target_type="request_file",
                    target_id=str(claim.file_id),
                    outcome="answered",
                    provider=claim.provider_code,
                    file=claim.name,
                    **alert,
                )
            forwarded = 0
            # records is None only for a response given up on (not known: nothing to forward)
            if (
                outcome.mode == Mode.PRODUCTION
                and outcome.status.value in COUNTING_STATUSES
                and outcome.records is not None
            ):
                forwarded = forward(
                    session,
                    file_id=claim.file_id,
                    provider_code=claim.provider_code,
                    file_name=claim.name,
                    outcome=outcome,
                    now=now,
                    outbox_rows=self._outbox,
                )
                self._add_acts(session, claim, outcome)
            fault_point("before_commit")
        fault_point("after_commit")
        return forwarded

    # ------------------------------------------------------------------ the whole way

    def process(self, claim: Claim) -> Processed:
        """Takes ``claim`` from wherever it stopped to ANSWERED, or gives up on it.

        A failed attempt raises (the worker releases the claim and the file is retried) until
        the ``max_attempts``-th, which answers with SYS-001 instead; a claim beyond
        ``max_attempts`` means the earlier attempts ended without even raising (the process
        died in them), so it is answered with SYS-001 at once, without running the checks again.
        """
        if claim.attempts > self._max_attempts:
            return self.give_up(
                claim,
                error=f"{claim.attempts - 1} attempts ended without an answer "
                "(the process stopped or lost its claim while checking)",
                may_resume=claim.attempts == self._max_attempts + 1,
            )
        try:
            return self._process(claim)
        except ClaimLost:
            raise
        except Exception as exc:
            if claim.attempts < self._max_attempts:
                metrics.PROCESSING_FAILURES.labels(action="retry").inc()
                raise
            log.exception(
                "processing failed again: answering SYS-001",
                file_id=claim.file_id,
                provider=claim.provider_code,
                file=claim.name,
                attempt=claim.attempts,
            )
            error = exc.message if isinstance(exc, ChecksFailed) else describe(exc)
            return self.give_up(claim, error=error)

    def give_up(self, claim: Claim, *, error: str, may_resume: bool = False) -> Processed:
        """Answers ``claim`` with SYS-001 (REJETE) and alerts staff; the provider's queue moves on.

        Repeatable like the other steps. A response an earlier attempt already wrote is final:
        the checks once succeeded, so with ``may_resume`` (the first claim beyond the attempts)
        the file is finished the normal way once more; failing that, the response is kept and
        the row records what it says (its records cannot be forwarded from a response: the
        audit event says how many were accepted, for staff to hand on).
        """
        try:
            ref = self.archive(claim)
        except FileMissing:  # answered all the same: the row holds name, size and hash
            ref = SpoolPaths.archive_ref(claim.provider_code, claim.file_id, claim.name, claim.received_at)
        received = self._received(claim, ref)
        archived = self._spool.archived_response(ref, claim.file_id, claim.response_name)
        answered, accepted = outcome_of_response(archived.read_bytes(), received) if archived.exists() else (None, 0)
        if answered is not None and may_resume:
            try:
                return self._process(claim)
            except ClaimLost:
                raise
            except Exception:
                log.exception(
                    "finishing an answered file failed again: recording its response as it is",
                    file_id=claim.file_id,
                    provider=claim.provider_code,
                    file=claim.name,
                )
        outcome = answered or internal_error_outcome(received, error)
        processed_at, existed = self.respond(claim, ref, outcome)  # an existing response is kept
        alert = {"attempts": claim.attempts, "error": error[:MAX_ERROR_CHARS], "response_existed": existed}
        if answered is not None:
            alert.update(status=answered.status.value, records_not_forwarded=accepted)
        forwarded = self.commit(claim, outcome, processed_at=processed_at, check_seconds=None, alert=alert)
        metrics.PROCESSING_FAILURES.labels(action="answered").inc()
        metrics.RESPONSES.labels(convention=outcome.convention or "", status=outcome.status.value).inc()
        for finding in outcome.file_findings:
            metrics.REJECTIONS.labels(code=finding.code, severity=finding.severity.value).inc()
        log.error(
            "given up on a file: staff must look at it",
            file_id=claim.file_id,
            provider=claim.provider_code,
            file=claim.name,
            attempts=claim.attempts,
            status=outcome.status.value,
            error=alert["error"],
            response_existed=existed,
        )
        return Processed(
            file_id=claim.file_id,
            status=outcome.status.value,
            response=claim.response_name,
            forwarded=forwarded,
            response_existed=existed,
        )

    def _process(self, claim: Claim) -> Processed:
        fault_point("after_claim")
        ref = self.archive(claim)
        fault_point("after_move")
        outcome, seconds = self.check(claim, ref)
        metrics.CHECK_DURATION.observe(seconds)
        if outcome.internal_error is not None:
            raise ChecksFailed(outcome.internal_error, file_id=claim.file_id, provider=claim.provider_code)
        fault_point("after_check")
        processed_at, existed = self.respond(claim, ref, outcome)
        if not existed:
            metrics.DEPOSIT_TO_RESPONSE.observe(max(0.0, (self._clock.now() - claim.received_at).total_seconds()))
        fault_point("after_response")
        forwarded = self.commit(claim, outcome, processed_at=processed_at, check_seconds=seconds)
        metrics.RESPONSES.labels(convention=outcome.convention or "", status=outcome.status.value).inc()
        for finding in _all_findings(outcome):
            metrics.REJECTIONS.labels(code=finding.code, severity=finding.severity.value).inc()
        return Processed(
            file_id=claim.file_id,
            status=outcome.status.value,
            response=claim.response_name,
            forwarded=forwarded,
            response_existed=existed,
        )

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _outcome_values(session: Session, claim: Claim, outcome: Outcome) -> dict[str, Any]:
        """The outcome's columns of the file's row."""
        values: dict[str, Any] = {
            "status": outcome.status.value,
            "mode": outcome.mode.value if outcome.mode else None,
            "convention": outcome.convention,
            "id_fichier": outcome.id_fichier,
            "sequence": outcome.sequence,
            "amount_received_cents": cents(outcome.amount_received) if outcome.amount_received is not None else None,
            "amount_accepted_cents": cents(outcome.amount_accepted) if outcome.amount_accepted is not None else None,
        }
        if outcome.records is not None:
            received, accepted = len(outcome.records), len(outcome.accepted_records)
            values.update(records_received=received, records_accepted=accepted, records_rejected=received - accepted)
        if outcome.duplicate_of is not None:
            values["duplicate_of_id"] = session.scalar(
                select(RequestFile.id)
                .where(
                    RequestFile.provider_code == claim.provider_code,
                    RequestFile.name == outcome.duplicate_of.name,
                    RequestFile.received_at == outcome.duplicate_of.received_at,
                    RequestFile.id < claim.file_id,
                )
                .order_by(RequestFile.id)
                .limit(1)
            )
        return values

    @staticmethod
    def _add_findings(session: Session, file_id: int, outcome: Outcome) -> None:
        rows: list[tuple[int | None, str | None, Finding]] = []
        for finding in outcome.file_findings:
            rows.append((None, None, finding))
        for record in outcome.records or ():
            rows.extend((record.position, record.id, finding) for finding in record.findings)
        insert_rows(
            session,
            RequestFinding,
            [
                {
                    "request_file_id": file_id,
                    "position": position,
                    "record_position": record_position,
                    "record_id": record_id,
                    "code": f.code,
                    "severity": f.severity.value,
                    "line": f.line,
                    "column": f.column,
                    "path": f.path,
                    "value": f.value,
                }
                for position, (record_position, record_id, f) in enumerate(rows, start=1)
            ],
        )

    def _add_acts(self, session: Session, claim: Claim, outcome: Outcome) -> None:
        history = DatabaseHistory(self._sessions, act_key=self._act_key)
        hashes = history.hashes(act for record in outcome.accepted_records for act in record.acts)
        insert_rows(
            session,
            AcceptedAct,
            [
                {"request_file_id": claim.file_id, "provider_code": claim.provider_code, "act_hash": digest}
                for digest in sorted(hashes)
            ],
        )


@cache
def _answer_statement(columns: tuple[str, ...]) -> Update:
    """The update that answers a claimed file, setting ``columns`` (bound by their names).

    Built once per set of columns (a handful: with or without records, a duplicate): building
    it per commit cost as much as running it.
    """
    files = RequestFile.__table__
    return (
        files.update()
        .where(
            files.c.id == bindparam("_file_id"),
            files.c.state == FileState.PROCESSING.value,
            files.c.claimed_by == bindparam("_claimant"),
        )
        .values({column: bindparam(column) for column in columns})
    )


def _all_findings(outcome: Outcome) -> Iterator[Finding]:
    yield from outcome.file_findings
    for record in outcome.records or ():
        yield from record.findings
