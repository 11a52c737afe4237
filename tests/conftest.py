"""Shared fixtures: a real PostgreSQL for every test that needs one.

By default an embedded server (core.db.embedded) is started once per test session in a temporary
directory; with `MD_TEST_DATABASE_URL` (an admin URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres)
the tests run against that server instead. Each session gets its own freshly migrated database,
and each test its own client account and engagement, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from core import tenancy
from core.bootstrap import Core
from core.config import Identity, Settings
from core.db import migrate
from core.db.database import Database, ensure_login_role, normalise_url
from core.db.embedded import EmbeddedServer
from core.uow import Tenant

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TEST_ROLE = "md_test_consultant"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin URL of the server the tests use (its maintenance database)."""
    url = os.environ.get("MD_TEST_DATABASE_URL")
    if url:
        yield normalise_url(url)
        return
    server = EmbeddedServer(tmp_path_factory.mktemp("embedded"))
    server.start()
    yield server.url(database="postgres")
    server.stop()


@pytest.fixture(scope="session")
def make_database(pg_base_url: str) -> Iterator[Callable[[], str]]:
    """Factory for empty databases on the test server; all are dropped at the end."""
    created: list[str] = []

    def create() -> str:
        name = f"md_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(pg_base_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return make_url(pg_base_url).set(database=name).render_as_string(hide_password=False)

    yield create
    with psycopg.connect(_libpq(pg_base_url), autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_url_for(admin_url: str, role: str) -> str:
    """Same server and database, logged in as a consultant role (trust auth in tests)."""
    return make_url(admin_url).set(username=role, password=None).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def role_url() -> Callable[[str, str], str]:
    """`role_url(admin_url, role)`: the URL a consultant role logs in with."""
    return app_url_for


@pytest.fixture(scope="session")
def migrated_db(make_database: Callable[[], str]) -> Iterator[Database]:
    """One migrated database for the session, used through an RLS-bound consultant role."""
    admin_url = make_database()
    migrate.upgrade(admin_url)
    db = Database(mode="shared", app_url=app_url_for(admin_url, TEST_ROLE), admin_url=admin_url)
    ensure_login_role(db.admin_engine, TEST_ROLE)
    yield db
    db.close()


@pytest.fixture(scope="session")
def core(migrated_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Core:
    """Core services acting as a test consultant."""
    identity = Identity("Test Consultant", "tester@example.com")
    user_id = tenancy.ensure_user(migrated_db.admin_sessions(), identity, TEST_ROLE)
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("data")), database_url=migrated_db.app_url)
    return Core(settings=settings, db=migrated_db, identity=identity, user_id=user_id)


@pytest.fixture
def engagement(core: Core) -> tenancy.EngagementRef:
    """A fresh client account and engagement, led by the test consultant."""
    suffix = uuid.uuid4().hex[:8]
    return tenancy.ensure_engagement(
        core.db.admin_sessions(), f"Client {suffix}", f"Engagement {suffix}", core.user_id
    )


@pytest.fixture
def tenant(core: Core, engagement: tenancy.EngagementRef) -> Tenant:
    return core.tenant_for(engagement)
