"""Tables of the web area: staff accounts and sessions, second factors, API keys, failed logins.

Secrets are never stored in clear: a session cookie, an API key and a recovery code are kept
as the SHA-256 of their random value (they carry 80 to 256 bits, so a plain hash is enough),
passwords as argon2id, TOTP secrets encrypted with a key derived from the web secret (the
database alone does not give the second factor).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


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
    #: TOTP secret, encrypted (gateway.web.second_factor.SecretBox); set from the start of enrolment
    totp_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: when the enrolment was confirmed by a first code; None: no second factor yet
    totp_enrolled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: time step of the last accepted code: a code of that step or an earlier one is refused (replay)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class StaffSession(Base):
    """A logged-in browser: the cookie holds the token, the table its SHA-256.

    ``pending`` sessions have passed the password but not yet the second factor: they open
    only the second-factor pages, and live a few minutes.
    """

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: random public name of the session, used by the revocation forms (never the token)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class StaffRecoveryCode(Base):
    """A one-time recovery code of a staff member's second factor, kept as its SHA-256."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


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


class FailureKind(StrEnum):
    """Which check failed: all kinds count together towards the lockout."""

    PASSWORD = "password"
    PASSWORD_CHANGE = "password_change"
    SECOND_FACTOR = "second_factor"


class StaffLoginFailure(Base):
    """One failed staff check (password, current password, second factor); enough recent ones
    lock the login (settings.web.lockout_*)."""

    __tablename__ = "staff_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16), default=FailureKind.PASSWORD)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
