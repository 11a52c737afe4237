"""Sync: indexes on the change log for the lookups each sync makes.

Why: the server's `sync_changes` grows with every change of every consultant and is never
rewritten. A pull reads the changes of transactions after its cursor (`txid >= …`), and a push
asks whether a row it needs was deleted there meanwhile (`table_name`, `row_id`): without these
indexes both scan the whole log, and each sync gets slower as the engagement grows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_sync_changes_txid"), "sync_changes", ["txid"])
    op.create_index(op.f("ix_sync_changes_table_name_row_id"), "sync_changes", ["table_name", "row_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sync_changes_table_name_row_id"), table_name="sync_changes")
    op.drop_index(op.f("ix_sync_changes_txid"), table_name="sync_changes")
