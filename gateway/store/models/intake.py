"""Tables of the intake area: applications, their documents, status history, codes.

- ``applications``: one row per application; data fields are empty strings until filled.
  ``reference`` (``DEM-<year>-<6 digits>``) is unique, and (year, sequence) too, so two
  applications created at the same moment can never share a reference.
- ``application_documents``: every file received, whatever its verdict; ``stored_name`` is
  the generated file name under the dossier (None when nothing was kept: over the size
  limit, or after purge).
- ``application_status_history``: every status change with who, when, why.
- ``provider_codes``: every OCB code known, imported or allocated; the primary key and the
  unique sequence make a code impossible to give twice, and rows are never deleted, so a code
  is never reused.
- ``followup_tokens``: SHA-256 of the applicant's follow-up token, never the token.
- ``intake_rate_events``: public-form actions per address, for the hourly limits (in the
  database so every web node sees them).
- ``mail_messages``: mail-drop messages taken, so that none is taken twice, and those
  waiting for staff to attach them (``state`` ``unattached``, with the reason).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.store.models.base import Base, UtcDateTime


class Application(Base):
    """A provider-code application (spec/intake.md section 1)."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("year", "sequence", name="uq_applications_year_sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    #: ``web``, ``mail`` or ``paper``
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: set when closed: CODE_ATTRIBUE, REFUSEE, RETIREE
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)

    establishment_name: Mapped[str] = mapped_column(String(120), default="")
    legal_form: Mapped[str] = mapped_column(String(30), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    locality: Mapped[str] = mapped_column(String(100), default="")
    register_number: Mapped[str] = mapped_column(String(10), default="")
    authorisation_number: Mapped[str] = mapped_column(String(40), default="")
    manager_first_name: Mapped[str] = mapped_column(String(100), default="")
    manager_last_name: Mapped[str] = mapped_column(String(100), default="")
    manager_matricule: Mapped[str] = mapped_column(String(13), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", index=True)
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    iban: Mapped[str] = mapped_column(String(40), default="")

    #: the OCB code allocated on approval
    provider_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    #: the last correction request, shown on the follow-up page while A_CORRIGER
    correction_message: Mapped[str] = mapped_column(Text, default="")
    #: reason of a refusal or withdrawal
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    #: remarks for the report, e.g. a mail whose sender was not the contact address:
    #: list of {"code", "fr", "en"}
    notes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: what an e-mail must carry to join this application (gateway.intake.replytoken);
    #: None only for applications created before reply tokens existed, until migrated
    reply_token: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)

    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    #: set when retention deleted the documents, reports and personal data
    purged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    documents: Mapped[list[ApplicationDocument]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationDocument.id"
    )
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="StatusChange.id"
    )


class ApplicationDocument(Base):
    """One file received for an application, with its verdict (spec section 2)."""

    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    #: the document kind (fiche_renseignement ...), or None when not known yet (mail)
    kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: the kind suggested from the name and text (mail), shown to staff
    suggested_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: True once the applicant chose the kind (web) or staff confirmed it (mail, paper)
    kind_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``web``, ``mail`` or ``paper``
    source: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str] = mapped_column(String(255))
    #: generated file name in the dossier; None when nothing was kept
    stored_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    detected_type: Mapped[str] = mapped_column(String(100), default="")
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pdf_version: Mapped[str | None] = mapped_column(String(10), nullable=True)
    producer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    message_fr: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str] = mapped_column(Text, default="")
    #: whether a malware scanner looked at the file, and what it said
    scanned: Mapped[bool] = mapped_column(Boolean, default=False)
    scan_result: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    received_by: Mapped[str] = mapped_column(String(120), default="")
    #: set when the applicant (or staff) removed the file from the application; kept for the record
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)

    application: Mapped[Application] = relationship(back_populates="documents")


class StatusChange(Base):
    """One change of an application's status: who, when, why (spec section 4)."""

    __tablename__ = "application_status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(64), default="")
    #: None for the creation
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(back_populates="history")


class ProviderCode(Base):
    """An OCB provider code known to the gateway: imported or allocated; never deleted."""

    __tablename__ = "provider_codes"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: the 5-digit sequence number (digits 3..7 of the code)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    #: ``imported`` or ``allocated``
    source: Mapped[str] = mapped_column(String(10))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), nullable=True, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(120), default="")


class FollowupToken(Base):
    """An applicant's private follow-up link, stored as the SHA-256 of its token."""

    __tablename__ = "followup_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_by: Mapped[str] = mapped_column(String(120), default="")


class RateEvent(Base):
    """One public-form action (``application`` or ``upload``) from an address."""

    __tablename__ = "intake_rate_events"
    __table_args__ = (Index("ix_intake_rate_events_lookup", "address", "action", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class MailMessage(Base):
    """A mail-drop message taken in; its key and digest keep it from being taken twice.

    ``state``: ``taken`` (joined or opened an application), ``unattached`` (kept in the mail
    drop's ``unattached/`` folder as ``kept_name`` until staff attach it; ``reason`` says why),
    ``attached`` (attached by staff: ``resolved_by``, ``resolved_at``).
    """

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 of the message bytes
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    maildir_key: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(300), default="")
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), nullable=True
    )
    taken_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(20), default="taken", server_default="taken", index=True)
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: the ``From:`` line as received (shown to staff when it is not a plain address)
    from_line: Mapped[str] = mapped_column(String(254), default="", server_default="")
    kept_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
