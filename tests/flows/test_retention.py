"""`flow cleanup`: archive old completed flows, remove abandoned ones with their imports."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from core.actions import flows as flow_actions
from core.bootstrap import Core
from core.db.models import DataImport, DiscoveryFlow, FlowArchive, MasterFlow, RawImportRecord
from core.errors import UserInputError
from core.flows import run_phase
from core.flows.retention import cleanup_flows
from core.tenancy import EngagementRef
from core.uow import Tenant

from .helpers import MakeFlow, admin_sql, events, get_flow


def _age(core: Core, flow_id: uuid.UUID, days: int) -> None:
    admin_sql(
        core,
        "UPDATE discovery_flows SET updated_at = now() - make_interval(days => :d),"
        " completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE now() - make_interval(days => :d) END"
        " WHERE id = :id",
        d=days,
        id=flow_id,
    )


def _count(core: Core, tenant: Tenant, model: type, **where: object) -> int:
    with core.uow(tenant) as uow:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return uow.session.scalar(stmt)


def _fail(uow: object, progress: object) -> None:
    raise RuntimeError("crashed")


@pytest.fixture
def aged(core: Core, tenant: Tenant, make_flow: MakeFlow) -> dict[str, uuid.UUID]:
    flows = {
        "old_completed": make_flow(at="completed"),
        "new_completed": make_flow(at="completed"),
        "old_initializing": make_flow(),
        "old_failed": make_flow(at="data_cleansing"),
        "old_running": make_flow(at="field_mapping"),
    }
    with pytest.raises(RuntimeError):
        run_phase(core.uows, tenant, flows["old_failed"], "data_cleansing", _fail)
    for name in ("old_completed", "old_initializing", "old_failed", "old_running"):
        _age(core, flows[name], 40)
    return flows


def test_dry_run_lists_and_changes_nothing(
    core: Core, tenant: Tenant, engagement: EngagementRef, aged: dict[str, uuid.UUID]
) -> None:
    report = cleanup_flows(core.uows, older_than_days=30, client=engagement.client_name)
    assert not report.changes.any  # a dry run commits nothing
    by_id = {uuid.UUID(i.flow_id): i.action for i in report.items}
    assert by_id == {
        aged["old_completed"]: "archive",
        aged["old_initializing"]: "remove",
        aged["old_failed"]: "remove",
    }
    assert report.counts() == {"archived": 1, "removed": 2, "imports_removed": 0, "master_flows_removed": 0}
    assert _count(core, tenant, DiscoveryFlow) == 5 and _count(core, tenant, FlowArchive) == 0


def test_apply_archives_completed_and_removes_abandoned_with_their_imports(
    core: Core, tenant: Tenant, engagement: EngagementRef, aged: dict[str, uuid.UUID]
) -> None:
    removed_import = get_flow(core, tenant, aged["old_initializing"]).data_import_id
    kept_import = get_flow(core, tenant, aged["old_completed"]).data_import_id
    outcome = flow_actions.cleanup_flows(
        core.uows, older_than_days=30, apply=True, client=engagement.client_name
    )
    report = outcome.value
    assert outcome.changes.flow_ids == {aged["old_completed"], aged["old_initializing"], aged["old_failed"]}
    assert outcome.changes.touches_import(removed_import) and outcome.changes.flows
    assert report.counts() == {"archived": 1, "removed": 2, "imports_removed": 2, "master_flows_removed": 2}
    with core.uow(tenant) as uow:
        remaining = set(uow.session.scalars(select(DiscoveryFlow.id)).all())
    assert remaining == {aged["new_completed"], aged["old_running"]}
    (archive,) = _archives(core, tenant)
    assert archive.flow_id == aged["old_completed"] and archive.status == "completed"
    assert archive.snapshot["state"]["current_phase"] == "completed" and archive.flow_completed_at is not None
    assert _count(core, tenant, DataImport, id=removed_import) == 0
    assert _count(core, tenant, RawImportRecord, data_import_id=removed_import) == 0
    assert _count(core, tenant, DataImport, id=kept_import) == 1  # the inventory's source stays
    assert _count(core, tenant, MasterFlow) == 3
    # the audit log keeps everything, including the clean-up itself
    assert events(core, tenant, aged["old_completed"])[-1].event_type == "flow_archived"
    assert events(core, tenant, aged["old_initializing"])[-1].event_type == "flow_removed"
    assert not cleanup_flows(core.uows, older_than_days=30, client=engagement.client_name).items


def _archives(core: Core, tenant: Tenant) -> list[FlowArchive]:
    with core.uow(tenant) as uow:
        rows = list(uow.session.scalars(select(FlowArchive)).all())
        uow.session.expunge_all()
        return rows


def test_negative_age_and_unknown_client_are_bad_input(core: Core, engagement: EngagementRef) -> None:
    with pytest.raises(UserInputError):
        cleanup_flows(core.uows, older_than_days=-1)
    with pytest.raises(UserInputError, match="no client"):
        cleanup_flows(core.uows, older_than_days=1, client="No Such Client Anywhere")
