"""Limits shared through the database by every SFTP process and node.

- connections accepted per source address per second (a sliding window over
  ``sftp_connections``; refused connections are not counted, so a client that waits gets in);
- failed logins per address within a window, which ban the address for a while;
- failed password logins per account within the same window, after which each password
  attempt on the account waits before it is checked (doubling up to a ceiling). Nothing locks
  the account: the right password still gets in after the wait, and keys never wait;
- concurrent sessions per account and in total (``sftp_sessions``; each node refreshes its
  rows' ``seen_at``, so the sessions of a node that died stop counting after ``stale_after``).

On PostgreSQL the per-account count is taken with the provider's row locked; on SQLite every
write transaction is already serialised (``BEGIN IMMEDIATE``). The total is a soft limit
across nodes of a PostgreSQL installation: two nodes may both admit the last session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.clock import Clock, SystemClock
from gateway.config import SftpSettings, declared
from gateway.store.db import affected, transaction
from gateway.store.models.accounts import Provider
from gateway.store.models.sftp import SftpAccountFailure, SftpAuthFailure, SftpBan, SftpConnection, SftpSession


@dataclass(frozen=True)
class LimitValues:
    """The limits, as plain values (from SftpSettings)."""

    connections_per_address_per_second: float
    sessions_per_account: int
    sessions_total: int
    ban_after_failures: int
    ban_window: float
    ban_seconds: float
    #: how often a node refreshes its sessions; rows older than 3 x this are dead
    heartbeat: float = 15.0
    #: failed password logins of one account (within ban_window) before attempts on it wait
    account_throttle_after: int = declared(SftpSettings, "account_throttle_after")
    #: the longest such wait, in seconds
    account_throttle_max_delay: float = declared(SftpSettings, "account_throttle_max_delay")

    @property
    def stale_after(self) -> dt.timedelta:
        return dt.timedelta(seconds=3 * self.heartbeat)

    @property
    def rate_window(self) -> tuple[dt.timedelta, int]:
        """(window, connections allowed in it): 10/s -> (1 s, 10); 0.5/s -> (2 s, 1)."""
        rate = self.connections_per_address_per_second
        seconds = max(1.0, 1.0 / rate) if rate > 0 else 1.0
        return dt.timedelta(seconds=seconds), max(1, int(rate * seconds))


class Refusal(StrEnum):
    """Why a connection or a session was refused (logged and audited as is)."""

    BANNED = "banned"
    RATE = "rate"
    ACCOUNT_SESSIONS = "account_sessions"
    TOTAL_SESSIONS = "total_sessions"
    UNAUTHENTICATED = "unauthenticated"
    ADDRESS_UNAUTHENTICATED = "address_unauthenticated"


class Limits:
    """Reads and writes the shared limit tables."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        values: LimitValues,
        *,
        node: str,
        clock: Clock | None = None,
        readers: sessionmaker[Session] | None = None,
    ) -> None:
        self._sessions = sessions
        self._readers = readers or sessions
        self.values = values
        self.node = node
        self._clock = clock or SystemClock()

    def admit_connection(self, address: str) -> Refusal | None:
        """At TCP accept: None (and counted) when the address may connect now."""
        now = self._clock.now()
        window, allowed = self.values.rate_window
        with transaction(self._sessions) as session:
            if self._banned(session, address, now):
                return Refusal.BANNED
            recent = session.execute(
                select(func.count())
                .select_from(SftpConnection)
                .where(SftpConnection.address == address, SftpConnection.at > now - window)
            ).scalar_one()
            if recent >= allowed:
                return Refusal.RATE
            session.add(SftpConnection(address=address, at=now))
        return None

    def is_banned(self, address: str) -> bool:
        """True while ``address`` is banned (checked again at each login attempt)."""
        with self._readers() as session:
            return self._banned(session, address, self._clock.now())

    @staticmethod
    def _banned(session: Session, address: str, now: dt.datetime) -> bool:
        until = session.scalar(select(SftpBan.until).where(SftpBan.address == address))
        return until is not None and until > now

    def record_failure(self, address: str) -> bool:
        """Counts a failed login; returns True when it bans the address."""
        now = self._clock.now()
        values = self.values
        with transaction(self._sessions) as session:
            session.add(SftpAuthFailure(address=address, at=now))
            session.flush()
            failures = session.execute(
                select(func.count())
                .select_from(SftpAuthFailure)
                .where(
                    SftpAuthFailure.address == address,
                    SftpAuthFailure.at > now - dt.timedelta(seconds=values.ban_window),
                )
            ).scalar_one()
            if failures < values.ban_after_failures:
                return False
            until = now + dt.timedelta(seconds=values.ban_seconds)
            ban = session.get(SftpBan, address)
            if ban is None:
                session.add(SftpBan(address=address, banned_at=now, until=until, failures=failures))
            else:
                ban.banned_at, ban.until, ban.failures = now, until, failures
            # counted failures are spent: after the ban, the address starts again from zero
            session.execute(delete(SftpAuthFailure).where(SftpAuthFailure.address == address))
        return True

    def record_account_failure(self, account: str) -> None:
        """Counts a failed password login on ``account`` (an existing account or not)."""
        with transaction(self._sessions) as session:
            session.add(SftpAccountFailure(account=account[:40], at=self._clock.now()))

    def password_delay(self, account: str) -> float:
        """Seconds a password attempt on ``account`` waits before it is checked (0 when not throttled).

        1 s once ``account_throttle_after`` failures are counted within ``ban_window``, doubling
        with each further failure, at most ``account_throttle_max_delay``.
        """
        values = self.values
        since = self._clock.now() - dt.timedelta(seconds=values.ban_window)
        with self._readers() as session:
            failures = (
                session.execute(
                    select(func.count())
                    .select_from(SftpAccountFailure)
                    .where(SftpAccountFailure.account == account[:40], SftpAccountFailure.at > since)
                ).scalar_one()
                or 0
            )
        over = failures - values.account_throttle_after
        if over < 0:
            return 0.0
        return min(values.account_throttle_max_delay, 2.0 ** min(over, 30))

    def open_session(self, session_id: str, provider_code: str, address: str, fingerprint: str) -> Refusal | None:
        """Registers an authenticated session unless a session limit is reached."""
        now = self._clock.now()
        alive = now - self.values.stale_after
        with transaction(self._sessions) as session:
            # Serialises logins of one account across nodes (a no-op lock on SQLite).
            session.execute(select(Provider.code).where(Provider.code == provider_code).with_for_update())
            mine = session.execute(
                select(func.count())
                .select_from(SftpSession)
                .where(SftpSession.provider_code == provider_code, SftpSession.seen_at > alive)
            ).scalar_one()
            if mine >= self.values.sessions_per_account:
                return Refusal.ACCOUNT_SESSIONS
            total = session.execute(
                select(func.count()).select_from(SftpSession).where(SftpSession.seen_at > alive)
            ).scalar_one()
            if total >= self.values.sessions_total:
                return Refusal.TOTAL_SESSIONS
            session.add(
                SftpSession(
                    id=session_id,
                    provider_code=provider_code,
                    address=address,
                    node=self.node,
                    key_fingerprint=fingerprint,
                    started_at=now,
                    seen_at=now,
                )
            )
        return None

    def close_session(self, session_id: str) -> None:
        """Forgets a session that ended."""
        with transaction(self._sessions) as session:
            session.execute(delete(SftpSession).where(SftpSession.id == session_id))

    def heartbeat(self) -> None:
        """Keeps this node's sessions alive; drops dead nodes' sessions and old counters."""
        now = self._clock.now()
        with transaction(self._sessions) as session:
            session.execute(update(SftpSession).where(SftpSession.node == self.node).values(seen_at=now))
            session.execute(delete(SftpSession).where(SftpSession.seen_at <= now - self.values.stale_after))
            window, _ = self.values.rate_window
            session.execute(delete(SftpConnection).where(SftpConnection.at <= now - window))
            session.execute(
                delete(SftpAuthFailure).where(SftpAuthFailure.at <= now - dt.timedelta(seconds=self.values.ban_window))
            )
            session.execute(
                delete(SftpAccountFailure).where(
                    SftpAccountFailure.at <= now - dt.timedelta(seconds=self.values.ban_window)
                )
            )
            session.execute(delete(SftpBan).where(SftpBan.until <= now))

    def live_nodes(self) -> list[str]:
        """Names of the server processes (any host) whose sessions are alive."""
        alive = self._clock.now() - self.values.stale_after
        with self._readers() as session:
            return list(session.scalars(select(SftpSession.node).where(SftpSession.seen_at > alive).distinct()))

    def forget_dead_nodes(self, is_dead: Callable[[str], bool]) -> int:
        """Removes the sessions of processes ``is_dead`` names (a crash of this host's server); returns how many."""
        with transaction(self._sessions) as session:
            nodes = [n for n in session.scalars(select(SftpSession.node).distinct()) if is_dead(n)]
            if not nodes:
                return 0
            return affected(session.execute(delete(SftpSession).where(SftpSession.node.in_(nodes)))) or 0

    def forget_node(self) -> None:
        """Removes this node's sessions (at stop)."""
        with transaction(self._sessions) as session:
            session.execute(delete(SftpSession).where(SftpSession.node == self.node))
