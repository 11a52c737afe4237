"""AI crews: `crew_outputs`, what each run of a CrewAI crew produced, cost and said went wrong.

Why (issue 16): the AI crews (core/agents) are an addition on top of the deterministic engine; a
consultant must be able to see afterwards which model said what, how many tokens it used and how
long it took, and a failed run (timeout, HTTP 4xx/5xx, refused, malformed output) must be kept with
its reason. The mapping suggestions a crew makes are stored as `import_field_mappings` suggestions
(`suggested_by = 'ai_agent'`); quality findings and schema notes live only here.

What this revision adds (a tenant table like the others: row-level security enabled and forced,
the same four policies, the app role may read and write it):
- `crew_outputs`: the flow (SET NULL: the record stays when the flow goes) and its import (SET
  NULL), `crew` schema | quality | mapping (CHECK), the `model` and the endpoint host
  (`endpoint`, never the key), `status` running | completed | failed | cancelled (CHECK), the
  per-task list (`tasks`: name, status, tokens, seconds), the validated outputs (`output`), the
  findings and suggestion counts, prompt / completion tokens, requests, prompt bytes, duration,
  error and recovery hint, who started it, started / finished stamps.

Downgrade drops the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

APP_ROLE = "md_app"
TABLE = "crew_outputs"
CREWS = "'schema', 'quality', 'mapping'"
STATUSES = "'running', 'completed', 'failed', 'cancelled'"
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


def _now(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=nullable)


def _jsonb(name: str) -> sa.Column[object]:
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), nullable=False)


def _int(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), nullable=False)


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{TABLE}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    t = TABLE
    op.create_table(
        t,
        sa.Column("discovery_flow_id", sa.UUID(), nullable=True),
        sa.Column("data_import_id", sa.UUID(), nullable=True),
        sa.Column("crew", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        _jsonb("tasks"),
        _jsonb("output"),
        _int("suggestions"),
        _int("findings"),
        _int("prompt_tokens"),
        _int("completion_tokens"),
        _int("requests"),
        _int("prompt_bytes"),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("hint", sa.Text(), nullable=True),
        sa.Column("started_by", sa.UUID(), nullable=True),
        _now("started_at"),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_account_id", sa.UUID(), nullable=False),
        sa.Column("engagement_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint(f"crew IN ({CREWS})", name=op.f(f"ck_{t}_crew")),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f(f"ck_{t}_status")),
        _fk("discovery_flow_id", "discovery_flows", "SET NULL"),
        _fk("data_import_id", "data_imports", "SET NULL"),
        _fk("started_by", "users", "SET NULL"),
        _fk("client_account_id", "client_accounts", "CASCADE"),
        _fk("engagement_id", "engagements", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    tenant_columns = ["client_account_id", "engagement_id"]
    op.create_index(op.f(f"ix_{t}_client_account_id_engagement_id"), t, tenant_columns, unique=False)
    op.create_index(op.f(f"ix_{t}_discovery_flow_id"), t, ["discovery_flow_id"], unique=False)
    op.create_index(op.f(f"ix_{t}_data_import_id"), t, ["data_import_id"], unique=False)
    op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {APP_ROLE}")
    for statement in _policies(t):
        op.execute(statement)


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON {TABLE} FROM {APP_ROLE}")
    op.drop_table(TABLE)  # its indexes and policies go with it
