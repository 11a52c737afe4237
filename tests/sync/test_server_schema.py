"""A server whose schema is not this app's is refused before anything is pushed or pulled."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from core.bootstrap import Core
from core.db import migrate
from core.db.database import Database, ensure_login_role
from core.sync.engine import SyncRefused
from core.sync.service import run
from core.uow import Tenant

from .conftest import ROLE, SharedServer


def test_a_server_at_an_older_schema_is_refused_naming_the_upgrade(
    core: Core, tenant: Tenant, shared_server: SharedServer
) -> None:
    base = make_url(shared_server.admin_url)
    with psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:  # fmt: skip
        conn.execute("DROP DATABASE IF EXISTS md_old_schema")
        conn.execute("CREATE DATABASE md_old_schema")
    old = base.set(database="md_old_schema").render_as_string(hide_password=False)
    migrate.upgrade(old, "0009")
    db = Database(mode="shared", app_url=old, admin_url=old)
    ensure_login_role(db.admin_engine, ROLE)
    db.close()
    url = make_url(old).set(username=ROLE, password=None).render_as_string(hide_password=False)
    with pytest.raises(SyncRefused, match="revision 0009") as refused:
        run(core.db, tenant, url)
    assert "db upgrade" in (refused.value.hint or "")


def test_work_a_laptop_held_before_the_sync_schema_is_in_its_outbox(
    make_database, role_url, tmp_path
) -> None:
    """Upgrading to 0010 logs every existing row once, so the first sync sends it (nothing lost)."""
    from sqlalchemy import func, select

    from core import tenancy
    from core.config import Settings
    from core.db.models import SyncChange
    from core.imports import import_file

    from .conftest import IDENTITY

    admin_url = make_database()
    migrate.upgrade(admin_url, "0009")
    db = Database(mode="shared", app_url=role_url(admin_url, ROLE), admin_url=admin_url)
    ensure_login_role(db.admin_engine, ROLE)
    user_id = tenancy.ensure_user(db.admin_sessions(), IDENTITY, ROLE)
    ref = tenancy.ensure_engagement(db.admin_sessions(), "Before Sync", "E", user_id)
    old = Core(settings=Settings(data_dir=tmp_path, database_url=db.app_url), db=db, identity=IDENTITY,
               user_id=user_id)  # fmt: skip
    csv = tmp_path / "old.csv"
    csv.write_text("Server Name\nold01\nold02\n", "utf-8")
    made = import_file(old.uows, old.tenant_for(ref), csv)
    migrate.upgrade(admin_url)
    with old.uow(old.tenant_for(ref)) as uow:
        logged = dict(
            uow.session.execute(
                select(SyncChange.table_name, func.count()).group_by(SyncChange.table_name)
            ).all()
        )
        rows = uow.session.scalar(select(SyncChange.row_id).where(SyncChange.table_name == "data_imports"))
    assert logged["data_imports"] == 1 and rows == made.import_id
    assert logged["discovery_flows"] == 1 and logged["import_field_mappings"] >= 1
    db.close()
