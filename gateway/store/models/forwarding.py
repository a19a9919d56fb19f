"""The push of forwarded records to a message broker: a transactional outbox and its publishers.

- ``forwarding_outbox``: one row per message to publish, written in the transaction that
  forwards the records (so a record is in the outbox exactly when it is forwarded), by a void
  (a withdrawal) or by ``gateway forwarded republish``. A publisher claims a provider's oldest
  unsent rows (a lease, like the workers' claims), publishes them in id order and sets
  ``sent_at`` only after the broker confirmed them. A void sets ``cancelled_at`` on rows not
  yet sent nor in flight: they are never published.
- ``publisher_status``: one row per publisher process, its last success and last error, so
  the web node's /status can tell that the broker is unreachable.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class MessageKind(StrEnum):
    """What an outbox row publishes (the AMQP ``type`` is ``forwarded-<kind>``)."""

    RECORD = "record"
    WITHDRAWAL = "withdrawal"


class OutboxMessage(Base):
    """One message for the broker, in the order it must be published for its provider."""

    __tablename__ = "forwarding_outbox"
    __table_args__ = (
        # The publishers' queue: the unsent, uncancelled rows of each provider in id order.
        Index(
            "ix_forwarding_outbox_pending",
            "provider_code",
            "id",
            sqlite_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
        ),
        # The oldest unsent row of all, found without reading the sent ones before it.
        Index(
            "ix_forwarding_outbox_queue",
            "id",
            sqlite_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND cancelled_at IS NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    provider_code: Mapped[str] = mapped_column(String(8))
    request_file_id: Mapped[int] = mapped_column(ForeignKey("request_files.id"), index=True)
    #: the record a ``record`` message carries (its id is the message id)
    forwarded_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("forwarded_records.id"), nullable=True, index=True
    )
    #: AMQP message-id: the forwarding id of the record, ``withdrawal-<file id>`` for a withdrawal
    message_id: Mapped[str] = mapped_column(String(40))
    #: a withdrawal's body (JSON); a record's body is rendered from its row when published
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: 1 for a row added by ``gateway forwarded republish`` (the message says it is a replay)
    replay: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    #: the publisher holding the row, valid until ``lease_until``
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: times the row was claimed for publishing (above 1: a retry)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: set once the broker confirmed the message
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: set by a void before the message was sent: it is never published
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PublisherStatus(Base):
    """What one publisher process last saw of the broker (read by /status on any node)."""

    __tablename__ = "publisher_status"

    #: the publisher's identity (host:pid:token)
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    #: the broker's URL without its password
    broker: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    #: refreshed at least every heartbeat while the process runs
    seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: messages this process had confirmed by the broker
    sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
