"""Safe SECURITY DEFINER functions, a users directory per engagement, no tenant ids in the catalog.

Why (issue 10): 0001's owner-defined functions searched `public, pg_catalog` for names.
PostgreSQL searches the session's `pg_temp` schema first unless the path names it last, so any
consultant login could create TEMP tables called `users`, `engagement_members` or `data_imports`,
claim a lead's membership of another client's engagement and read and write all of its rows.

What this revision does:
- Every owner-privileged (definer) function is redefined with the path `pg_catalog, pg_temp`
  (pg_temp explicitly last, where it can shadow nothing these functions use) and schema-qualified
  names for every table and function it touches, dynamic `format()` SQL included — as
  PostgreSQL's "Writing SECURITY DEFINER Functions Safely" prescribes. `db validate` fails on a
  definer function whose path does not end in pg_temp or that the app role can replace.
- Each definer function checks its arguments against the caller's engagement before it does
  anything: `md_attach_raw_partition` now refuses another tenant's (or an already attached)
  partition before any REVOKE or ATTACH; `md_drop_import_rows` runs only as the delete trigger of
  `data_imports` (0001 let any login attach it to a TEMP table of its own and drop another
  tenant's partition) and is no longer executable by PUBLIC.
- The non-definer helpers (`md_current_client`, `md_current_engagement`, `md_raw_partition_name`)
  get SQL-standard bodies (`BEGIN ATOMIC`, PostgreSQL 14+): names are resolved once, when the
  function is created, so no search_path at call time can redirect them — and, unlike a `SET
  search_path` clause, this keeps them inlinable into the row-level-security policies (with a SET
  clause a 1M-row policy scan measured 2.5 s instead of 0.35 s).
- A load partition's INSERT grant goes to the importing login only (not to every `md_app`
  member), and attaching it revokes every grant on it.
- Partition tenant CHECKs (which carried client and engagement UUIDs in `pg_constraint`, readable
  by every login) now exist only inside the importing transaction, whose catalog rows no other
  session can see: `md_attach_raw_partition` drops the CHECK right after ATTACH (it exists so that
  ATTACH skips its validation scan; once attached, rows are reached only through the parent and
  its policies). Existing attached partitions lose theirs here — no table is scanned.
- `users` rows are visible only to their own login and to consultants who share an engagement
  with them (`md_shares_engagement`), no longer to every login (`USING (true)`).
- `CREATE` on schema `public` is revoked from PUBLIC and `md_app` (PostgreSQL 15's default; a
  database created on an older server still grants it): a login that could create objects there
  could plant functions or operators where qualified names look.

Kept on purpose: `TEMPORARY` on the database. The import pipeline COPYs into a TEMP staging table
(PostgreSQL refuses COPY FROM into a table with row-level security), and cleansing and inventory
stage rows in TEMP tables too. With every definer function pinned to `pg_catalog, pg_temp` and
qualified, a login's TEMP objects are visible only to that login's own statements: harmless.

Downgrade restores 0001's function definitions (read from 0001 itself), grants and `users` policy
exactly, and re-adds
the tenant CHECK of every attached partition (one validating scan per partition). The revoked
CREATE on schema public is not given back.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APP_ROLE = "md_app"
MIN_SERVER_VERSION = 140000  # BEGIN ATOMIC function bodies

HELPERS = """
CREATE OR REPLACE FUNCTION public.md_current_client() RETURNS uuid LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT NULLIF(pg_catalog.current_setting('app.client_account_id', true), '')::pg_catalog.uuid;
END;

CREATE OR REPLACE FUNCTION public.md_current_engagement() RETURNS uuid LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT NULLIF(pg_catalog.current_setting('app.engagement_id', true), '')::pg_catalog.uuid;
END;

CREATE OR REPLACE FUNCTION public.md_raw_partition_name(imp uuid) RETURNS text LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT 'raw_import_records_' OPERATOR(pg_catalog.||)
         pg_catalog.replace(imp::pg_catalog.text, '-', '');
END;
"""

MEMBERSHIP_FUNCTIONS = """
-- Role of the logged-in PostgreSQL role (session_user) on the transaction's engagement.
-- SECURITY DEFINER so it can read membership past RLS; policies call it as (SELECT ...)
-- so it runs once per statement, not once per row.
CREATE OR REPLACE FUNCTION public.md_tenant_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT m.role FROM public.engagement_members m JOIN public.users u ON u.id = m.user_id
   WHERE m.engagement_id = public.md_current_engagement()
     AND m.client_account_id = public.md_current_client()
     AND u.db_role = session_user
   ORDER BY CASE m.role WHEN 'lead' THEN 0 WHEN 'member' THEN 1 ELSE 2 END
   LIMIT 1
