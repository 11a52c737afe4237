"""Tenant isolation is enforced by PostgreSQL itself (row-level security), table by table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.orm import sessionmaker

from core import tenancy
from core.bootstrap import Core
from core.config import Identity
from core.db import migrate
from core.db.models import (
    Asset,
    AssetDependency,
    AssetDetail,
    AssetDistinctDecision,
    AssetMergeDecision,
    Base,
    CrewOutput,
    DataImport,
    DiscoveryFlow,
    FlowArchive,
    FlowCheckpoint,
    FlowEvent,
    ImportFieldMapping,
    ImportQualityReport,
    InfrastructureOverride,
    InfrastructureService,
    MappingMemory,
    MasterFlow,
    MoveGroup,
    MoveGroupMember,
    RawImportRecord,
    SixROverride,
    SixRRecommendation,
    SyncBatch,
    SyncChange,
    SyncConflict,
    SyncRejection,
    SyncState,
    SyncUpload,
    TechDebtFinding,
    User,
    Wave,
    WaveMember,
)
from core.uow import Tenant, UnitOfWork

ROOTS = {"client_accounts", "engagements", "users", "engagement_members"}
TENANT_TABLES = sorted(t.name for t in Base.metadata.sorted_tables if t.name not in ROOTS)


def populate(uow: UnitOfWork) -> dict[str, uuid.UUID]:
    """One row in every tenant table for the unit of work's tenant; returns ids by table."""
    t = uow.tenant
    assert t is not None
    scope = {"client_account_id": t.client_account_id, "engagement_id": t.engagement_id}
    s = uow.session
    master = MasterFlow(flow_type="discovery", status="running", master_state={}, **scope)
    s.add(master)
    s.flush()
    imp = DataImport(
        master_flow_id=master.id, filename="servers.csv", status="completed", columns=["Name"], **scope
    )
    s.add(imp)
    s.flush()
    raw = RawImportRecord(data_import_id=imp.id, record_index=2, cells=["web01"], **scope)
    mapping = ImportFieldMapping(data_import_id=imp.id, source_field="Name", target_field="hostname", **scope)
    flow = DiscoveryFlow(master_flow_id=master.id, data_import_id=imp.id, flow_name="flow", **scope)
    a1 = Asset(hostname="web01", **scope)
    a2 = Asset(hostname="db01", **scope)
    memory = MappingMemory(source_header="name", value_fingerprint="", target_field="hostname", **scope)
    s.add_all([raw, mapping, flow, a1, a2, memory])
    s.flush()
    dep = AssetDependency(source_asset_id=a1.id, target_asset_id=a2.id, port=5432, protocol="tcp", **scope)
    event = FlowEvent(flow_id=flow.id, event_type="test", data={}, actor=t.actor, **scope)
    checkpoint = FlowCheckpoint(flow_id=flow.id, phase="data_import", snapshot={}, version=1, **scope)
    archive = FlowArchive(
        flow_id=uuid.uuid4(),
        flow_name="old",
        status="completed",
        snapshot={},
        archived_reason="test",
        **scope,
    )
    report = ImportQualityReport(data_import_id=imp.id, discovery_flow_id=flow.id, report={}, **scope)
    merge = AssetMergeDecision(kept_asset_id=a1.id, record_ids=[str(raw.id)], **scope)
    low, high = sorted((a1.id, a2.id))
    distinct = AssetDistinctDecision(asset_a_id=low, asset_b_id=high, **scope)
    detail = AssetDetail(
        data_import_id=imp.id,
        asset_id=a1.id,
        record_id=raw.id,
        kind="disk",
        sheet="vDisk",
        row_index=2,
        attributes={"capacity_mib": 40960},
        lineage={"capacity_mib": {"column": "Capacity MiB", "raw": "40960"}},
        join_keys={"vm": "web01"},
        match="name",
        **scope,
    )
    s.add_all([dep, event, checkpoint, archive, report, merge, distinct, detail])
    s.flush()
    # issue 14: analysis, assessment and planning (schema 0008)
    finding = TechDebtFinding(
        asset_id=a1.id,
        discovery_flow_id=flow.id,
        kind="lifecycle",
        component="os",
        product="Windows Server",
        version="2008 R2",
        status="eol",
        rule="windows-server 2008-r2",
        as_of=dt.date(2026, 12, 2),
        **scope,
    )
    service = InfrastructureService(
        asset_id=a2.id, discovery_flow_id=flow.id, category="dns", source="port", reasons=["53/udp"], **scope
    )
    infra = InfrastructureOverride(
        asset_id=a2.id, is_infrastructure=True, reason="the DNS server", decided_by=t.user_id, **scope
    )
    group = MoveGroup(key="g1", name="Web shop", applications=["Shop"], discovery_flow_id=flow.id, **scope)
    recommendation = SixRRecommendation(
        application="Shop", disposition="rehost", confidence=0.8, reasons=["default"], **scope
    )
    sixr_override = SixROverride(asset_id=a1.id, disposition="retire", reason="decommissioned", **scope)
    wave = Wave(name="Wave 1", ordinal=1, max_servers=50, master_flow_id=master.id, **scope)
    external = AssetDependency(
        source_asset_id=a1.id, target_endpoint="203.0.113.7", port=443, connection_key="web01|ext", **scope
    )
    s.add_all([finding, service, infra, group, recommendation, sixr_override, wave, external])
    s.flush()
    # issue 16: AI crews (schema 0009)
    crew = CrewOutput(
        discovery_flow_id=flow.id,
        data_import_id=imp.id,
        crew="mapping",
        model="m",
        status="completed",
        **scope,
    )
    member = MoveGroupMember(move_group_id=group.id, asset_id=a1.id, **scope)
    placed = WaveMember(wave_id=wave.id, asset_id=a1.id, application="Shop", placed_by="manual", **scope)
    s.add_all([member, placed, crew])
    s.flush()
    # issue 15: offline sync (schema 0010); the triggers already logged the rows above
    change = s.scalars(select(SyncChange).order_by(SyncChange.seq)).first()
    assert change is not None, "the change-log triggers record every write of a synced table"
    device = uuid.uuid4()
    state = SyncState(server="postgresql://server/db", device_id=device, **scope)
    batch = SyncBatch(device_id=device, first_seq=1, last_seq=2, **scope)
    conflict = SyncConflict(
        server="postgresql://server/db", table_name="assets", row_id=a1.id, local_row={"hostname": "x"},
        **scope,
    )  # fmt: skip
    rejection = SyncRejection(
        server="postgresql://server/db", batch_key=uuid.uuid4(), first_seq=1, last_seq=2, changes=[],
        reason="refused", **scope,
    )  # fmt: skip
    upload = SyncUpload(data_import_id=imp.id, source_version="1:2:x", **scope)
    s.add_all([state, batch, conflict, rejection, upload])
    s.flush()
    ids = {
        "master_flows": master.id,
        "data_imports": imp.id,
        "raw_import_records": raw.id,
        "import_field_mappings": mapping.id,
        "discovery_flows": flow.id,
        "assets": a1.id,
        "asset_dependencies": dep.id,
        "flow_events": event.id,
        "flow_checkpoints": checkpoint.id,
        "flow_archive": archive.id,
        "mapping_memory": memory.id,
        "import_quality_reports": report.id,
        "asset_merge_decisions": merge.id,
        "asset_distinct_decisions": distinct.id,
        "asset_details": detail.id,
        "techdebt_findings": finding.id,
        "infrastructure_services": service.id,
        "infrastructure_overrides": infra.id,
        "move_groups": group.id,
        "move_group_members": member.id,
        "sixr_recommendations": recommendation.id,
        "sixr_overrides": sixr_override.id,
        "waves": wave.id,
        "wave_members": placed.id,
        "crew_outputs": crew.id,
        "sync_changes": change.id,
        "sync_state": state.id,
        "sync_batches": batch.id,
        "sync_conflicts": conflict.id,
        "sync_rejections": rejection.id,
        "sync_uploads": upload.id,
    }
    assert set(ids) == set(TENANT_TABLES), "a new tenant table needs a row here"
    uow.commit()
    return ids


