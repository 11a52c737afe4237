"""Per-asset details from a whole RVTools export, and the asset fields they fill.

Why (issue 13): an RVTools workbook says far more about each VM than its `vInfo` row — every virtual
disk (`vDisk`), guest partition with used and provisioned space (`vPartition`), NIC with its network,
MAC and IPs (`vNetwork`), snapshot (`vSnapshot`), the VMware Tools state (`vTools`) and the host and
cluster it runs on (`vHost`, `vCluster`). `import FILE --rvtools` stores those rows with the import;
the inventory joins them to the VM and sums them into asset fields.

What this revision adds:
- `asset_details`: one row per detail-sheet row of an import — `kind` (disk, partition, nic,
  snapshot, tools, host, cluster), typed `attributes`, `lineage` (per attribute the source column
  and the raw cell) and the sheet and row it was read from (unique per import); `join_keys` (VM
  name, VM UUID, VM id, vCenter, host, cluster as the sheet wrote them); and, set by the inventory,
  `record_id` (the vInfo raw record it joined), `match` (how: VM UUID, VM id + vCenter, name +
  vCenter; NULL for a VM the export does not list) and `asset_id` (the asset holding that record;
  SET NULL when the asset goes). Host and cluster rows are shared by their VMs: they join through
  the VM's own host and cluster. A tenant table like the others: row-level security enabled and
  forced, the same four policies, the app role may read and write it. Deleting an import deletes
  its details.
- `assets.snapshot_count` (integer), `assets.tools_status`, `assets.tools_version` and
  `assets.ip_addresses` (text): project fields (resources/project_asset_fields.yaml). Columns only,
  nullable, no default: no table is rewritten or scanned.

Downgrade drops the table and the four columns.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APP_ROLE = "md_app"
TABLE = "asset_details"
KINDS = ("disk", "partition", "nic", "snapshot", "tools", "host", "cluster")
# the same policies as every tenant table of 0001
IN_SCOPE = "client_account_id = md_current_client() AND engagement_id = md_current_engagement()"
CAN_READ = "(SELECT md_tenant_role()) IS NOT NULL"
CAN_WRITE = "(SELECT md_tenant_role()) IN ('lead', 'member')"
ASSET_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[object]], ...] = (
    ("snapshot_count", sa.Integer()),
    ("tools_status", sa.Text()),
    ("tools_version", sa.Text()),
    ("ip_addresses", sa.Text()),
)


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
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    op.create_table(
        TABLE,
        sa.Column("data_import_id", sa.UUID(), nullable=False),
        sa.Column("asset_id", sa.UUID(), nullable=True),
        sa.Column("record_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("sheet", sa.Text(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("attributes", jsonb, nullable=False),
        sa.Column("lineage", jsonb, nullable=False),
        sa.Column("join_keys", jsonb, nullable=False),
        sa.Column("match", sa.Text(), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_asset_details_kind")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_details_asset_id_assets"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["client_account_id"], ["client_accounts.id"],
            name=op.f("fk_asset_details_client_account_id_client_accounts"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["data_import_id"], ["data_imports.id"],
            name=op.f("fk_asset_details_data_import_id_data_imports"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name=op.f("fk_asset_details_engagement_id_engagements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_details")),
        sa.UniqueConstraint(
            "data_import_id", "sheet", "row_index",
            name=op.f("uq_asset_details_data_import_id_sheet_row_index"),
        ),
    )  # fmt: skip
    op.create_index(
        op.f("ix_asset_details_client_account_id_engagement_id"),
        TABLE,
        ["client_account_id", "engagement_id"],
        unique=False,
    )
    op.create_index(op.f("ix_asset_details_asset_id"), TABLE, ["asset_id"], unique=False)
    op.create_index(op.f("ix_asset_details_record_id"), TABLE, ["record_id"], unique=False)
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {APP_ROLE}")
    for statement in _policies(TABLE):
        op.execute(statement)
    for name, kind in ASSET_COLUMNS:
        op.add_column("assets", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(ASSET_COLUMNS):
        op.drop_column("assets", name)
    op.execute(f"REVOKE ALL ON {TABLE} FROM {APP_ROLE}")
    op.drop_index(op.f("ix_asset_details_record_id"), table_name=TABLE)
    op.drop_index(op.f("ix_asset_details_asset_id"), table_name=TABLE)
    op.drop_index(op.f("ix_asset_details_client_account_id_engagement_id"), table_name=TABLE)
    op.drop_table(TABLE)  # its policies go with it