$$;

CREATE OR REPLACE FUNCTION public.md_is_engagement_member(eng uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM public.engagement_members m JOIN public.users u ON u.id = m.user_id
                  WHERE m.engagement_id = eng AND u.db_role = session_user)
$$;

CREATE OR REPLACE FUNCTION public.md_is_client_member(cid uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM public.engagement_members m JOIN public.users u ON u.id = m.user_id
                  WHERE m.client_account_id = cid AND u.db_role = session_user)
$$;

-- Whether the logged-in role shares at least one engagement with user `uid` (users policy).
CREATE OR REPLACE FUNCTION public.md_shares_engagement(uid uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM public.engagement_members theirs
                   JOIN public.engagement_members mine ON mine.engagement_id = theirs.engagement_id
                   JOIN public.users me ON me.id = mine.user_id
                  WHERE theirs.user_id = uid AND me.db_role = session_user)
$$;
"""

PARTITION_FUNCTIONS = """
-- A fresh partition for one import's rows, created in the importing transaction. Pinned to the
-- import's tenant by a CHECK constraint (dropped again at attach, before anyone else can see
-- it); only the importing login may INSERT into it, until attached.
CREATE OR REPLACE FUNCTION public.md_create_raw_partition(imp uuid) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  part text := public.md_raw_partition_name(imp);
  cid uuid := public.md_current_client();
  eid uuid := public.md_current_engagement();
BEGIN
  IF coalesce(public.md_tenant_role(), '') NOT IN ('lead', 'member') THEN
    RAISE EXCEPTION 'not allowed to write to this engagement' USING ERRCODE = '42501';
  END IF;
  PERFORM 1 FROM public.data_imports d
   WHERE d.id = imp AND d.client_account_id = cid AND d.engagement_id = eid;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'import % is not part of this engagement', imp USING ERRCODE = '42704';
  END IF;
  EXECUTE format('CREATE TABLE public.%I (LIKE public.raw_import_records INCLUDING DEFAULTS)', part);
  EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (data_import_id = %L'
                 ' AND client_account_id = %L AND engagement_id = %L)',
                 part, part || '_tenant', imp, cid, eid);
  IF NOT pg_has_role(session_user, current_user, 'USAGE') THEN  -- the owner needs no grant
    EXECUTE format('GRANT INSERT ON public.%I TO %I', part, session_user);
  END IF;
  RETURN part;
END $$;

-- Attach the loaded partition (indexes are built in bulk here), take back every grant on it and
-- drop its tenant CHECK (the CHECK let ATTACH skip the validation scan; from now on the rows are
-- reachable only through the parent and its policies). Refused, before any change, unless the
-- import belongs to the caller's engagement and its partition is loaded and not yet attached.
CREATE OR REPLACE FUNCTION public.md_attach_raw_partition(imp uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  part text := public.md_raw_partition_name(imp);
  rel regclass;
  grantee oid;
BEGIN
  IF coalesce(public.md_tenant_role(), '') NOT IN ('lead', 'member') THEN
    RAISE EXCEPTION 'not allowed to write to this engagement' USING ERRCODE = '42501';
  END IF;
  PERFORM 1 FROM public.data_imports d
   WHERE d.id = imp AND d.client_account_id = public.md_current_client()
     AND d.engagement_id = public.md_current_engagement();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'import % is not part of this engagement', imp USING ERRCODE = '42704';
  END IF;
  rel := to_regclass('public.' || quote_ident(part));
  IF rel IS NULL THEN
    RAISE EXCEPTION 'no partition was created for import %', imp USING ERRCODE = '42P01';
  END IF;
  IF (SELECT c.relispartition FROM pg_catalog.pg_class c WHERE c.oid = rel) THEN
    RAISE EXCEPTION 'the partition of import % is already attached', imp USING ERRCODE = '55000';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                  WHERE k.conrelid = rel AND k.contype = 'c' AND k.conname = part || '_tenant') THEN
    RAISE EXCEPTION 'the partition of import % is not pinned to its tenant', imp USING ERRCODE = '55000';
  END IF;
  FOR grantee IN
    SELECT DISTINCT a.grantee FROM pg_catalog.pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = rel AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON public.%I FROM %s', part,
                   CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END);
  END LOOP;
  EXECUTE format('ALTER TABLE public.raw_import_records ATTACH PARTITION public.%I FOR VALUES IN (%L)',
                 part, imp);
  EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', part, part || '_tenant');
END $$;

