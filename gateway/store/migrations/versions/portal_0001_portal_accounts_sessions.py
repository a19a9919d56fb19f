"""portal: providers' portal accounts (second factor, notifications, password link) and sessions

Revision ID: portal_0001
Revises: web_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "portal_0001"
down_revision = "web_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_accounts",
        sa.Column("provider_code", sa.String(8), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=False),
        sa.Column("totp_secret", sa.String(200), nullable=True),
        sa.Column("totp_enrolled_at", UtcDateTime(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("notify_response", sa.Boolean(), nullable=False),
        sa.Column("notify_digest", sa.Boolean(), nullable=False),
        sa.Column("password_link_hash", sa.String(64), nullable=True),
        sa.Column("password_link_expires_at", UtcDateTime(), nullable=True),
        sa.Column("last_login_at", UtcDateTime(), nullable=True),
        sa.Column("notified_until", UtcDateTime(), nullable=True),
        sa.Column("digest_sent_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_code"],
            ["providers.code"],
            name=op.f("fk_portal_accounts_provider_code_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider_code", name=op.f("pk_portal_accounts")),
        sa.UniqueConstraint("password_link_hash", name=op.f("uq_portal_accounts_password_link_hash")),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("provider_code", sa.String(8), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_code"],
            ["providers.code"],
            name=op.f("fk_portal_sessions_provider_code_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("ref", name=op.f("uq_portal_sessions_ref")),
    )
    op.create_index(op.f("ix_portal_sessions_provider_code"), "portal_sessions", ["provider_code"])
    op.create_index(op.f("ix_portal_sessions_expires_at"), "portal_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("portal_sessions")
    op.drop_table("portal_accounts")
