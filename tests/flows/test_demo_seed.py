"""`db seed-demo` builds its flows through `core.flows`: consistent, reconcilable, idempotent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.bootstrap import Core
from core.config import Identity, Settings
from core.db import migrate
from core.db.database import Database, ensure_login_role
from core.db.models import DiscoveryFlow, FlowEvent
from core.flows.reconcile import reconcile
from core.flows.validation import snapshot_of, state_problems
from core.services import tenancy
from core.services.demo_seed import DEMO, seed_demo

ROLE = "md_test_consultant"


@pytest.fixture(scope="module")
def demo_core(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Core]:
    """A database of its own, so the demo clients never mix with other tests' engagements."""
    admin_url = make_database()
    migrate.upgrade(admin_url)
    app_url = make_url(admin_url).set(username=ROLE, password=None).render_as_string(hide_password=False)
    db = Database(mode="shared", app_url=app_url, admin_url=admin_url)
    ensure_login_role(db.admin_engine, ROLE)
    identity = Identity("Demo Tester", "demo-tester@example.com")
    user_id = tenancy.ensure_user(db.admin_sessions(), identity, ROLE)
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("demo")), database_url=app_url)
    yield Core(settings=settings, db=db, identity=identity, user_id=user_id)
    db.close()


def test_demo_flows_are_built_through_the_flow_api(demo_core: Core) -> None:
    added = seed_demo(demo_core, assets_per_engagement=60)
    assert added["flows"] == added["imports"] == sum(len(d.imports) for d in DEMO)
    expected = {f"Discovery of {name}": done for demo in DEMO for name, _source, done in demo.imports}
    seen = {}
    for ref in tenancy.list_engagements(demo_core.sessions):
        with demo_core.uow(demo_core.tenant_for(ref)) as uow:
            for flow in uow.session.scalars(select(DiscoveryFlow)).all():
                done = expected[flow.flow_name]
                assert state_problems(snapshot_of(flow)) == [], flow.flow_name
                assert len(flow.phases_completed) == done and flow.version == 1 + done
                assert (flow.status == "completed") == (done == 6)
                kinds = uow.session.scalars(
                    select(FlowEvent.event_type).where(FlowEvent.flow_id == flow.id)
                ).all()
                assert sorted(kinds) == sorted(["flow_created"] + ["phase_advanced"] * done)
                seen[flow.flow_name] = flow.status
    assert set(seen) == set(expected)
    assert seen["Discovery of app_owners_q3.xlsx"] == "waiting_for_review"
    assert seen["Discovery of plant_servers.csv"] == "initializing"
    report = reconcile(demo_core)  # the demo's artefacts agree with its flags
    assert report.rows == [] and report.flows_checked == len(expected)


def test_seeding_again_adds_nothing(demo_core: Core) -> None:
    seed_demo(demo_core, assets_per_engagement=60)
    assert seed_demo(demo_core, assets_per_engagement=60) == {
        "clients": 0,
        "imports": 0,
        "flows": 0,
        "assets": 0,
    }