def _count(uow: UnitOfWork, table: str, row_id: uuid.UUID | None = None) -> int:
    sql = f"SELECT count(*) FROM {table}" + (" WHERE id = :id" if row_id else "")
    return uow.session.execute(text(sql), {"id": row_id} if row_id else {}).scalar_one()


@pytest.fixture
def two_tenants(core: Core) -> tuple[Tenant, Tenant, dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    admin = core.db.admin_sessions()
    suffix = uuid.uuid4().hex[:6]
    a = tenancy.ensure_engagement(admin, f"Tenant A {suffix}", "Eng", core.user_id)
    b = tenancy.ensure_engagement(admin, f"Tenant B {suffix}", "Eng", core.user_id)
    ta, tb = core.tenant_for(a), core.tenant_for(b)
    with core.uow(ta) as uow:
        ids_a = populate(uow)
    with core.uow(tb) as uow:
        ids_b = populate(uow)
    return ta, tb, ids_a, ids_b


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_a_sees_and_changes_its_own_rows_but_none_of_bs(core: Core, two_tenants, table: str) -> None:
    ta, _tb, ids_a, ids_b = two_tenants
    with core.uow(ta) as uow:
        # positive control: A reads its own row
        assert _count(uow, table, ids_a[table]) == 1
        # B's row is invisible
        assert _count(uow, table, ids_b[table]) == 0
        # UPDATE and DELETE of B's row touch nothing
        if table != "flow_events":
            res = uow.session.execute(
                text(f"UPDATE {table} SET updated_at = now() WHERE id = :id"), {"id": ids_b[table]}
            )
            assert res.rowcount == 0
            res = uow.session.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": ids_b[table]})
            assert res.rowcount == 0
            res = uow.session.execute(
                text(f"UPDATE {table} SET updated_at = now() WHERE id = :id"), {"id": ids_a[table]}
            )
            assert res.rowcount == 1
        uow.commit()
    with core.db.admin_sessions()() as s:  # B's row is still there, untouched
        assert (
            s.execute(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": ids_b[table]}).scalar()
            == 1
        )


def test_insert_carrying_another_tenants_client_id_is_rejected(core: Core, two_tenants) -> None:
    ta, tb, _ids_a, _ids_b = two_tenants
    with core.uow(ta) as uow, pytest.raises(ProgrammingError, match="row-level security"):
        uow.session.add(
            MasterFlow(
                client_account_id=tb.client_account_id,
                engagement_id=tb.engagement_id,
                flow_type="discovery",
                status="running",
                master_state={},
            )
        )
        uow.session.flush()
    with core.uow(ta) as uow, pytest.raises(ProgrammingError, match="row-level security"):
        # A's engagement but B's client: also refused
        uow.session.add(
            MasterFlow(
                client_account_id=tb.client_account_id,
                engagement_id=ta.engagement_id,
                flow_type="discovery",
                status="running",
                master_state={},
            )
        )
        uow.session.flush()


def test_update_cannot_move_a_row_to_another_tenant(core: Core, two_tenants) -> None:
    ta, tb, ids_a, _ = two_tenants
    with core.uow(ta) as uow, pytest.raises(ProgrammingError, match="row-level security"):
        uow.session.execute(
            text("UPDATE assets SET client_account_id = :c, engagement_id = :e WHERE id = :id"),
            {"c": tb.client_account_id, "e": tb.engagement_id, "id": ids_a["assets"]},
        )


def test_flow_events_are_append_only(core: Core, two_tenants) -> None:
    ta, _tb, ids_a, _ = two_tenants
    with core.uow(ta) as uow, pytest.raises(ProgrammingError, match="permission denied"):
        uow.session.execute(text("DELETE FROM flow_events WHERE id = :id"), {"id": ids_a["flow_events"]})


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_no_tenant_set_means_no_rows(core: Core, two_tenants, table: str) -> None:
    with core.uow() as uow:
        assert _count(uow, table) == 0


def test_app_role_is_powerless(core: Core) -> None:
    with core.uow() as uow:
        row = uow.session.execute(
            text(
                "SELECT r.rolsuper, r.rolbypassrls, b.rolsuper, b.rolbypassrls FROM pg_roles r, pg_roles b"
                " WHERE r.rolname = session_user AND b.rolname = 'md_app'"
            )
        ).one()
        assert tuple(row) == (False, False, False, False)
        owned = uow.session.execute(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) IN (session_user, 'md_app')"
            )
        ).scalar_one()
        assert owned == 0
        # and it cannot switch RLS off for itself
        with pytest.raises(DBAPIError):
            uow.session.execute(text("ALTER TABLE assets DISABLE ROW LEVEL SECURITY"))


