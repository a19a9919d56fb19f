"""Provider accounts and their SSH keys (the source of truth for providers/accounts/)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.store.models.base import Base, UtcDateTime


class Provider(Base):
    """A provider account: its code is its SFTP user name."""

    __tablename__ = "providers"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    profession: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: argon2id hash, or None when the account logs in by key only
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: comma-separated networks the account may connect from; empty means anywhere
    allowed_networks: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    keys: Mapped[list[ProviderKey]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="ProviderKey.id"
    )


class ProviderKey(Base):
    """An SSH public key allowed to log in as a provider."""

    __tablename__ = "provider_keys"
    __table_args__ = (UniqueConstraint("provider_code", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_code: Mapped[str] = mapped_column(ForeignKey("providers.code", ondelete="CASCADE"), index=True)
    #: OpenSSH form, "SHA256:<base64 without padding>"
    fingerprint: Mapped[str] = mapped_column(String(100))
    algorithm: Mapped[str] = mapped_column(String(40))
    bits: Mapped[int] = mapped_column(Integer)
    #: the public key line "<type> <base64>" (comment kept apart)
    public_key: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    provider: Mapped[Provider] = relationship(back_populates="keys")
