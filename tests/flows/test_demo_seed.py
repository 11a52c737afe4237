"""`db seed-demo` goes through the real import, mapping decisions and `run_flow`: consistent, with
lineage, no invented phase results, reconcilable and idempotent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from core import tenancy
from core.bootstrap import Core
from core.config import Identity, Settings
from core.db import migrate
from core.db.database import Database, ensure_login_role
from core.db.models import Asset, DataImport, DiscoveryFlow, FlowEvent, ImportFieldMapping, RawImportRecord
from core.demo.catalog import AS_FAR_AS_ENGINES_GO, CLEANSED, MAPPED, REVIEW
from core.demo.seed import DEMO, demo_hosts, flow_name, phases_reached, seed_demo, write_demo_file
from core.flows.reconcile import reconcile
from core.flows.validation import snapshot_of, state_problems
from core.imports import import_file
from core.phases import PHASES

ROLE = "md_test_consultant"
ESTATE = 60  # machines per engagement in these tests
STATUS = {
    REVIEW: "waiting_for_review",
    MAPPED: "running",
    CLEANSED: "running",
    AS_FAR_AS_ENGINES_GO: "completed",
}


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


@pytest.fixture(scope="module")
def first_seed(demo_core: Core, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """Seed after an earlier seed was interrupted right after importing one file of the second client."""
    demo, spec = DEMO[1], DEMO[1].imports[-1]
    ref = tenancy.ensure_engagement(
        demo_core.db.admin_sessions(), demo.client, demo.engagement, demo_core.user_id
    )
    path = write_demo_file(tmp_path_factory.mktemp("interrupted"), spec, demo_hosts(demo, ESTATE))
    import_file(
        demo_core.uows,
        demo_core.tenant_for(ref),
        path,
        source_system=spec.source,
        flow_name=flow_name(spec.filename),
    )
    return seed_demo(demo_core.uows, demo_core.db.admin_sessions(), assets_per_engagement=ESTATE)


def test_demo_flows_stop_where_the_engines_stop(demo_core: Core, first_seed: dict[str, int]) -> None:
    # the interrupted seed's client and import are not made again; its flow is brought to its stage
    assert first_seed["clients"] == len(DEMO) - 1
    assert first_seed["flows"] == first_seed["imports"] == sum(len(d.imports) for d in DEMO) - 1
    expected = {flow_name(spec.filename): spec.through for demo in DEMO for spec in demo.imports}
    assert phases_reached(AS_FAR_AS_ENGINES_GO) == PHASES  # every phase has its engine
    seen = {}
    for ref in tenancy.list_engagements(demo_core.sessions):
        with demo_core.uow(demo_core.tenant_for(ref)) as uow:
            for flow in uow.session.scalars(select(DiscoveryFlow)).all():
                through = expected[flow.flow_name]
                assert state_problems(snapshot_of(flow)) == [], flow.flow_name
                assert tuple(flow.phases_completed) == phases_reached(through), flow.flow_name
                assert flow.status == STATUS[through], flow.flow_name
                if through == AS_FAR_AS_ENGINES_GO:  # the analysis phases ran for real
                    assert flow.dependency_analysis_completed and flow.tech_debt_assessment_completed
                    assert flow.dependencies and flow.tech_debt_analysis
                else:
                    assert not flow.dependency_analysis_completed and not flow.tech_debt_assessment_completed
                    assert flow.dependencies == {} and flow.tech_debt_analysis == {}  # nothing invented
                advanced = uow.session.scalars(
                    select(FlowEvent.event_type).where(
                        FlowEvent.flow_id == flow.id, FlowEvent.event_type == "phase_advanced"
                    )
                ).all()
                assert len(advanced) == len(phases_reached(through))
                statuses = set(
                    uow.session.scalars(
                        select(ImportFieldMapping.status).where(
                            ImportFieldMapping.data_import_id == flow.data_import_id
                        )
                    )
                )
                assert ("suggested" in statuses) == (through == REVIEW), (flow.flow_name, statuses)
                seen[flow.flow_name] = flow.status
            demo_results = uow.session.execute(
                text("SELECT count(*) FROM discovery_flows f WHERE to_jsonb(f)::text LIKE '%\"demo\": true%'")
            ).scalar()
            assert demo_results == 0
    assert set(seen) == set(expected)
    assert seen[flow_name("app_owners_q3.xlsx")] == "waiting_for_review"
    report = reconcile(demo_core.uows)  # the demo's artefacts agree with its flags
    assert report.rows == [] and report.flows_checked == len(expected)


def test_every_demo_asset_has_lineage_to_its_source_row(demo_core: Core, first_seed: dict[str, int]) -> None:
    assert first_seed["assets"] == ESTATE * len(DEMO)  # the inventoried flows know the whole estate
    for ref in tenancy.list_engagements(demo_core.sessions):
        with demo_core.uow(demo_core.tenant_for(ref)) as uow:
            s = uow.session
            columns = {i.id: list(i.columns) for i in s.scalars(select(DataImport))}
            records = {str(r.id): r for r in s.scalars(select(RawImportRecord))}
            assets = s.scalars(select(Asset)).all()
            assert len(assets) == ESTATE
            for asset in assets:
                assert asset.source_record_ids and asset.discovery_flow_id is not None, asset.asset_name
                assert asset.field_lineage, asset.asset_name
                for name, lin in asset.field_lineage.items():
                    assert lin["record_id"] in asset.source_record_ids, (asset.asset_name, name)
                    rec = records[lin["record_id"]]
                    if lin["source_column"] is None:  # inferred (asset type) or the import's source
                        assert lin["raw_value"] is None and lin["rule"], (asset.asset_name, name, lin)
                        continue
                    cell = rec.cells[columns[rec.data_import_id].index(lin["source_column"])]
                    assert lin["record_index"] == rec.record_index
                    assert str(lin["raw_value"]) == str(cell), (asset.asset_name, name, lin)
            hostnames = {a.hostname for a in assets}
            assert len(hostnames) == ESTATE and all(h and "-" in h for h in hostnames)


def test_seeding_again_adds_nothing(demo_core: Core, first_seed: dict[str, int]) -> None:
    def events() -> int:
        total = 0
        for ref in tenancy.list_engagements(demo_core.sessions):
            with demo_core.uow(demo_core.tenant_for(ref)) as uow:
                total += len(uow.session.scalars(select(FlowEvent.id)).all())
        return total

    before = events()
    assert seed_demo(demo_core.uows, demo_core.db.admin_sessions(), assets_per_engagement=ESTATE) == {
        "clients": 0,
        "imports": 0,
        "flows": 0,
        "assets": 0,
    }
    assert events() == before  # nothing was written at all
