"""web: second factor (TOTP, recovery codes), session records with their device, failure kinds

Sessions opened before this revision are ended (the table is rebuilt): they were opened
without the second factor that admins now need, and carry none of the new columns.

Revision ID: web_0002
Revises: web_0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "web_0002"
down_revision = "web_0001"
branch_labels = None
depends_on = None


def _sessions_table(*extra: sa.schema.SchemaItem) -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        *extra,
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_staff_sessions_staff_id_staff_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_sessions")),
    )
    op.create_index(op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"])
    op.create_index(op.f("ix_staff_sessions_expires_at"), "staff_sessions", ["expires_at"])


def upgrade() -> None:
    for column in (
        sa.Column("totp_secret", sa.String(200), nullable=True),
        sa.Column("totp_enrolled_at", UtcDateTime(), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
    ):
        op.add_column("staff_users", column)
    op.add_column("staff_login_failures", sa.Column("kind", sa.String(16), server_default="password", nullable=False))

    op.drop_table("staff_sessions")
    _sessions_table(
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.UniqueConstraint("ref", name=op.f("uq_staff_sessions_ref")),
    )

    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_recovery_codes_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_codes")),
    )
    op.create_index(op.f("ix_staff_recovery_codes_staff_id"), "staff_recovery_codes", ["staff_id"])


def downgrade() -> None:
    op.drop_table("staff_recovery_codes")
    op.drop_table("staff_sessions")
    _sessions_table()
    with op.batch_alter_table("staff_login_failures") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("staff_users") as batch:
        for name in ("totp_last_step", "totp_enrolled_at", "totp_secret"):
            batch.drop_column(name)
