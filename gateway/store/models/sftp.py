"""Tables of the sftp area: limits shared by every SFTP process and node.

Several processes (and machines) may serve the same port; connection rates, failed logins
(per address and per account), bans and open sessions are counted here so that each of them sees the same numbers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class SftpSession(Base):
    """An authenticated SFTP session, alive while its node keeps ``seen_at`` fresh."""

    __tablename__ = "sftp_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    provider_code: Mapped[str] = mapped_column(String(8), index=True)
    address: Mapped[str] = mapped_column(String(64))
    #: the serving process (host:pid:random); its sessions die with it
    node: Mapped[str] = mapped_column(String(120), index=True)
    key_fingerprint: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    #: refreshed by the node's heartbeat; stale rows belong to a node that died
    seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class SftpConnection(Base):
    """One accepted TCP connection (counted for the per-address rate limit)."""

    __tablename__ = "sftp_connections"
    __table_args__ = (Index("ix_sftp_connections_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SftpAuthFailure(Base):
    """One failed login from an address (counted for bans)."""

    __tablename__ = "sftp_auth_failures"
    __table_args__ = (Index("ix_sftp_auth_failures_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SftpAccountFailure(Base):
    """One failed password login on an account (from any address), counted for its throttle."""

    __tablename__ = "sftp_account_failures"
    __table_args__ = (Index("ix_sftp_account_failures_account_at", "account", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the user name tried (a provider code, whether or not the account exists)
    account: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SftpBan(Base):
    """An address refused until ``until`` after repeated failed logins."""

    __tablename__ = "sftp_bans"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    banned_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    until: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    failures: Mapped[int] = mapped_column(Integer)
