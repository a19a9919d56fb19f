"""exchange: indexes for the checks' history lookups

A provider's last sequence number and an IdFichier were found by reading every answered file
of the provider: a check of a provider with 50,000 files spent about 50 ms on each. With these
indexes both lookups read a few index entries, whatever the history's length. The sequence
index takes the place of ``ix_request_files_history`` (provider, status, mode, convention),
which only these lookups used, and which SQLite preferred to it for the last sequence number.

Revision ID: exchange_0005
Revises: ops_0001
Create Date: 2026-12-03
"""

from alembic import op

revision = "exchange_0005"
down_revision = "ops_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_request_files_history", table_name="request_files")
    op.create_index(
        "ix_request_files_sequence", "request_files", ["provider_code", "convention", "mode", "status", "sequence"]
    )
    op.create_index("ix_request_files_id_fichier", "request_files", ["provider_code", "id_fichier"])


def downgrade() -> None:
    op.drop_index("ix_request_files_id_fichier", table_name="request_files")
    op.drop_index("ix_request_files_sequence", table_name="request_files")
    op.create_index("ix_request_files_history", "request_files", ["provider_code", "status", "mode", "convention"])
