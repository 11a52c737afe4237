"""Lineage recorded at cleansing time: `raw_import_records.cleansed_lineage`.

Why (issue 11): cleansing kept the first valid value of a field fed by several columns but not
which column it came from, so the inventory and the asset queries guessed "the first non-blank
cell" afterwards — and named the wrong column when that cell held a placeholder such as `n/a`.
Cleansing now writes, next to `cleansed_data`, the source of every value it kept: the record's row
and, per field, the position of the cell it was read from — the source column, and the raw value
in the record's own lossless `cells` (a derived value: the cell of the field it was filled from;
tags merged from several columns: every column) — the shape is described in
`core.cleansing.service`. The inventory copies it into `assets.field_lineage` instead of
re-deriving it.

The column is added without a default, which PostgreSQL does without rewriting or scanning the
table; it reaches every partition of `raw_import_records` (load partitions are created `LIKE` the
parent, so new ones get it too). Records cleansed before this revision keep NULL until their
import is cleansed again — their lineage is not reconstructed here, since reconstructing it is the
guess this revision removes. Row-level security and policies are unchanged.

Downgrade drops the column.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 06:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "raw_import_records",
        sa.Column("cleansed_lineage", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("raw_import_records", "cleansed_lineage")