-- Deleting an import (directly or by cascade from its engagement or client) removes its rows.
-- Only as the delete trigger of data_imports: OLD is then a row the caller was allowed to delete.
CREATE OR REPLACE FUNCTION public.md_drop_import_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_RELID <> 'public.data_imports'::regclass OR TG_OP <> 'DELETE' OR TG_LEVEL <> 'ROW' THEN
    RAISE EXCEPTION 'md_drop_import_rows runs only as the delete trigger of data_imports'
      USING ERRCODE = '42501';
  END IF;
  DELETE FROM public.raw_import_records_default WHERE data_import_id = OLD.id;
  EXECUTE format('DROP TABLE IF EXISTS public.%I', public.md_raw_partition_name(OLD.id));
  RETURN NULL;
END $$;
"""

USERS_POLICY = (
    "CREATE POLICY member_select ON public.users FOR SELECT"
    " USING (db_role = session_user OR public.md_shares_engagement(id))"
)

# Attached partitions: their tenant CHECK goes (a catalog change, no scan).
DROP_TENANT_CHECKS = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.relname, k.conname
      FROM pg_catalog.pg_inherits i
      JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
      JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid
     WHERE i.inhparent = 'public.raw_import_records'::regclass
       AND k.contype = 'c' AND k.conname = c.relname || '_tenant'
  LOOP
    EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', r.relname, r.conname);
  END LOOP;
END $$;
"""

# 0001 pinned every partition to its tenant for good: put the CHECKs back (each one scans).
ADD_TENANT_CHECKS = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.relname, d.id, d.client_account_id, d.engagement_id
      FROM pg_catalog.pg_inherits i
      JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
      JOIN public.data_imports d ON public.md_raw_partition_name(d.id) = c.relname
     WHERE i.inhparent = 'public.raw_import_records'::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                        WHERE k.conrelid = c.oid AND k.conname = c.relname || '_tenant')
  LOOP
    EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (data_import_id = %L'
                   ' AND client_account_id = %L AND engagement_id = %L)',
                   r.relname, r.relname || '_tenant', r.id, r.client_account_id, r.engagement_id);
  END LOOP;
END $$;
"""

DEFINER_FUNCTIONS = (
    "md_tenant_role()",
    "md_is_engagement_member(uuid)",
    "md_is_client_member(uuid)",
    "md_shares_engagement(uuid)",
    "md_create_raw_partition(uuid)",
    "md_attach_raw_partition(uuid)",
)


def _functions_0001() -> str:
    """0001's function definitions exactly as released, as CREATE OR REPLACE, without its trigger."""
    spec = importlib.util.spec_from_file_location(
        "md_migration_0001", Path(__file__).with_name("0001_consolidated_schema.py")
    )
    assert spec is not None and spec.loader is not None
    released = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(released)
    statements = (released.FUNCTIONS + released.RAW_PARTITION_FUNCTIONS).replace(
        "CREATE FUNCTION ", "CREATE OR REPLACE FUNCTION "
    )
    trigger = statements.index("CREATE TRIGGER")  # the trigger itself is still in place
    assert statements[trigger:].count(";") == 1
    return statements[:trigger]


def _require_server_version() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
          IF current_setting('server_version_num')::int < {MIN_SERVER_VERSION} THEN
            RAISE EXCEPTION 'Migration Discovery needs PostgreSQL 14 or newer (this server runs %)',
              current_setting('server_version');
          END IF;
        END $$;
        """
    )


def upgrade() -> None:
    _require_server_version()
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {APP_ROLE}")
    op.execute(HELPERS)
    op.execute(MEMBERSHIP_FUNCTIONS)
    op.execute(PARTITION_FUNCTIONS)
    op.execute("DROP POLICY directory_select ON public.users")
    op.execute(USERS_POLICY)
    for fn in DEFINER_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION public.{fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION public.{fn} TO {APP_ROLE}")
    # a trigger function: fired by the trigger without an EXECUTE check, never called directly
    op.execute("REVOKE ALL ON FUNCTION public.md_drop_import_rows() FROM PUBLIC")
    op.execute(DROP_TENANT_CHECKS)


def downgrade() -> None:
    op.execute(ADD_TENANT_CHECKS)
    op.execute("GRANT EXECUTE ON FUNCTION public.md_drop_import_rows() TO PUBLIC")
    op.execute("DROP POLICY member_select ON public.users")
    op.execute("CREATE POLICY directory_select ON public.users FOR SELECT USING (true)")
    op.execute("DROP FUNCTION public.md_shares_engagement(uuid)")
    op.execute(_functions_0001())
