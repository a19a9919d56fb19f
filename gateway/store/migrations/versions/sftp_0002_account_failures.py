"""sftp: failed password logins per account, for the per-account throttle

Revision ID: sftp_0002
Revises: sftp_0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "sftp_0002"
down_revision = "sftp_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sftp_account_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sftp_account_failures")),
    )
    op.create_index("ix_sftp_account_failures_account_at", "sftp_account_failures", ["account", "at"])


def downgrade() -> None:
    op.drop_table("sftp_account_failures")
