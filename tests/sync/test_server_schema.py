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
