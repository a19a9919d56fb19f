"""Tables of the provider portal: each provider's portal account (second factor, notification
choices, contact address, one-time password link) and the portal's browser sessions.

The portal logs providers in with their SFTP account (``providers``: code, password, enabled,
networks); these tables hold only what the web adds. Secrets are kept as in the staff tables:
session tokens and password links as SHA-256, TOTP secrets encrypted with a key derived from
the web secret.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class PortalAccount(Base):
    """What the portal keeps about one provider account (created at its first portal login)."""

    __tablename__ = "portal_accounts"

    provider_code: Mapped[str] = mapped_column(ForeignKey("providers.code", ondelete="CASCADE"), primary_key=True)
    #: where notifications of changes and of files go; empty: none are sent
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    #: TOTP secret, encrypted (gateway.web.second_factor.SecretBox, scope "provider")
    totp_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    totp_enrolled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: time step of the last accepted code (replay protection)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: e-mail when a response is ready
    notify_response: Mapped[bool] = mapped_column(Boolean, default=False)
    #: one e-mail a day listing the rejected files of the day before
    notify_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    #: SHA-256 of the one-time password-setting link staff sent, and until when it works
    password_link_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    password_link_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: responses answered up to this moment have been notified (set when the choice is turned on)
    notified_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: the local day whose digest was last sent
    digest_sent_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class PortalSession(Base):
    """A provider's logged-in browser; ``pending`` between the password and the second factor."""

    __tablename__ = "portal_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    provider_code: Mapped[str] = mapped_column(ForeignKey("providers.code", ondelete="CASCADE"), index=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
