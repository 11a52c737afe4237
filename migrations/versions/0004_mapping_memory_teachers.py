"""Mapping memory learns only what a person decided, and says who taught it and when.

Why (issue 12.5): `map finish --auto` approved weak guesses, and mapping memory learned them as if a
consultant had: on the next import of the client they came back as `learned` at 0.975 and passed
any bulk threshold. Nobody could tell who had taught a pairing, nor forget it.

What this revision adds (columns only; no table is rewritten or scanned):
- `import_field_mappings.decided_via`: how a row was decided — `person` (one row approved,
  modified or rejected), `bulk` (approved at or above a threshold a person chose) or `auto`
  (auto-finish). Memory's contribution of a row is a function of its stored state, so an `auto`
  decision teaches nothing, and undoing or reopening it later takes nothing away. Rows decided
  before this revision keep NULL and count as they did (a person's decision).
- `mapping_memory.taught_by` (a user, SET NULL when the user is deleted), `taught_by_name` (the
  name as it was: memory is shared by every engagement of the client, whose readers may not see
  that user's row) and `taught_at`: who taught a learned pairing and when, shown in the
  suggestion's explanation. Existing pairings keep NULL (their teacher was never recorded).

Row-level security is unchanged: both tables already have their policies, which cover new columns.

Downgrade drops the four columns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_field_mappings", sa.Column("decided_via", sa.String(length=20), nullable=True))
    op.add_column("mapping_memory", sa.Column("taught_by", sa.UUID(), nullable=True))
    op.add_column("mapping_memory", sa.Column("taught_by_name", sa.Text(), nullable=True))
    op.add_column("mapping_memory", sa.Column("taught_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_mapping_memory_taught_by_users"),
        "mapping_memory",
        "users",
        ["taught_by"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_mapping_memory_taught_by_users"), "mapping_memory", type_="foreignkey")
    op.drop_column("mapping_memory", "taught_at")
    op.drop_column("mapping_memory", "taught_by_name")
    op.drop_column("mapping_memory", "taught_by")
    op.drop_column("import_field_mappings", "decided_via")
