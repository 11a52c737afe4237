"""Dependencies, tech debt, 6R and waves: the tables of the analysis, assessment and planning phases.

Why (issue 14): a discovery flow stopped after `asset_inventory`; the dependency analysis, the
tech-debt assessment, the 6R assessment and the wave planner need somewhere to keep what they
compute and what the consultant decides, so that re-runs replace the computed part and keep the
decisions.

What this revision adds (every table a tenant table like the others: row-level security enabled
and forced, the same four policies, the app role may read and write it; a row naming an asset
goes with it, ON DELETE CASCADE; a row naming the flow that computed it keeps its content when
the flow goes, SET NULL):
- `techdebt_findings`: per asset the lifecycle findings (`kind` lifecycle, `component` os |
  database, status eol | eol_12m | supported | unknown, product, version, table entry, end of
  support, rule, paid-extension note) and right-sizing findings (`kind` rightsizing, `component`
  cpu | memory, status downsize | undersized); `as_of` the date the statuses hold for,
  `assessed_at`, the flow. A CHECK keeps kind, component and status consistent.
- `infrastructure_services` (what the dependency analysis set aside: category, how — port, fan,
  override — reasons, peers) and `infrastructure_overrides` (the consultant's is / is not
  infrastructure with reason, who and when; kept across runs). One row per asset each.
- `move_groups` (key unique per engagement, name, applications, environments, reasons, counts,
  flow, computed_at) and `move_group_members` (asset unique: an asset is in at most one group).
- `sixr_recommendations` (application or asset — exactly one, CHECK — disposition of the seven
  Rs, confidence 0..1, reasons, master flow, computed_at) and `sixr_overrides` (the same key,
  disposition, reason, who and when; kept across runs). Unique per application and per asset.
- `waves` (name, `ordinal` — the contract's `order`, a reserved word in SQL — unique per
  engagement and checked at commit so waves can be reordered in one transaction; start and end
  date, locked, max servers / storage, notes, master flow) and `wave_members` (wave, asset unique,
  the application it was placed with, placed_by manual | planner, moved_by, placed_at).
- `asset_dependencies` gains what a connection export says: each end keeps the text the export
  gave (`source_endpoint`, `target_endpoint`: host name or IP) and its asset when it resolved, so
  an unresolved end is kept as an external endpoint — the asset ids become nullable, and a CHECK
  needs an asset or an endpoint on each end (chosen over a separate external-endpoint table: one
  row per observed connection, whichever ends resolved, merges and counts in one place);
  processes and applications of both ends; `observation_count` (default 1), `first_seen`,
  `last_seen`; `data_import_id` (the import that first recorded it, SET NULL); `connection_key`
  (unique per engagement; NULL for hand-made dependencies) so a newer export of the same servers
  merges into the same rows. New columns are nullable or have a constant default: the table is
  not rewritten.

Downgrade drops the new tables and columns; connections with an unresolved end cannot exist in
0007's schema and are deleted first.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APP_ROLE = "md_app"
# in creation order (a table after the ones it references)
TABLES = (
    "techdebt_findings",
    "infrastructure_services",
    "infrastructure_overrides",
    "move_groups",
    "move_group_members",
    "sixr_recommendations",
    "sixr_overrides",
    "waves",
    "wave_members",
)
DISPOSITIONS = "'rehost', 'replatform', 'refactor', 'repurchase', 'retire', 'retain', 'relocate'"
FINDING_SHAPE = (
    "(kind = 'lifecycle' AND component IN ('os', 'database')"
    " AND status IN ('eol', 'eol_12m', 'supported', 'unknown'))"
    " OR (kind = 'rightsizing' AND component IN ('cpu', 'memory') AND status IN ('downsize', 'undersized'))"
)
DEPENDENCY_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[object]], ...] = (
    ("source_endpoint", sa.Text()),
    ("target_endpoint", sa.Text()),
    ("source_process", sa.Text()),
    ("target_process", sa.Text()),
    ("source_application", sa.Text()),
    ("target_application", sa.Text()),
    ("first_seen", sa.DateTime(timezone=True)),
    ("last_seen", sa.DateTime(timezone=True)),
    ("data_import_id", sa.UUID()),
    ("connection_key", sa.Text()),
)
DEPENDENCY_CHECKS = (
    ("source_known", "source_asset_id IS NOT NULL OR source_endpoint IS NOT NULL"),
    ("target_known", "target_asset_id IS NOT NULL OR target_endpoint IS NOT NULL"),
    ("observation_count", "observation_count >= 0"),
)
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


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _jsonb(name: str) -> sa.Column[object]:
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _tenant_table(table: str, *items: sa.SchemaItem) -> None:
    """Create a tenant table: its own columns and constraints, then tenant scope, key and stamps."""
    op.create_table(
        table,
        *items,
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        _fk(table, "client_account_id", "client_accounts", "CASCADE"),
        _fk(table, "engagement_id", "engagements", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(
        op.f(f"ix_{table}_client_account_id_engagement_id"),
        table,
        ["client_account_id", "engagement_id"],
        unique=False,
    )


def _unique(table: str, *columns: str, **kw: object) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"), **kw)


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def _create_tables() -> None:
    t = "techdebt_findings"
    _tenant_table(
        t,
        sa.Column("asset_id", sa.UUID(), nullable=False),
        sa.Column("discovery_flow_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("component", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("release", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("end_of_support", sa.Date(), nullable=True),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _jsonb("details"),
        sa.Column("as_of", sa.Date(), nullable=False),
        _now("assessed_at"),
        _check(t, "shape", FINDING_SHAPE),
        _fk(t, "asset_id", "assets", "CASCADE"),
        _fk(t, "discovery_flow_id", "discovery_flows", "SET NULL"),
        _unique(t, "asset_id", "kind", "component", "status"),
    )
    _index(t, "discovery_flow_id")

    t = "infrastructure_services"
    _tenant_table(
        t,
        sa.Column("asset_id", sa.UUID(), nullable=False),
        sa.Column("discovery_flow_id", sa.UUID(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _jsonb("reasons"),
        sa.Column("peers", sa.Integer(), nullable=False),
        _now("computed_at"),
        _check(t, "source", "source IN ('port', 'fan', 'override')"),
        _fk(t, "asset_id", "assets", "CASCADE"),
        _fk(t, "discovery_flow_id", "discovery_flows", "SET NULL"),
        _unique(t, "asset_id"),
    )
    _index(t, "discovery_flow_id")

    t = "infrastructure_overrides"
    _tenant_table(
        t,
        sa.Column("asset_id", sa.UUID(), nullable=False),
        sa.Column("is_infrastructure", sa.Boolean(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        _now("decided_at"),
        _fk(t, "asset_id", "assets", "CASCADE"),
        _fk(t, "decided_by", "users", "SET NULL"),
        _unique(t, "asset_id"),
    )

    t = "move_groups"
    _tenant_table(
        t,
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        _jsonb("applications"),
        _jsonb("environments"),
        _jsonb("reasons"),
        sa.Column("internal_connections", sa.Integer(), nullable=False),
        sa.Column("unresolved_connections", sa.Integer(), nullable=False),
        sa.Column("discovery_flow_id", sa.UUID(), nullable=True),
        _now("computed_at"),
        _fk(t, "discovery_flow_id", "discovery_flows", "SET NULL"),
        _unique(t, "engagement_id", "key"),
    )
    _index(t, "discovery_flow_id")

    t = "move_group_members"
    _tenant_table(
        t,
        sa.Column("move_group_id", sa.UUID(), nullable=False),
        sa.Column("asset_id", sa.UUID(), nullable=False),
        _fk(t, "asset_id", "assets", "CASCADE"),
        _fk(t, "move_group_id", "move_groups", "CASCADE"),
        _unique(t, "asset_id"),
    )
    _index(t, "move_group_id")

    t = "sixr_recommendations"
    _tenant_table(
        t,
        sa.Column("application", sa.Text(), nullable=True),
        sa.Column("asset_id", sa.UUID(), nullable=True),
        sa.Column("disposition", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        _jsonb("reasons"),
        sa.Column("master_flow_id", sa.UUID(), nullable=True),
        _now("computed_at"),
        _check(t, "disposition", f"disposition IN ({DISPOSITIONS})"),
        _check(t, "application_or_asset", "(application IS NULL) <> (asset_id IS NULL)"),
        _check(t, "confidence", "confidence >= 0 AND confidence <= 1"),
        _fk(t, "asset_id", "assets", "CASCADE"),
        _fk(t, "master_flow_id", "master_flows", "SET NULL"),
        _unique(t, "asset_id"),
        _unique(t, "engagement_id", "application"),
    )
    _index(t, "master_flow_id")

    t = "sixr_overrides"
    _tenant_table(
        t,
        sa.Column("application", sa.Text(), nullable=True),
        sa.Column("asset_id", sa.UUID(), nullable=True),
        sa.Column("disposition", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        _now("decided_at"),
        _check(t, "disposition", f"disposition IN ({DISPOSITIONS})"),
        _check(t, "application_or_asset", "(application IS NULL) <> (asset_id IS NULL)"),
        _fk(t, "asset_id", "assets", "CASCADE"),
        _fk(t, "decided_by", "users", "SET NULL"),
        _unique(t, "asset_id"),
        _unique(t, "engagement_id", "application"),
    )

    t = "waves"
    _tenant_table(
        t,
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("locked", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("max_servers", sa.Integer(), nullable=True),
        sa.Column("max_storage_gb", sa.Float(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("master_flow_id", sa.UUID(), nullable=True),
        _now("planned_at"),
        _check(t, "max_servers", "max_servers IS NULL OR max_servers >= 1"),
        _check(t, "ordinal", "ordinal >= 1"),
        _check(t, "dates", "start_date IS NULL OR end_date IS NULL OR end_date >= start_date"),
        _fk(t, "master_flow_id", "master_flows", "SET NULL"),
        _unique(t, "engagement_id", "ordinal", deferrable=True, initially="DEFERRED"),
    )
    _index(t, "master_flow_id")

    t = "wave_members"
    _tenant_table(
        t,
        sa.Column("wave_id", sa.UUID(), nullable=False),
        sa.Column("asset_id", sa.UUID(), nullable=False),
        sa.Column("application", sa.Text(), nullable=True),
        sa.Column("placed_by", sa.Text(), nullable=False),
        sa.Column("moved_by", sa.UUID(), nullable=True),
        _now("placed_at"),
        _check(t, "placed_by", "placed_by IN ('manual', 'planner')"),
        _fk(t, "asset_id", "assets", "CASCADE"),
        _fk(t, "moved_by", "users", "SET NULL"),
        _fk(t, "wave_id", "waves", "CASCADE"),
        _unique(t, "asset_id"),
    )
    _index(t, "wave_id")


def _extend_dependencies() -> None:
    t = "asset_dependencies"
    for name, kind in DEPENDENCY_COLUMNS:
        op.add_column(t, sa.Column(name, kind, nullable=True))
    op.add_column(t, sa.Column("observation_count", sa.Integer(), server_default="1", nullable=False))
    op.alter_column(t, "source_asset_id", existing_type=sa.UUID(), nullable=True)
    op.alter_column(t, "target_asset_id", existing_type=sa.UUID(), nullable=True)
    for name, sql in DEPENDENCY_CHECKS:
        op.create_check_constraint(op.f(f"ck_{t}_{name}"), t, sql)
    _index(t, "data_import_id")
    op.create_unique_constraint(
        op.f(f"uq_{t}_engagement_id_connection_key"), t, ["engagement_id", "connection_key"]
    )
    op.create_foreign_key(
        op.f(f"fk_{t}_data_import_id_data_imports"),
        t,
        "data_imports",
        ["data_import_id"],
        ["id"],
        ondelete="SET NULL",
    )


def upgrade() -> None:
    _create_tables()
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
        for statement in _policies(table):
            op.execute(statement)
    _extend_dependencies()


def downgrade() -> None:
    t = "asset_dependencies"
    op.drop_constraint(op.f(f"fk_{t}_data_import_id_data_imports"), t, type_="foreignkey")
    op.drop_constraint(op.f(f"uq_{t}_engagement_id_connection_key"), t, type_="unique")
    op.drop_index(op.f(f"ix_{t}_data_import_id"), table_name=t)
    for name, _ in reversed(DEPENDENCY_CHECKS):
        op.drop_constraint(op.f(f"ck_{t}_{name}"), t, type_="check")
    # an unresolved end has no place in 0007's schema (both ends are assets there); the owner sees
    # every tenant's rows only while RLS is not forced on it
    op.execute(f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"DELETE FROM {t} WHERE source_asset_id IS NULL OR target_asset_id IS NULL")
    op.execute(f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY")
    op.alter_column(t, "target_asset_id", existing_type=sa.UUID(), nullable=False)
    op.alter_column(t, "source_asset_id", existing_type=sa.UUID(), nullable=False)
    op.drop_column(t, "observation_count")
    for name, _ in reversed(DEPENDENCY_COLUMNS):
        op.drop_column(t, name)
    for table in reversed(TABLES):
        op.execute(f"REVOKE ALL ON {table} FROM {APP_ROLE}")
        op.drop_table(table)  # its indexes and policies go with it
