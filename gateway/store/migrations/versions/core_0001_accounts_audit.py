"""core: provider accounts, their keys, and the audit trail

Revision ID: core_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("profession", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("allowed_networks", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_providers")),
    )
    op.create_table(
        "provider_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(8), nullable=False),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("algorithm", sa.String(40), nullable=False),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("comment", sa.String(200), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_code"],
            ["providers.code"],
            name=op.f("fk_provider_keys_provider_code_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_keys")),
        sa.UniqueConstraint("provider_code", "fingerprint", name=op.f("uq_provider_keys_provider_code")),
    )
    op.create_index(op.f("ix_provider_keys_provider_code"), "provider_keys", ["provider_code"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target_type", sa.String(40), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])
    op.create_index(op.f("ix_audit_events_actor"), "audit_events", ["actor"])
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"])
    op.create_index("ix_audit_events_target", "audit_events", ["target_type", "target_id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("provider_keys")
    op.drop_table("providers")
