"""Offline sync: a change log written by the database itself, and the laptop's sync bookkeeping.

Why (issue 15): consultants prepare imports on the laptop's embedded database and push them to the
shared engagement server later; several consultants pull each other's work. Every change must be
recorded in the same transaction as the change, from one place, and nothing may bypass it — so the
change log is written by triggers, whatever wrote the row (the ORM, a bulk INSERT, COPY through the
table, a definer function):

- `sync_changes` (tenant table, both sides): one row per changed row — table, row id, `upsert` or
  `delete`, the row's `updated_at` before the change (`base_updated_at`, the version a conflict is
  detected against) and `origin` (the device whose push wrote it; NULL for local work), ordered by
  `seq`, with the writing transaction's id (`txid`). On the laptop the rows of local origin are
  the outbox (deleted once the server has them); on the server a laptop pulls the rows of
  transactions that finished after its cursor (`sync_state.pulled_xid`, a snapshot's xmin), so a
  transaction that commits late with a lower `seq` is never skipped. Trigger `md_log_change` on
  every synced table
  (row level); `raw_import_records` logs one row per import and statement (its records travel as
  one unit with their import; the import path attaches a loaded partition, which fires no insert
  trigger, so an import's records go with its `data_imports` row). Replaying what was pulled sets
  `md.sync_replaying` for its transaction and logs nothing; a push applied on the server sets
  `md.sync_origin` to the pushing device, so it does not come back to that device.
  `md_touch_row` (BEFORE UPDATE) stamps `updated_at` on every local change that did not set it
  itself, whatever wrote it, so the row's `updated_at` is its version; rows arriving by sync keep
  the sender's stamp.
- `sync_state` (laptop): per engagement and server, this device's id and its cursors.
- `sync_batches` (server): one row per applied push batch, keyed by the batch's idempotency key,
  written in the batch's transaction — a retry after a cut connection looks the key up.
- `sync_conflicts` (laptop): a local change the server had changed too (the server's value stands;
  both values kept for the consultant to re-apply or drop).
- `sync_rejections` (laptop): a batch the server refused (validation, permission, RLS), with its
  reason, until the consultant acts.
- `sync_uploads` (server): an import's records being pushed in chunks that each commit (how far,
  from which version of the laptop's records), so a cut connection resumes where it was; they load
  into the import's partition while it is not attached (`md_stage_raw_partition`), and the push's
  last batch pins them to the tenant and attaches it (`md_attach_staged_partition`).

Rows written before this revision are logged once as changes (the first sync sends them).

Every new table is a tenant table like the others (row-level security enabled and forced, the same
four policies, the app role may read and write it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

APP_ROLE = "md_app"
#: the tenant tables whose rows sync (core.sync.tables keeps the same list; a test compares them)
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
NEW_TABLES = (
    "sync_changes",
    "sync_state",
    "sync_batches",
    "sync_conflicts",
    "sync_rejections",
    "sync_uploads",
)
IN_SCOPE = "client_account_id = md_current_client() AND engagement_id = md_current_engagement()"
CAN_READ = "(SELECT md_tenant_role()) IS NOT NULL"
CAN_WRITE = "(SELECT md_tenant_role()) IN ('lead', 'member')"

LOG_ROW = """
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
TOUCH_ROW = """
CREATE FUNCTION md_touch_row() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- an UPDATE that sets updated_at itself keeps its value (the ORM's stamp, a sync, an admin)
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
       AND coalesce(current_setting('md.sync_replaying', true), '') <> 'on'
       AND coalesce(current_setting('md.sync_origin', true), '') = '' THEN
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$
"""
# An import's records pushed in chunks that each commit, so a cut connection resumes where it was:
# they are loaded into the import's partition while it is not attached (no policy, no index, no
# tenant CHECK in the catalog for other logins to read); the push's last batch pins the rows to the
# tenant (CHECK, validated by a scan) and attaches the partition through md_attach_raw_partition.
STAGE_PARTITION = """
CREATE FUNCTION public.md_stage_raw_partition(imp uuid, reset boolean) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  part text := public.md_raw_partition_name(imp);
  rel regclass;
BEGIN
  IF coalesce(public.md_tenant_role(), '') NOT IN ('lead', 'member') THEN
    RAISE EXCEPTION 'not allowed to write to this engagement' USING ERRCODE = '42501';
  END IF;
  PERFORM 1 FROM public.data_imports d
   WHERE d.id = imp AND (d.client_account_id <> public.md_current_client()
                         OR d.engagement_id <> public.md_current_engagement());
  IF FOUND THEN
    RAISE EXCEPTION 'import % is not part of this engagement', imp USING ERRCODE = '42704';
  END IF;
  rel := to_regclass('public.' || quote_ident(part));
  IF rel IS NULL THEN
    EXECUTE format('CREATE TABLE public.%I (LIKE public.raw_import_records INCLUDING DEFAULTS)', part);
  ELSE
    IF (SELECT c.relispartition FROM pg_catalog.pg_class c WHERE c.oid = rel) THEN
      RAISE EXCEPTION 'the records of import % are already on the server', imp USING ERRCODE = '55000';
    END IF;
    PERFORM 1 FROM public.sync_uploads u
     WHERE u.data_import_id = imp AND u.client_account_id = public.md_current_client()
       AND u.engagement_id = public.md_current_engagement();
    IF NOT FOUND THEN
      RAISE EXCEPTION 'import % is being loaded by another session', imp USING ERRCODE = '55000';
    END IF;
    IF reset THEN
      EXECUTE format('TRUNCATE public.%I', part);
    END IF;
  END IF;
  IF NOT pg_has_role(session_user, current_user, 'USAGE') THEN
    EXECUTE format('GRANT INSERT ON public.%I TO %I', part, session_user);
  END IF;
  RETURN part;
END $$
"""
ATTACH_STAGED = """
CREATE FUNCTION public.md_attach_staged_partition(imp uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  part text := public.md_raw_partition_name(imp);
BEGIN
  IF coalesce(public.md_tenant_role(), '') NOT IN ('lead', 'member') THEN
    RAISE EXCEPTION 'not allowed to write to this engagement' USING ERRCODE = '42501';
  END IF;
  PERFORM 1 FROM public.sync_uploads u
   WHERE u.data_import_id = imp AND u.client_account_id = public.md_current_client()
     AND u.engagement_id = public.md_current_engagement();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no upload of import % in this engagement', imp USING ERRCODE = '42704';
  END IF;
  -- every staged row must be this tenant's and this import's: the CHECK scans them all
  EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (data_import_id = %L'
                 ' AND client_account_id = %L AND engagement_id = %L)',
                 part, part || '_tenant', imp, public.md_current_client(), public.md_current_engagement());
  PERFORM public.md_attach_raw_partition(imp);
  DELETE FROM public.sync_uploads WHERE data_import_id = imp;
END $$
"""
# An engagement made offline on a laptop reaches the server with its own ids when the pushing
# login leads another engagement of the same client there (a new client is the server owner's
# call, `db grant`); the login becomes the new engagement's lead. Refused, with the reason, else.
PUSH_ENGAGEMENT = """
CREATE FUNCTION public.md_push_engagement(cid uuid, eid uuid, ename text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  uid uuid;
  found_client uuid;
BEGIN
  SELECT u.id INTO uid FROM public.users u WHERE u.db_role = session_user;
  IF uid IS NULL THEN
    RAISE EXCEPTION 'this login is not a consultant on this server' USING ERRCODE = '42501';
  END IF;
  SELECT e.client_account_id INTO found_client FROM public.engagements e WHERE e.id = eid;
  IF found_client IS NOT NULL THEN
    IF found_client <> cid THEN
      RAISE EXCEPTION 'engagement % belongs to another client here', eid USING ERRCODE = '42501';
    END IF;
    RETURN 'exists';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.client_accounts c WHERE c.id = cid) THEN
    RAISE EXCEPTION 'this client is not on the server: its owner adds it (db grant)' USING ERRCODE = '42501';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.engagement_members m
                  WHERE m.client_account_id = cid AND m.user_id = uid AND m.role = 'lead') THEN
    RAISE EXCEPTION 'only a lead of one of this client''s engagements may add an engagement here'
      USING ERRCODE = '42501';
  END IF;
  IF EXISTS (SELECT 1 FROM public.engagements e WHERE e.client_account_id = cid AND e.name = ename) THEN
    RAISE EXCEPTION 'the client already has an engagement named % here', ename USING ERRCODE = '23505';
  END IF;
  INSERT INTO public.engagements (id, client_account_id, name) VALUES (eid, cid, ename);
  INSERT INTO public.engagement_members (id, client_account_id, engagement_id, user_id, role)
  VALUES (gen_random_uuid(), cid, eid, uid, 'lead');
  RETURN 'created';
END $$
"""
LOG_RECORDS = """
CREATE FUNCTION md_log_records() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF coalesce(current_setting('md.sync_replaying', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO public.sync_changes (client_account_id, engagement_id, table_name, row_id, op, origin)
    SELECT DISTINCT client_account_id, engagement_id, 'raw_import_records', data_import_id, 'upsert',
           nullif(current_setting('md.sync_origin', true), '')::uuid
    FROM changed_rows;
    RETURN NULL;
END
$$
"""


