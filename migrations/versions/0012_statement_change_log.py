"""Sync: the change log is written once per statement, not once per row.

Why: `md_log_change` (0010) was a row-level trigger: every changed row ran its own
`INSERT INTO sync_changes`, and each of those inserts checked the change log's row-level security
policy again — `md_tenant_role()` looks the writer up in `engagement_members` and `users`, and a
policy's `(SELECT …)` is evaluated once per statement, which for a row trigger means once per row.
A bulk write paid about 0.25 ms per row for it: 30,000 connections took 8.4 s to insert where the
same statement without the log takes 1.2 s, and a 200,000-connection export spent most of its
import there. PostgreSQL's answer is a statement-level trigger with transition tables (as
`md_log_records` does for the raw records since 0010): one `INSERT … SELECT` per statement from the
rows it changed, the policy checked with one role lookup.

What a change row holds is unchanged: table, row id, `upsert`/`delete`, the row's `updated_at` before
an update or delete (`base_updated_at`), `origin`, and (0011) `changed_by`; replaying a pull
(`md.sync_replaying`) still logs nothing. An `INSERT … ON CONFLICT DO UPDATE` fires the insert
trigger for the rows it inserted and the update trigger for those it updated.

A change is logged in the engagement of the transaction that made it (`md_current_engagement()`,
the row's own where none is set, as for the owner): mapping memory is the client's, so a consultant
in a second engagement who approves a pairing the first one taught updates the first one's row —
and the row trigger logged that change under the row's engagement, which the change log's policy
refused ("new row violates row-level security policy for table sync_changes"): the approval failed.
For every other table the two are the same (their policies keep rows in the transaction's scope).
An update is logged from its old rows alone (no code changes a row's id, and the engagement logged
is the transaction's): joining the old and new transition tables, which have no statistics and no
index, made the planner loop over both — 50,000 relinked connections took 486 s.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: the tenant tables whose rows sync (as in 0010 and core.sync.tables; a test compares them)
SYNCED_TABLES = (
    "data_imports",
    "import_field_mappings",
    "mapping_memory",
    "import_quality_reports",
    "master_flows",
    "discovery_flows",
    "flow_events",
    "flow_checkpoints",
    "flow_archive",
    "assets",
    "asset_details",
    "asset_dependencies",
    "asset_merge_decisions",
    "asset_distinct_decisions",
    "techdebt_findings",
    "infrastructure_services",
    "infrastructure_overrides",
    "move_groups",
    "move_group_members",
    "sixr_recommendations",
    "sixr_overrides",
    "waves",
    "wave_members",
    "crew_outputs",
)

LOG_CHANGES = """
CREATE FUNCTION md_log_changes() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF coalesce(current_setting('md.sync_replaying', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO public.sync_changes
            (client_account_id, engagement_id, table_name, row_id, op, base_updated_at, origin)
        SELECT coalesce(public.md_current_client(), n.client_account_id),
               coalesce(public.md_current_engagement(), n.engagement_id),
               TG_TABLE_NAME, n.id, 'upsert', NULL,
               nullif(current_setting('md.sync_origin', true), '')::uuid
        FROM md_new n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO public.sync_changes
            (client_account_id, engagement_id, table_name, row_id, op, base_updated_at, origin)
        SELECT coalesce(public.md_current_client(), o.client_account_id),
               coalesce(public.md_current_engagement(), o.engagement_id),
               TG_TABLE_NAME, o.id, 'upsert', o.updated_at,
               nullif(current_setting('md.sync_origin', true), '')::uuid
        FROM md_old o;
    ELSE
        INSERT INTO public.sync_changes
            (client_account_id, engagement_id, table_name, row_id, op, base_updated_at, origin)
        SELECT coalesce(public.md_current_client(), o.client_account_id),
               coalesce(public.md_current_engagement(), o.engagement_id),
               TG_TABLE_NAME, o.id, 'delete', o.updated_at,
               nullif(current_setting('md.sync_origin', true), '')::uuid
        FROM md_old o;
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    ("md_log_insert", "INSERT", "REFERENCING NEW TABLE AS md_new"),
    ("md_log_update", "UPDATE", "REFERENCING OLD TABLE AS md_old"),
    ("md_log_delete", "DELETE", "REFERENCING OLD TABLE AS md_old"),
)


def upgrade() -> None:
    op.execute(LOG_CHANGES)
    for table in SYNCED_TABLES:
        op.execute(f"DROP TRIGGER md_log_change ON {table}")
        for name, event, transition in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} {transition} "
                "FOR EACH STATEMENT EXECUTE FUNCTION md_log_changes()"
            )
    op.execute("DROP FUNCTION md_log_change()")


def downgrade() -> None:
    op.execute(
        """
CREATE FUNCTION md_log_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
BEGIN
    IF coalesce(current_setting('md.sync_replaying', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    INSERT INTO public.sync_changes
        (client_account_id, engagement_id, table_name, row_id, op, base_updated_at, origin)
    VALUES (
        r.client_account_id, r.engagement_id, TG_TABLE_NAME, r.id,
        CASE WHEN TG_OP = 'DELETE' THEN 'delete' ELSE 'upsert' END,
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.updated_at END,
        nullif(current_setting('md.sync_origin', true), '')::uuid
    );
    RETURN NULL;
END
$$
"""
    )
    for table in SYNCED_TABLES:
        for name, _event, _transition in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER md_log_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION md_log_change()"
        )
    op.execute("DROP FUNCTION md_log_changes()")
