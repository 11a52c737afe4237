"""Planner statistics refreshed by the phases that rewrite whole tables (`md_analyze`).

Why: the dependency analysis replaces an engagement's move groups and their members, a
connection import stores 200,000 rows, tech debt and waves rewrite theirs. Until autovacuum's
next round the planner still believes those tables empty (1 row), and the first join over them
becomes a nested loop over every row: reading 2,973 groups with their 19,981 members took 8.6 s
instead of milliseconds, right after the analysis. The phase refreshes the statistics itself, in
its transaction (ANALYZE counts the transaction's own new rows).

Only the table owner may ANALYZE (before PostgreSQL 17's MAINTAIN privilege), so `md_analyze` is a
SECURITY DEFINER function written as 0002 prescribes (path `pg_catalog, pg_temp`, qualified
names), limited to the tables the phases rewrite. It waits at most 50 ms for the table's lock: if
another session (or autovacuum) is analysing the table, this one skips it instead of holding the
phase up. The lock is held until the phase commits, so a second consultant's phase running at the
same moment on a shared server skips the table and plans with the statistics it had (as before
this revision); the first one's arrive when it commits, autovacuum's with its next round.
Statistics expose nothing across tenants: `pg_stats` hides the columns of tables with row-level
security from roles it applies to.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:35:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

APP_ROLE = "md_app"
#: the tables whose statistics a phase refreshes after rewriting them (core.db.stats.ANALYSED)
ANALYSED = (
    "assets",
    "asset_dependencies",
    "infrastructure_services",
    "move_groups",
    "move_group_members",
    "techdebt_findings",
    "sixr_recommendations",
    "wave_members",
)


def upgrade() -> None:
    allowed = ", ".join(f"'{t}'" for t in ANALYSED)
    op.execute(
        f"""
CREATE FUNCTION public.md_analyze(tbl text) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    waited text := pg_catalog.current_setting('lock_timeout');
BEGIN
    IF tbl IS NULL OR tbl NOT IN ({allowed}) THEN
        RAISE EXCEPTION 'md_analyze: % is not a table whose statistics the app refreshes', tbl
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    BEGIN
        -- inside this block only: its subtransaction undoes the setting if the lock is not had
        PERFORM pg_catalog.set_config('lock_timeout', '50ms', true);
        EXECUTE pg_catalog.format('ANALYZE public.%I', tbl);
        PERFORM pg_catalog.set_config('lock_timeout', waited, true);
        RETURN true;
    EXCEPTION WHEN lock_not_available THEN
        RETURN false;
    END;
END
$$
"""
    )
    op.execute("REVOKE ALL ON FUNCTION public.md_analyze(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION public.md_analyze(text) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION public.md_analyze(text)")
