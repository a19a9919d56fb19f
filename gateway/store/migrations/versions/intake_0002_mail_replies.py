"""intake: reply tokens of applications; mail messages waiting for staff

Revision ID: intake_0002
Revises: intake_0001
Create Date: 2026-12-01
"""

import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None


def _mail_columns() -> tuple[sa.Column[Any], ...]:
    return (
        sa.Column("state", sa.String(20), nullable=False, server_default="taken"),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("from_line", sa.String(254), nullable=False, server_default=""),
        sa.Column("kept_name", sa.String(200), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(120), nullable=False, server_default=""),
    )


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("reply_token", sa.String(32), nullable=True))
        batch.create_unique_constraint(op.f("uq_applications_reply_token"), ["reply_token"])
    # Existing applications get their token now, so replies to messages sent from here on join.
    connection = op.get_bind()
    applications = sa.table("applications", sa.column("id", sa.Integer), sa.column("reply_token", sa.String))
    for (app_id,) in connection.execute(sa.select(applications.c.id)).all():
        connection.execute(
            applications.update().where(applications.c.id == app_id).values(reply_token=secrets.token_hex(12))
        )
    with op.batch_alter_table("mail_messages") as batch:
        for column in _mail_columns():
            batch.add_column(column)
    op.create_index(op.f("ix_mail_messages_state"), "mail_messages", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_messages_state"), table_name="mail_messages")
    with op.batch_alter_table("mail_messages") as batch:
        for column in _mail_columns():
            batch.drop_column(column.name)
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint(op.f("uq_applications_reply_token"), type_="unique")
        batch.drop_column("reply_token")
