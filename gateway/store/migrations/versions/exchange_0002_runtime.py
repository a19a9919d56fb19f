"""exchange: claims, outcomes, findings, forwarded records, accepted act hashes, void, purge

Revision ID: exchange_0002
Revises: exchange_0001
Create Date: 2026-11-23
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "exchange_0002"
down_revision = "exchange_0001"
branch_labels = None
depends_on = None

NEW_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("lease_until", UtcDateTime(), nullable=True),
    sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
    sa.Column("status", sa.String(30), nullable=True),
    sa.Column("mode", sa.String(12), nullable=True),
    sa.Column("convention", sa.String(8), nullable=True),
    sa.Column("id_fichier", sa.String(36), nullable=True),
    sa.Column("sequence", sa.Integer(), nullable=True),
    sa.Column("records_received", sa.Integer(), nullable=True),
    sa.Column("records_accepted", sa.Integer(), nullable=True),
    sa.Column("records_rejected", sa.Integer(), nullable=True),
    sa.Column("amount_received_cents", sa.BigInteger(), nullable=True),
    sa.Column("amount_accepted_cents", sa.BigInteger(), nullable=True),
    sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
    sa.Column("processed_at", UtcDateTime(), nullable=True),
    sa.Column("check_seconds", sa.Float(), nullable=True),
    sa.Column("voided_at", UtcDateTime(), nullable=True),
    sa.Column("voided_by", sa.String(120), nullable=True),
    sa.Column("void_reason", sa.Text(), nullable=True),
    sa.Column("purged_at", UtcDateTime(), nullable=True),
)


def upgrade() -> None:
    for column in NEW_COLUMNS:
        op.add_column("request_files", column)
    op.create_index("ix_request_files_history", "request_files", ["provider_code", "status", "mode", "convention"])

    op.create_table(
        "request_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_file_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("record_position", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.String(20), nullable=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("column", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_file_id"],
            ["request_files.id"],
            ondelete="CASCADE",
            name=op.f("fk_request_findings_request_file_id_request_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_findings")),
    )
    op.create_index(op.f("ix_request_findings_request_file_id"), "request_findings", ["request_file_id"])
    op.create_index(op.f("ix_request_findings_code"), "request_findings", ["code"])

    op.create_table(
        "forwarded_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_file_id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(8), nullable=False),
        sa.Column("convention", sa.String(8), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("id_fichier", sa.String(36), nullable=False),
        sa.Column("record_position", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(35), nullable=False),
        sa.Column("matricule", sa.String(13), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("record_status", sa.String(30), nullable=False),
        sa.Column("forwarded_at", UtcDateTime(), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_file_id"], ["request_files.id"], name=op.f("fk_forwarded_records_request_file_id_request_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forwarded_records")),
        sa.UniqueConstraint("request_file_id", "record_position", name=op.f("uq_forwarded_records_request_file_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_forwarded_records_request_file_id"), "forwarded_records", ["request_file_id"])

    op.create_table(
        "accepted_acts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_file_id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(8), nullable=False),
        sa.Column("act_hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_file_id"], ["request_files.id"], name=op.f("fk_accepted_acts_request_file_id_request_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accepted_acts")),
    )
    op.create_index(op.f("ix_accepted_acts_request_file_id"), "accepted_acts", ["request_file_id"])
    op.create_index("ix_accepted_acts_lookup", "accepted_acts", ["provider_code", "act_hash"])


def downgrade() -> None:
    op.drop_table("accepted_acts")
    op.drop_table("forwarded_records")
    op.drop_table("request_findings")
    op.drop_index("ix_request_files_history", table_name="request_files")
    with op.batch_alter_table("request_files") as batch:
        for column in NEW_COLUMNS:
            batch.drop_column(column.name)
