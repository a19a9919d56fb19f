"""Request files as received, and their processing state.

A row is created when an upload is received (SFTP close or watcher) and is the only record
that the file exists; workers claim rows, never folder listings. ``response_name`` is held
(unique among rows whose response was not yet collected), so two uploads can never be
answered under one name, even from two SFTP nodes at once.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class FileState(StrEnum):
    """Where a request file is in its way through the gateway."""

    RECEIVED = "RECEIVED"      # registered; the file is in inbox/<code>/
    PROCESSING = "PROCESSING"  # claimed by a worker; the file moved to the archive
    ANSWERED = "ANSWERED"      # response written and final state committed (final)


class RequestFile(Base):
    """One received request file."""

    __tablename__ = "request_files"
    __table_args__ = (
        # A name is held until its response is collected (spec/exchange.md section 1).
        Index(
            "uq_request_files_held_response_name", "provider_code", "response_name", unique=True,
            sqlite_where=text("collected_at IS NULL"), postgresql_where=text("collected_at IS NULL"),
        ),
        Index("ix_request_files_queue", "state", "provider_code", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_code: Mapped[str] = mapped_column(ForeignKey("providers.code"), index=True)
    #: the file name as uploaded (section 1 pattern), without folder
    name: Mapped[str] = mapped_column(String(200))
    #: ``<name without .xml>_REP.xml``
    response_name: Mapped[str] = mapped_column(String(220))
    #: how it arrived: ``sftp`` or ``watcher``
    source: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=FileState.RECEIVED)
    #: recuLe: the moment the upload's close (or rename) was accepted
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: where the bytes are now, relative to the data folder's parent-independent roots:
    #: ``inbox:<code>/<name>`` while RECEIVED, ``archive:<...>`` once claimed
    stored_at: Mapped[str] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: set when the provider deleted the response from /outbox: frees the name
    collected_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
