"""Sync: indexes on the change log for the lookups each sync makes, and who made each change.

Why: the server's `sync_changes` grows with every change of every consultant and is never
rewritten. A pull reads the changes of transactions after its cursor (`txid >= …`), and a push
asks whether a row it needs was deleted there meanwhile (`table_name`, `row_id`): without these
indexes both scan the whole log, and each sync gets slower as the engagement grows.

`changed_by` (default `session_user`: the login that wrote the change, on the server the
consultant's own role) lets a conflict name who changed the server's side — most tables (assets)
have no "changed by" column of their own.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sync_changes", sa.Column("changed_by", sa.Text(), server_default=sa.text("session_user")))
    op.create_index(op.f("ix_sync_changes_txid"), "sync_changes", ["txid"])
    op.create_index(op.f("ix_sync_changes_table_name_row_id"), "sync_changes", ["table_name", "row_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sync_changes_table_name_row_id"), table_name="sync_changes")
    op.drop_index(op.f("ix_sync_changes_txid"), table_name="sync_changes")
    op.drop_column("sync_changes", "changed_by")
