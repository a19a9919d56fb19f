"""exchange: request files as received

Revision ID: exchange_0001
Revises: core_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "exchange_0001"
down_revision = "core_0001"
branch_labels = ("exchange",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("response_name", sa.String(220), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_at", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.String(120), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("collected_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_code"], ["providers.code"], name=op.f("fk_request_files_provider_code_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_files")),
    )
    op.create_index(op.f("ix_request_files_provider_code"), "request_files", ["provider_code"])
    op.create_index(op.f("ix_request_files_received_at"), "request_files", ["received_at"])
    op.create_index(op.f("ix_request_files_sha256"), "request_files", ["sha256"])
    op.create_index("ix_request_files_queue", "request_files", ["state", "provider_code", "id"])
    op.create_index(
        "uq_request_files_held_response_name",
        "request_files",
        ["provider_code", "response_name"],
        unique=True,
        sqlite_where=sa.text("collected_at IS NULL"),
        postgresql_where=sa.text("collected_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("request_files")
