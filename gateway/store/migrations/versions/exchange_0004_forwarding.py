"""exchange: whole forwarded records, the broker outbox and the publishers' status

Revision ID: exchange_0004
Revises: exchange_0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "exchange_0004"
down_revision = "exchange_0003"
branch_labels = None
depends_on = None

PENDING = "sent_at IS NULL AND cancelled_at IS NULL"


def upgrade() -> None:
    op.add_column("forwarded_records", sa.Column("detail", sa.Text(), nullable=True))
    op.add_column("forwarded_records", sa.Column("nomenclature_version", sa.String(40), nullable=True))

    op.create_table(
        "forwarding_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("provider_code", sa.String(8), nullable=False),
        sa.Column("request_file_id", sa.Integer(), nullable=False),
        sa.Column("forwarded_record_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("replay", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(120), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_file_id"], ["request_files.id"], name=op.f("fk_forwarding_outbox_request_file_id_request_files")
        ),
        sa.ForeignKeyConstraint(
            ["forwarded_record_id"],
            ["forwarded_records.id"],
            name=op.f("fk_forwarding_outbox_forwarded_record_id_forwarded_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forwarding_outbox")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_forwarding_outbox_request_file_id"), "forwarding_outbox", ["request_file_id"])
    op.create_index(op.f("ix_forwarding_outbox_forwarded_record_id"), "forwarding_outbox", ["forwarded_record_id"])
    op.create_index(
        "ix_forwarding_outbox_pending",
        "forwarding_outbox",
        ["provider_code", "id"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )

    op.create_table(
        "publisher_status",
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("broker", sa.String(300), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.Column("last_success_at", UtcDateTime(), nullable=True),
        sa.Column("last_error_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_publisher_status")),
    )


def downgrade() -> None:
    op.drop_table("publisher_status")
    op.drop_index("ix_forwarding_outbox_pending", table_name="forwarding_outbox")
    op.drop_table("forwarding_outbox")
    with op.batch_alter_table("forwarded_records") as batch:
        batch.drop_column("nomenclature_version")
        batch.drop_column("detail")
