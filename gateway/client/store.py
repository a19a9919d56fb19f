"""The provider's local database: files made and pushed, responses imported, their findings.

This is the practice's own database, not the gateway's: it has its own metadata and is created
with ``create_all`` on first use (any SQLAlchemy URL; SQLite by default). Tables are prefixed
``client_`` so that they can live beside a practice's other tables.

``client_requests`` also keeps the acts of every file made (matricule, code, date), so that
``make-request`` can number files and catch an act billed twice before the server does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Engine, ForeignKey, Integer, MetaData, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from gateway.store.db import make_engine, make_session_factory
from gateway.store.models.base import NAMING, UtcDateTime


class ClientBase(DeclarativeBase):
    """Base of the local database's tables (separate from the gateway's metadata)."""

    metadata = MetaData(naming_convention=NAMING)


class LocalRequest(ClientBase):
    """A request file made by ``make-request`` (or pushed from elsewhere)."""

    __tablename__ = "client_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    provider_code: Mapped[str] = mapped_column(String(8), index=True)
    convention: Mapped[str | None] = mapped_column(String(4))
    mode: Mapped[str | None] = mapped_column(String(10))
    sequence: Mapped[int | None] = mapped_column(Integer)
    id_fichier: Mapped[str | None] = mapped_column(String(36))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    record_count: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    #: where the file was written (None for files known only from a push)
    path: Mapped[str | None] = mapped_column(Text)
    made_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    pushed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    acts: Mapped[list[LocalAct]] = relationship(back_populates="request", cascade="all, delete-orphan")


class LocalAct(ClientBase):
    """One act of a file made: what DUP-001/DUP-002 compare, and the CSV line it came from."""

    __tablename__ = "client_request_acts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("client_requests.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(35))
    matricule: Mapped[str] = mapped_column(String(13))
    code: Mapped[str] = mapped_column(String(5))
    act_date: Mapped[dt.date] = mapped_column(Date)
    csv_line: Mapped[int | None] = mapped_column(Integer)

    request: Mapped[LocalRequest] = relationship(back_populates="acts")


class LocalResponse(ClientBase):
    """A response file imported; unique by its SHA-256, so importing twice changes nothing."""

    __tablename__ = "client_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(220))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    request_name: Mapped[str] = mapped_column(String(220), index=True)
    status: Mapped[str] = mapped_column(String(24))
    mode: Mapped[str | None] = mapped_column(String(10))
    convention: Mapped[str | None] = mapped_column(String(4))
    id_fichier: Mapped[str | None] = mapped_column(String(36))
    sequence: Mapped[int | None] = mapped_column(Integer)
    request_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    processed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    records_received: Mapped[int | None] = mapped_column(Integer)
    records_accepted: Mapped[int | None] = mapped_column(Integer)
    records_rejected: Mapped[int | None] = mapped_column(Integer)
    amount_received: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    amount_accepted: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    duplicate_of: Mapped[str | None] = mapped_column(String(220))
    source: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    errors: Mapped[list[LocalFinding]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="LocalFinding.position"
    )
    records: Mapped[list[LocalResponseRecord]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="LocalResponseRecord.position"
    )


class LocalResponseRecord(ClientBase):
    """A record of a response, with its status."""

    __tablename__ = "client_response_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("client_responses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(32))

    response: Mapped[LocalResponse] = relationship(back_populates="records")
    errors: Mapped[list[LocalFinding]] = relationship(back_populates="record", order_by="LocalFinding.position")


class LocalFinding(ClientBase):
    """An ``Erreur`` of a response: file-level when ``record_row_id`` is None."""

    __tablename__ = "client_response_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("client_responses.id", ondelete="CASCADE"), index=True)
    record_row_id: Mapped[int | None] = mapped_column(ForeignKey("client_response_records.id", ondelete="CASCADE"))
    #: 1, 2, ... in the order of the response file
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    line: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    message_fr: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)

    response: Mapped[LocalResponse] = relationship(back_populates="errors")
    record: Mapped[LocalResponseRecord | None] = relationship(back_populates="errors")


def open_store(url: str) -> tuple[Engine, sessionmaker[Session]]:
    """Opens (and on first use creates) the local database at ``url``."""
    engine = make_engine(url)
    ClientBase.metadata.create_all(engine)
    return engine, make_session_factory(engine)
