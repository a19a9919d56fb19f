"""exchange: when a response was first downloaded whole (collected), apart from its deletion

``collected_at`` stays what holds the request's name: the time the provider deleted the
response from /outbox (or purge removed it). ``downloaded_at`` is the first complete read.

Revision ID: ops_0001
Revises: exchange_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from gateway.store.models.base import UtcDateTime

revision = "ops_0001"
down_revision = "exchange_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("request_files", sa.Column("downloaded_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("request_files") as batch:
        batch.drop_column("downloaded_at")
