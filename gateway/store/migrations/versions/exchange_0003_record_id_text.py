"""exchange: a record's id as text of any length (an xs:positiveInteger has no bound)

A record ``id`` of more than 20 digits is valid; stored in VARCHAR(20) it made PostgreSQL refuse
the final commit of a file already answered, again at every attempt.

Revision ID: exchange_0003
Revises: exchange_0002
Create Date: 2026-12-01
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "exchange_0003"
down_revision = "exchange_0002"
branch_labels = None
depends_on = None

#: (table, nullable, options of the table SQLite recreates: forwarded ids are never reused)
TABLES: tuple[tuple[str, bool, dict[str, Any]], ...] = (
    ("request_findings", True, {}),
    ("forwarded_records", False, {"sqlite_autoincrement": True}),
)


def _alter(type_: sa.types.TypeEngine[Any], previous: sa.types.TypeEngine[Any]) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # SQLite recreates the table: keep the AUTOINCREMENT counter, so a deleted top id is never handed out again.
    counters: dict[str, int] = (
        dict(bind.execute(sa.text("SELECT name, seq FROM sqlite_sequence")).all()) if sqlite else {}
    )
    for table, nullable, options in TABLES:
        with op.batch_alter_table(table, table_kwargs=options) as batch:
            batch.alter_column("record_id", type_=type_, existing_type=previous, existing_nullable=nullable)
    for table, seq in counters.items():
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = :name"), {"seq": seq, "name": table}
        )


def upgrade() -> None:
    _alter(sa.Text(), sa.String(20))


def downgrade() -> None:
    _alter(sa.String(20), sa.Text())
