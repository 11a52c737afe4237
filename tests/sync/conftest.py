"""Two real PostgreSQL servers for the sync tests: the laptop's (the session's test server) and a
shared engagement server started here (a second embedded server), both migrated to head.

Each test gets an engagement that exists on both with the same ids (the way a consultant pulls
an engagement first or pushes one a lead created), a consultant login on each, and `laptop()`
for a second (or third) laptop database of the same consultant.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import tenancy
from core.bootstrap import Core
from core.config import Identity, Settings
from core.db import migrate
from core.db.database import Database, ensure_login_role
from core.db.embedded import EmbeddedServer
from core.db.models import ClientAccount, Engagement, EngagementMember
from core.uow import Tenant

ROLE = "md_test_consultant"  # the session's consultant login (tests/conftest.py)
IDENTITY = Identity("Test Consultant", "tester@example.com")


@dataclass
class SharedServer:
    admin_url: str
    consultant_url: str
    db: Database
    user_id: uuid.UUID
    port: int


def _url(base: str, database: str, user: str) -> str:
    from sqlalchemy.engine import make_url

    return (
        make_url(base)
        .set(database=database, username=user, password=None)
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    """A second PostgreSQL server, migrated, with the consultant's login and user row."""
    import psycopg

    server = EmbeddedServer(tmp_path_factory.mktemp("shared-server"))
    server.start()
    base = server.url(database="postgres")
    from sqlalchemy.engine import make_url

    admin_libpq = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_libpq, autocommit=True) as conn:
        conn.execute("CREATE DATABASE md_shared")
    admin_url = make_url(base).set(database="md_shared").render_as_string(hide_password=False)
    migrate.upgrade(admin_url)
    db = Database(mode="shared", app_url=_url(base, "md_shared", ROLE), admin_url=admin_url)
    ensure_login_role(db.admin_engine, ROLE)
    user_id = tenancy.ensure_user(db.admin_sessions(), IDENTITY, ROLE)
    port = make_url(base).port or 5432
    yield SharedServer(admin_url, db.app_url, db, user_id, port)
    db.close()
    server.stop()


def mirror(server: SharedServer, ref: tenancy.EngagementRef, role: str = "lead") -> None:
    """The engagement on the server, with the same ids, the consultant a `role` there."""
    with server.db.admin_sessions()() as s:
        if s.get(ClientAccount, ref.client_account_id) is None:
            s.add(ClientAccount(id=ref.client_account_id, name=ref.client_name))
            s.flush()
        if s.get(Engagement, ref.engagement_id) is None:
            s.add(
                Engagement(
                    id=ref.engagement_id, client_account_id=ref.client_account_id, name=ref.engagement_name
                )
            )
            s.flush()
        s.add(
            EngagementMember(
                client_account_id=ref.client_account_id,
                engagement_id=ref.engagement_id,
                user_id=server.user_id,
                role=role,
            )
        )
        s.commit()


@pytest.fixture
def shared(shared_server: SharedServer, engagement: tenancy.EngagementRef) -> SharedServer:
    """The test's engagement exists on the server too; the consultant leads it there."""
    mirror(shared_server, engagement)
    return shared_server


@pytest.fixture
def laptop(
    make_database: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    role_url: Callable[[str, str], str],
) -> Callable[[tenancy.EngagementRef], tuple[Core, Tenant]]:
    """Another laptop database of the same consultant holding the engagement (empty otherwise)."""
    made: list[Database] = []

    def make(ref: tenancy.EngagementRef) -> tuple[Core, Tenant]:
        admin_url = make_database()
        migrate.upgrade(admin_url)
        db = Database(mode="shared", app_url=role_url(admin_url, ROLE), admin_url=admin_url)
        made.append(db)
        ensure_login_role(db.admin_engine, ROLE)
        user_id = tenancy.ensure_user(db.admin_sessions(), IDENTITY, ROLE)
        with db.admin_sessions()() as s:
            s.add(ClientAccount(id=ref.client_account_id, name=ref.client_name))
            s.flush()
            s.add(
                Engagement(
                    id=ref.engagement_id, client_account_id=ref.client_account_id, name=ref.engagement_name
                )
            )
            s.flush()
            s.add(EngagementMember(client_account_id=ref.client_account_id, engagement_id=ref.engagement_id,
                                   user_id=user_id, role="lead"))  # fmt: skip
            s.commit()
        settings = Settings(data_dir=Path(tmp_path_factory.mktemp("laptop")), database_url=db.app_url)
        core = Core(settings=settings, db=db, identity=IDENTITY, user_id=user_id)
        return core, core.tenant_for(ref)

    yield make  # type: ignore[misc]
    for db in made:
        db.close()