# --- two consultants with their own PostgreSQL roles on one server --------------------------------


@pytest.fixture
def consultants(
    make_database: Callable[[], str], role_url: Callable[[str, str], str]
) -> Iterator[dict[str, object]]:
    admin_url = make_database()
    migrate.upgrade(admin_url)
    suffix = uuid.uuid4().hex[:6]
    roles = {"alice": f"md_t_alice_{suffix}", "bob": f"md_t_bob_{suffix}", "vera": f"md_t_vera_{suffix}"}
    admin_engine = create_engine(admin_url)
    for role in roles.values():
        with admin_engine.begin() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    admin = sessionmaker(admin_engine)
    # Alice leads engagement E; Vera may only view it; Bob has his own engagement F.
    e = tenancy.grant(
        admin, engagement_name="E", client_name="Client X", db_role=roles["alice"], role="lead"
    ).engagement
    tenancy.grant(admin, engagement_name="E", client_name="Client X", db_role=roles["vera"], role="viewer")
    f = tenancy.grant(
        admin, engagement_name="F", client_name="Client Y", db_role=roles["bob"], role="lead"
    ).engagement
    engines = {name: create_engine(role_url(admin_url, role)) for name, role in roles.items()}
    yield {"E": e, "F": f, "engines": engines, "roles": roles, "admin": admin}
    for engine in [*engines.values(), admin_engine]:
        engine.dispose()
    with psycopg.connect(admin_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        for role in roles.values():
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def _tenant(ref: tenancy.EngagementRef) -> Tenant:
    return Tenant(ref.client_account_id, ref.engagement_id)


def test_non_member_reads_and_writes_nothing_even_with_raw_sql(consultants) -> None:
    e, engines = consultants["E"], consultants["engines"]
    alice = sessionmaker(engines["alice"])
    bob = sessionmaker(engines["bob"])
    with UnitOfWork(alice, _tenant(e)) as uow:
        ids = populate(uow)
    # Bob sets E as his tenant by hand: still nothing, because he is not a member of E.
    with bob() as s:
        s.execute(
            text(
                "SELECT set_config('app.client_account_id', :c, true), "
                "set_config('app.engagement_id', :e, true)"
            ),
            {"c": str(e.client_account_id), "e": str(e.engagement_id)},
        )
        for table, row_id in ids.items():
            assert (
                s.execute(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row_id}).scalar() == 0
            )
        assert (
            s.execute(
                text("SELECT count(*) FROM engagements WHERE id = :id"), {"id": e.engagement_id}
            ).scalar()
            == 0
        )
        assert (
            s.execute(
                text("SELECT count(*) FROM client_accounts WHERE id = :id"), {"id": e.client_account_id}
            ).scalar()
            == 0
        )
        assert s.execute(text("DELETE FROM assets WHERE id = :id"), {"id": ids["assets"]}).rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"):
            s.execute(
                text(
                    "INSERT INTO master_flows (id, client_account_id, engagement_id, flow_type, status,"
                    " master_state) VALUES (gen_random_uuid(), :c, :e, 'discovery', 'running', '{}')"
                ),
                {"c": e.client_account_id, "e": e.engagement_id},
            )
        s.rollback()
    # and Bob's tenant list does not even mention client X
    assert [r.engagement_name for r in tenancy.list_engagements(bob)] == ["F"]
    assert {r.engagement_name for r in tenancy.list_engagements(alice)} == {"E"}


