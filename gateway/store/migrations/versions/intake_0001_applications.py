"""intake: applications, documents, status history, provider codes, follow-up tokens

Revision ID: intake_0001
Revises: core_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "intake_0001"
down_revision = "core_0001"
branch_labels = ("intake",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("establishment_name", sa.String(120), nullable=False),
        sa.Column("legal_form", sa.String(30), nullable=False),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("postcode", sa.String(10), nullable=False),
        sa.Column("locality", sa.String(100), nullable=False),
        sa.Column("register_number", sa.String(10), nullable=False),
        sa.Column("authorisation_number", sa.String(40), nullable=False),
        sa.Column("manager_first_name", sa.String(100), nullable=False),
        sa.Column("manager_last_name", sa.String(100), nullable=False),
        sa.Column("manager_matricule", sa.String(13), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=False),
        sa.Column("contact_phone", sa.String(40), nullable=False),
        sa.Column("iban", sa.String(40), nullable=False),
        sa.Column("provider_code", sa.String(8), nullable=True),
        sa.Column("correction_message", sa.Text(), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("purged_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("reference", name=op.f("uq_applications_reference")),
        sa.UniqueConstraint("year", "sequence", name="uq_applications_year_sequence"),
    )
    op.create_index(op.f("ix_applications_status"), "applications", ["status"])
    op.create_index(op.f("ix_applications_contact_email"), "applications", ["contact_email"])
    op.create_index(op.f("ix_applications_created_at"), "applications", ["created_at"])
    op.create_index(op.f("ix_applications_closed_at"), "applications", ["closed_at"])

    op.create_table(
        "application_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("suggested_kind", sa.String(40), nullable=True),
        sa.Column("kind_confirmed", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("stored_name", sa.String(80), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("detected_type", sa.String(100), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("pdf_version", sa.String(10), nullable=True),
        sa.Column("producer", sa.String(200), nullable=True),
        sa.Column("message_fr", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("scanned", sa.Boolean(), nullable=False),
        sa.Column("scan_result", sa.String(200), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("received_by", sa.String(120), nullable=False),
        sa.Column("removed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_documents_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_documents")),
    )
    op.create_index(op.f("ix_application_documents_application_id"), "application_documents", ["application_id"])

    op.create_table(
        "application_status_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_status_history_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_status_history")),
    )
    op.create_index(
        op.f("ix_application_status_history_application_id"), "application_status_history", ["application_id"]
    )

    op.create_table(
        "provider_codes",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_provider_codes_application_id_applications")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_provider_codes")),
        sa.UniqueConstraint("sequence", name=op.f("uq_provider_codes_sequence")),
        sa.UniqueConstraint("application_id", name=op.f("uq_provider_codes_application_id")),
    )

    op.create_table(
        "followup_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_followup_tokens_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_followup_tokens_token_hash")),
    )
    op.create_index(op.f("ix_followup_tokens_application_id"), "followup_tokens", ["application_id"])

    op.create_table(
        "intake_rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_rate_events")),
    )
    op.create_index("ix_intake_rate_events_lookup", "intake_rate_events", ["address", "action", "at"])

    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("maildir_key", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("sender", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_mail_messages_application_id_applications"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint("sha256", name=op.f("uq_mail_messages_sha256")),
    )


def downgrade() -> None:
    op.drop_table("mail_messages")
    op.drop_table("intake_rate_events")
    op.drop_table("followup_tokens")
    op.drop_table("provider_codes")
    op.drop_table("application_status_history")
    op.drop_table("application_documents")
    op.drop_table("applications")
