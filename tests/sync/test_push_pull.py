"""Push and pull between a laptop and the shared server: everything arrives once, conflicts show."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, text

from core.actions.mapping import finish_flow_mapping
from core.bootstrap import Core
from core.db.models import Asset, DataImport, DiscoveryFlow, ImportFieldMapping, RawImportRecord, SyncChange
from core.imports import import_file
from core.phases import PHASES
from core.pipeline import run_flow
from core.sync.service import run
from core.uow import Tenant

from .conftest import SharedServer


def _csv(path: Path, n: int) -> Path:
    lines = ["Server Name,IP Address,Operating System,Application"]
    lines += [f"srv{i:05d},10.0.{i // 250}.{i % 250 + 1},Windows Server 2019,App{i % 7}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _counts(db_sessions, tenant: Tenant) -> dict[str, int]:
    from core.uow import UnitOfWork

    with UnitOfWork(db_sessions, tenant) as uow:
        s = uow.session
        return {
            name: s.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (
                ("data_imports", DataImport),
                ("raw_import_records", RawImportRecord),
                ("import_field_mappings", ImportFieldMapping),
                ("discovery_flows", DiscoveryFlow),
                ("assets", Asset),
            )
        }


def _server_tenant(shared: SharedServer, tenant: Tenant) -> Tenant:
    return Tenant(tenant.client_account_id, tenant.engagement_id, shared.user_id, "server")


def test_an_offline_import_pushes_once_and_a_second_laptop_pulls_it(
    core: Core, tenant: Tenant, shared: SharedServer, laptop, engagement, tmp_path: Path
) -> None:
    result = import_file(core.uows, tenant, _csv(tmp_path / "servers.csv", 1200))
    finish_flow_mapping(core.uows, tenant, result.flow_id, auto=True)
    run_flow(core.uows, tenant, result.flow_id, through=PHASES[-1])
    local = _counts(core.db.app_sessions(), tenant)
    assert local["raw_import_records"] == 1200 and local["assets"] == 1200

    report = run(core.db, tenant, shared.consultant_url)
    server = _counts(shared.db.app_sessions(), _server_tenant(shared, tenant))
    assert server == local
    assert report.pushed["raw_import_records"] == 1200 and report.rejected == [] and report.conflicts == []
    with core.uow(tenant) as uow:  # the outbox is empty once the server has it
        assert (
            uow.session.scalar(
                select(func.count()).select_from(SyncChange).where(SyncChange.origin.is_(None))
            )
            == 0
        )

    again = run(core.db, tenant, shared.consultant_url)  # nothing new: nothing sent, nothing doubled
    assert again.pushed == {} and _counts(shared.db.app_sessions(), _server_tenant(shared, tenant)) == local

    other, other_tenant = laptop(engagement)
    pulled = run(other.db, other_tenant, shared.consultant_url)
    assert pulled.pulled["raw_import_records"] == 1200
    assert _counts(other.db.app_sessions(), other_tenant) == local
    # the second laptop logged nothing of what it replayed: its outbox is empty
    with other.uow(other_tenant) as uow:
        assert uow.session.scalar(select(func.count()).select_from(SyncChange)) == 0
        hosts = uow.session.execute(text("SELECT count(DISTINCT hostname) FROM assets")).scalar()
    assert hosts == 1200
