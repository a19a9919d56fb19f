"""Tables of the web area: staff accounts and sessions, API keys, failed staff logins.

Secrets are never stored: a session cookie and an API key are kept as the SHA-256 of their
random value (they carry 256 bits, so a plain hash is enough), passwords as argon2id.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class StaffRole(StrEnum):
    """What a staff member may do: agents review and decide; admins also manage accounts."""

    AGENT = "agent"
    ADMIN = "admin"


class ApiScope(StrEnum):
    """What an API key may do: ``backoffice`` reads; ``admin`` also changes."""

    BACKOFFICE = "backoffice"
    ADMIN = "admin"


class StaffUser(Base):
    """A member of the fund's staff who logs in to the web interface."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class StaffSession(Base):
    """A logged-in browser: the cookie holds the token, the table its SHA-256."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    address: Mapped[str] = mapped_column(String(64), default="")


class ApiKey(Base):
    """A key a machine client sends as ``Authorization: Bearer <key>``."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scope: Mapped[str] = mapped_column(String(20))
    #: the first characters of the key, shown to tell keys apart
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class StaffLoginFailure(Base):
    """One failed staff login; enough recent ones lock the login (settings.web.lockout_*)."""

    __tablename__ = "staff_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