def _tenant_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("client_account_id", sa.UUID(), sa.ForeignKey("client_accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("engagement_id", sa.UUID(), sa.ForeignKey("engagements.id", ondelete="CASCADE"),
                  nullable=False),
    ]  # fmt: skip


def _stamps() -> list[sa.Column[object]]:
    now = sa.text("now()")
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
    ]


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.UUID(), primary_key=True)


def _create_tables() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "sync_changes",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        *_tenant_columns(),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("row_id", sa.UUID(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("base_updated_at", sa.DateTime(timezone=True)),
        sa.Column("origin", sa.UUID()),
        sa.Column(
            "txid",
            sa.BigInteger(),
            server_default=sa.text("pg_current_xact_id()::text::bigint"),
            nullable=False,
        ),
        *_stamps(),
        sa.CheckConstraint("op IN ('upsert', 'delete')", name=op.f("ck_sync_changes_op")),
        sa.UniqueConstraint("seq", name=op.f("uq_sync_changes_seq")),
    )
    op.create_index(op.f("ix_sync_changes_engagement_id_seq"), "sync_changes", ["engagement_id", "seq"])
    op.create_index(
        op.f("ix_sync_changes_client_account_id_engagement_id"),
        "sync_changes",
        ["client_account_id", "engagement_id"],
    )
    op.create_table(
        "sync_state",
        _id(),
        *_tenant_columns(),
        sa.Column("server", sa.Text(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("pushed_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pulled_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pulled_xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True)),
        sa.Column("last_pull_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        sa.Column("pending_batch", jsonb),
        *_stamps(),
        sa.UniqueConstraint("engagement_id", "server", name=op.f("uq_sync_state_engagement_id_server")),
    )
    op.create_table(
        "sync_batches",
        _id(),
        *_tenant_columns(),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("counts", jsonb, server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("applied_by", sa.Text(), server_default=sa.text("session_user"), nullable=False),
        *_stamps(),
    )
    for name in ("sync_conflicts", "sync_rejections"):
        specific = (
            [
                sa.Column("table_name", sa.Text(), nullable=False),
                sa.Column("row_id", sa.UUID(), nullable=False),
                sa.Column("local_row", jsonb, nullable=False),
                sa.Column("server_row", jsonb),
                sa.Column("server_updated_at", sa.DateTime(timezone=True)),
                sa.Column("changed_by", sa.Text()),
            ]
            if name == "sync_conflicts"
            else [
                sa.Column("batch_key", sa.UUID(), nullable=False),
                sa.Column("first_seq", sa.BigInteger(), nullable=False),
                sa.Column("last_seq", sa.BigInteger(), nullable=False),
                sa.Column("changes", jsonb, nullable=False),
                sa.Column("reason", sa.Text(), nullable=False),
                sa.Column("error_class", sa.Text()),
            ]
        )
        op.create_table(
            name,
            _id(),
            *_tenant_columns(),
            sa.Column("server", sa.Text(), nullable=False),
            *specific,
            sa.Column("resolved_at", sa.DateTime(timezone=True)),
            sa.Column("resolution", sa.Text()),
            *_stamps(),
        )
    op.create_table(
        "sync_uploads",
        _id(),
        *_tenant_columns(),
        sa.Column("data_import_id", sa.UUID(), nullable=False),
        sa.Column("source_version", sa.Text(), nullable=False),
        sa.Column("last_record_index", sa.BigInteger(), server_default="-1", nullable=False),
        sa.Column("rows", sa.BigInteger(), server_default="0", nullable=False),
        *_stamps(),
        sa.UniqueConstraint("data_import_id", name=op.f("uq_sync_uploads_data_import_id")),
    )
    for name in ("sync_state", "sync_batches", "sync_conflicts", "sync_rejections", "sync_uploads"):
        op.create_index(
            op.f(f"ix_{name}_client_account_id_engagement_id"), name, ["client_account_id", "engagement_id"]
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
    _create_tables()
    for table in NEW_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
        for statement in _policies(table):
            op.execute(statement)
    op.execute(f"GRANT USAGE ON SEQUENCE sync_changes_seq_seq TO {APP_ROLE}")
    op.execute(LOG_ROW)
    op.execute(TOUCH_ROW)
    op.execute(LOG_RECORDS)
    op.execute(STAGE_PARTITION)
    op.execute(ATTACH_STAGED)
    op.execute(PUSH_ENGAGEMENT)
    for fn in (
        "md_stage_raw_partition(uuid, boolean)",
        "md_attach_staged_partition(uuid)",
        "md_push_engagement(uuid, uuid, text)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION public.{fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION public.{fn} TO {APP_ROLE}")
    for table in SYNCED_TABLES:
        op.execute(
            f"CREATE TRIGGER md_log_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION md_log_change()"
        )
        op.execute(
            f"CREATE TRIGGER md_touch_row BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION md_touch_row()"
        )
    _log_existing_rows()
    for event in ("INSERT", "UPDATE", "DELETE"):
        table = "NEW" if event != "DELETE" else "OLD"
        op.execute(
            f"CREATE TRIGGER md_log_records_{event.lower()} AFTER {event} ON raw_import_records "
            f"REFERENCING {table} TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION md_log_records()"
        )


def _log_existing_rows() -> None:
    """Rows written before this revision are changes nobody has pushed yet: log each once, so the
    first sync sends the work a laptop already holds (an import's records go with its row). The
    owner sees every tenant's rows only while row-level security is not forced on the tables."""
    for table in (*SYNCED_TABLES, "sync_changes"):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    for table in SYNCED_TABLES:
        op.execute(
            "INSERT INTO sync_changes (client_account_id, engagement_id, table_name, row_id, op)"
            f" SELECT client_account_id, engagement_id, '{table}', id, 'upsert' FROM {table}"
            " ORDER BY created_at"
        )
    for table in (*SYNCED_TABLES, "sync_changes"):
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS md_log_records_{event} ON raw_import_records")
    for table in SYNCED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS md_log_change ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS md_touch_row ON {table}")
    op.execute("DROP FUNCTION IF EXISTS md_push_engagement(uuid, uuid, text)")
    op.execute("DROP FUNCTION IF EXISTS md_attach_staged_partition(uuid)")
    op.execute("DROP FUNCTION IF EXISTS md_stage_raw_partition(uuid, boolean)")
    op.execute("DROP FUNCTION IF EXISTS md_log_records()")
    op.execute("DROP FUNCTION IF EXISTS md_touch_row()")
    op.execute("DROP FUNCTION IF EXISTS md_log_change()")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