def test_viewer_reads_but_cannot_write(consultants) -> None:
    e, engines = consultants["E"], consultants["engines"]
    with UnitOfWork(sessionmaker(engines["alice"]), _tenant(e)) as uow:
        ids = populate(uow)
    vera = sessionmaker(engines["vera"])
    with UnitOfWork(vera, _tenant(e)) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Asset)) == 2
        assert (
            uow.session.execute(
                text("UPDATE assets SET hostname = 'x' WHERE id = :id"), {"id": ids["assets"]}
            ).rowcount
            == 0
        )
        assert (
            uow.session.execute(text("DELETE FROM assets WHERE id = :id"), {"id": ids["assets"]}).rowcount
            == 0
        )
        with pytest.raises(ProgrammingError, match="row-level security"):
            uow.session.add(
                Asset(hostname="new", client_account_id=e.client_account_id, engagement_id=e.engagement_id)
            )
            uow.session.flush()


def test_revoke_removes_access(consultants) -> None:
    e, engines, roles = consultants["E"], consultants["engines"], consultants["roles"]
    alice = sessionmaker(engines["alice"])
    with UnitOfWork(alice, _tenant(e)) as uow:
        populate(uow)
    assert (
        tenancy.revoke(consultants["admin"], engagement_name="E", db_role=roles["alice"], client_name=None)
        == 1
    )
    with UnitOfWork(alice, _tenant(e)) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Asset)) == 0


def test_user_identity_follows_the_login_role(consultants) -> None:
    found = tenancy.user_for_session_role(sessionmaker(consultants["engines"]["bob"]))
    assert found is not None
    assert found[1].display_name == consultants["roles"]["bob"]
    assert isinstance(found[1], Identity)


def test_consultants_see_only_users_they_share_an_engagement_with(consultants) -> None:
    """Names and e-mails are not a directory of every client's consultants (issue 10)."""
    engines, roles = consultants["engines"], consultants["roles"]
    loner = tenancy.ensure_user(
        consultants["admin"], Identity("Lone Ranger", "lone@example.com"), "md_t_lone"
    )

    def visible(name: str) -> set[str]:
        with sessionmaker(engines[name])() as s:
            return set(s.scalars(select(User.db_role)))

    assert visible("alice") == {roles["alice"], roles["vera"]}
    assert visible("vera") == {roles["alice"], roles["vera"]}
    assert visible("bob") == {roles["bob"]}  # Bob (client Y) sees no consultant of client X
    with sessionmaker(engines["bob"])() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.id == loner)) == 0
    for name in roles:  # everyone still finds themself, as start-up does
        found = tenancy.user_for_session_role(sessionmaker(engines[name]))
        assert found is not None and found[1].display_name == roles[name]
