"""sftp: sessions, connection rates, failed logins and bans shared by every SFTP process

Revision ID: sftp_0001
Revises: core_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "sftp_0001"
down_revision = "core_0001"
branch_labels = ("sftp",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sftp_sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("provider_code", sa.String(8), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("node", sa.String(120), nullable=False),
        sa.Column("key_fingerprint", sa.String(100), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sftp_sessions")),
    )
    op.create_index(op.f("ix_sftp_sessions_provider_code"), "sftp_sessions", ["provider_code"])
    op.create_index(op.f("ix_sftp_sessions_node"), "sftp_sessions", ["node"])
    op.create_index(op.f("ix_sftp_sessions_seen_at"), "sftp_sessions", ["seen_at"])
    op.create_table(
        "sftp_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sftp_connections")),
    )
    op.create_index("ix_sftp_connections_address_at", "sftp_connections", ["address", "at"])
    op.create_table(
        "sftp_auth_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sftp_auth_failures")),
    )
    op.create_index("ix_sftp_auth_failures_address_at", "sftp_auth_failures", ["address", "at"])
    op.create_table(
        "sftp_bans",
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("banned_at", UtcDateTime(), nullable=False),
        sa.Column("until", UtcDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_sftp_bans")),
    )
    op.create_index(op.f("ix_sftp_bans_until"), "sftp_bans", ["until"])


def downgrade() -> None:
    op.drop_table("sftp_bans")
    op.drop_table("sftp_auth_failures")
    op.drop_table("sftp_connections")
    op.drop_table("sftp_sessions")
