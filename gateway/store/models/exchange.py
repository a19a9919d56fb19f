"""Request files as received, their processing state, findings, forwarding and history.

A row is created when an upload is received (SFTP close or watcher) and is the only record
that the file exists; workers claim rows, never folder listings. ``response_name`` is held
(unique among rows whose response was not yet collected), so two uploads can never be
answered under one name, even from two SFTP nodes at once.

Tables:

- ``request_files``: one row per received file; after its check it also holds what later
  checks need (status, mode, convention, ``IdFichier``, sequence, SHA-256), which purge keeps.
- ``request_findings``: every finding listed in a file's response (``value`` is erased by
  purge: it may hold a matricule).
- ``forwarded_records``: the hand-off to the back office, one row per accepted record of a
  PRODUCTION file, written in the transaction that makes the file ANSWERED. Ids only increase
  and are never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL).
- ``forwarding_outbox`` and ``publisher_status`` (gateway/store/models/forwarding.py): the push
  of forwarded records to a message broker.
- ``accepted_acts``: keyed hashes (HMAC-SHA-256) of matricule, act code and act date of
  accepted records of PRODUCTION files, for DUP-002; they carry no personal data in clear and
  are kept after purge.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models.base import Base, UtcDateTime


class FileState(StrEnum):
    """Where a request file is in its way through the gateway."""

    RECEIVED = "RECEIVED"  # registered; the file is in inbox/<code>/
    PROCESSING = "PROCESSING"  # claimed by a worker; the file moved to the archive
    ANSWERED = "ANSWERED"  # response written and final state committed (final)


class RequestFile(Base):
    """One received request file."""

    __tablename__ = "request_files"
    __table_args__ = (
        # A name is held until its response is collected (spec/exchange.md section 1).
        Index(
            "uq_request_files_held_response_name",
            "provider_code",
            "response_name",
            unique=True,
            sqlite_where=text("collected_at IS NULL"),
            postgresql_where=text("collected_at IS NULL"),
        ),
        Index("ix_request_files_queue", "state", "provider_code", "id"),
        # The checks' lookups (gateway/exchange/runtime/history.py) find their row without
        # reading the provider's history: a provider's last sequence number, and an IdFichier.
        Index("ix_request_files_sequence", "provider_code", "convention", "mode", "status", "sequence"),
        Index("ix_request_files_id_fichier", "provider_code", "id_fichier"),
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
    #: set when the provider deleted the response from /outbox (or purge removed it): frees the
    #: name. Pages and the API call it "deleted"; "collected" is ``downloaded_at``.
    collected_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: the response's first complete download (ops_0001): "collected" in pages and the API
    downloaded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    # -- claiming (exchange_0002)
    #: a claim is valid until then; the claiming process renews it while it works
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: times the file was claimed (above 1: resumed after a crash or a lost lease)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # -- outcome (exchange_0002), set with state ANSWERED
    #: ``Statut`` of the response (FileStatus)
    status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    #: ``Mode`` (PRODUCTION, TEST) when it could be read
    mode: Mapped[str | None] = mapped_column(String(12), nullable=True)
    convention: Mapped[str | None] = mapped_column(String(8), nullable=True)
    id_fichier: Mapped[str | None] = mapped_column(String(36), nullable=True)
    sequence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    records_received: Mapped[int | None] = mapped_column(Integer, nullable=True)
    records_accepted: Mapped[int | None] = mapped_column(Integer, nullable=True)
    records_rejected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_received_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    amount_accepted_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: the earlier file a DOUBLON names (request_files.id)
    duplicate_of_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: ``traiteLe`` written in the response
    processed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: seconds the checks took
    check_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)

    # -- correcting and keeping (spec/exchange.md section 9)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    voided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    void_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: files and personal data deleted by retention; the row keeps what later checks need
    purged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RequestFinding(Base):
    """One finding of a file's response, in response order."""

    __tablename__ = "request_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_file_id: Mapped[int] = mapped_column(ForeignKey("request_files.id", ondelete="CASCADE"), index=True)
    #: order in the response (file findings first, then records in file order)
    position: Mapped[int] = mapped_column(Integer)
    #: the record's position in the file (1-based); None for a file-level finding
    record_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the record's ``id`` attribute: an xs:positiveInteger, of any length (exchange_0003)
    record_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    code: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    column: Mapped[int | None] = mapped_column(Integer, nullable=True)
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the offending value; erased by purge (a MAT-* value is a matricule)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)


class ForwardedRecord(Base):
    """An accepted record of a PRODUCTION file handed on to the back office."""

    __tablename__ = "forwarded_records"
    __table_args__ = (
        UniqueConstraint("request_file_id", "record_position"),
        # Ids are the back office's cursor: SQLite must never hand out a deleted row's id.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_file_id: Mapped[int] = mapped_column(ForeignKey("request_files.id"), index=True)
    provider_code: Mapped[str] = mapped_column(String(8))
    convention: Mapped[str] = mapped_column(String(8))
    file_name: Mapped[str] = mapped_column(String(200))
    id_fichier: Mapped[str] = mapped_column(String(36))
    #: the record's position in the file (1-based)
    record_position: Mapped[int] = mapped_column(Integer)
    #: the record's ``id`` attribute: an xs:positiveInteger, of any length (exchange_0003)
    record_id: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(35))
    #: None once purged
    matricule: Mapped[str | None] = mapped_column(String(13), nullable=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    #: ``ACCEPTE`` or ``ACCEPTE_AVEC_AVERTISSEMENT``
    record_status: Mapped[str] = mapped_column(String(30))
    forwarded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    #: set when the file was voided: the record is no longer exported
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    # -- whole records (exchange_0004): what the back office settles the record from
    #: prescription and acts as JSON (gateway/exchange/runtime/forwarding/records.py); None once purged
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the nomenclature the record was judged with (versions.toml)
    nomenclature_version: Mapped[str | None] = mapped_column(String(40), nullable=True)


class AcceptedAct(Base):
    """Keyed hash of one accepted act (matricule, code, date) of a PRODUCTION file (DUP-002)."""

    __tablename__ = "accepted_acts"
    __table_args__ = (Index("ix_accepted_acts_lookup", "provider_code", "act_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_file_id: Mapped[int] = mapped_column(ForeignKey("request_files.id"), index=True)
    provider_code: Mapped[str] = mapped_column(String(8))
    #: hex HMAC-SHA-256 of "matricule|code|date" with the gateway's act key
    act_hash: Mapped[str] = mapped_column(String(64))
