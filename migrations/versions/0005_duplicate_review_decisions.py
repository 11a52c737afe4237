"""Duplicate review decisions: "not a duplicate" pairs, and merges recorded so they can be split.

Why (issue 12.7): the Duplicates tab could only merge. A pair the consultant knew to be two machines
(same name in two domains, a cloned VM) came back on every visit, and a wrong merge could not be
undone — the merged assets were deleted and the decision kept their records together for good.

What this revision adds:
- `asset_distinct_decisions`: one row per pair of assets a consultant said are not duplicates
  (smaller id first, unique, CHECK on the order); the candidate list leaves out a group whose
  pairs are all decided. Both assets are foreign keys with ON DELETE CASCADE, so a decision goes
  with its assets. A tenant table like the others: row-level security enabled and forced, the
  same four policies, the app role may read and write it.
- `asset_merge_decisions.merged_assets` (JSONB): what a merge joined — per asset its id, record
  ids, creation time and flows, `kept` on the one that stayed — and `moved_dependencies` (JSONB):
  the dependencies re-pointed to the kept asset with their former ends. `split_at` / `split_by`
  record an undone merge (inventory runs ignore split decisions). Merges recorded before this
  revision keep NULL and cannot be split (which records were which asset was not kept). Columns
  without defaults: no table is rewritten or scanned; the table's policies cover them.

Downgrade drops the table and the four columns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APP_ROLE = "md_app"
TABLE = "asset_distinct_decisions"
# the same policies as every tenant table of 0001
IN_SCOPE = "client_account_id = md_current_client() AND engagement_id = md_current_engagement()"
CAN_READ = "(SELECT md_tenant_role()) IS NOT NULL"
CAN_WRITE = "(SELECT md_tenant_role()) IN ('lead', 'member')"


def _policies(table: str) -> list[str]:
    read = f"{IN_SCOPE} AND {CAN_READ}"
    write = f"{IN_SCOPE} AND {CAN_WRITE}"
    return [
        f"CREATE POLICY tenant_select ON {table} FOR SELECT USING ({read})",
        f"CREATE POLICY tenant_insert ON {table} FOR INSERT WITH CHECK ({write})",
        f"CREATE POLICY tenant_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write})",
        f"CREATE POLICY tenant_delete ON {table} FOR DELETE USING ({write})",
    ]


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("asset_a_id", sa.UUID(), nullable=False),
        sa.Column("asset_b_id", sa.UUID(), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("asset_a_id < asset_b_id", name=op.f("ck_asset_distinct_decisions_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["asset_a_id"], ["assets.id"], name=op.f("fk_asset_distinct_decisions_asset_a_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asset_b_id"], ["assets.id"], name=op.f("fk_asset_distinct_decisions_asset_b_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_account_id"], ["client_accounts.id"],
            name=op.f("fk_asset_distinct_decisions_client_account_id_client_accounts"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_asset_distinct_decisions_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"],
            name=op.f("fk_asset_distinct_decisions_engagement_id_engagements"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_distinct_decisions")),
        sa.UniqueConstraint(
            "asset_a_id", "asset_b_id", name=op.f("uq_asset_distinct_decisions_asset_a_id_asset_b_id")
        ),
    )  # fmt: skip
    op.create_index(
        op.f("ix_asset_distinct_decisions_client_account_id_engagement_id"),
        TABLE,
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(op.f("ix_asset_distinct_decisions_asset_b_id"), TABLE, ["asset_b_id"], unique=False)
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {APP_ROLE}")
    for statement in _policies(TABLE):
        op.execute(statement)

    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.add_column("asset_merge_decisions", sa.Column("merged_assets", jsonb, nullable=True))
    op.add_column("asset_merge_decisions", sa.Column("moved_dependencies", jsonb, nullable=True))
    op.add_column("asset_merge_decisions", sa.Column("split_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("asset_merge_decisions", sa.Column("split_by", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_asset_merge_decisions_split_by_users"),
        "asset_merge_decisions",
        "users",
        ["split_by"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_asset_merge_decisions_split_by_users"), "asset_merge_decisions", type_="foreignkey"
    )
    op.drop_column("asset_merge_decisions", "split_by")
    op.drop_column("asset_merge_decisions", "split_at")
    op.drop_column("asset_merge_decisions", "moved_dependencies")
    op.drop_column("asset_merge_decisions", "merged_assets")
    op.execute(f"REVOKE ALL ON {TABLE} FROM {APP_ROLE}")
    op.drop_index(op.f("ix_asset_distinct_decisions_asset_b_id"), table_name=TABLE)
    op.drop_index(op.f("ix_asset_distinct_decisions_client_account_id_engagement_id"), table_name=TABLE)
    op.drop_table(TABLE)  # its policies go with it
