"""Helpers for flow-state tests: flows over real imports in the per-test engagement."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select, text

from core.bootstrap import Core
from core.db.models import DataImport, DiscoveryFlow, FlowCheckpoint, FlowEvent, RawImportRecord
from core.flows import PHASES, advance_phase, create_discovery_flow
from core.flows.phases import next_phase
from core.flows.transitions import PhaseTransitionResult
from core.uow import Tenant

MakeFlow = Callable[..., uuid.UUID]
T = TypeVar("T")


def add_import(
    uow: Any, records: int = 3, status: str = "completed", filename: str = "servers.csv"
) -> uuid.UUID:
    """A data import with `records` raw rows in the unit of work's engagement (not committed)."""
    t = uow.tenant
    scope = {"client_account_id": t.client_account_id, "engagement_id": t.engagement_id}
    imp = DataImport(filename=filename, status=status, columns=["Name"], total_records=records, **scope)
    uow.session.add(imp)
    uow.session.flush()
    for i in range(records):
        uow.session.add(
            RawImportRecord(data_import_id=imp.id, record_index=i + 2, cells=[f"host{i:02d}"], **scope)
        )
    uow.session.flush()
    return imp.id


def flow_factory(core: Core, tenant: Tenant) -> MakeFlow:
    """Create a committed flow over a fresh import; `at=PHASE` advances it there first."""

    def make(records: int = 3, at: str | None = None, tenant_: Tenant | None = None, **kw: Any) -> uuid.UUID:
        with core.uow(tenant_ or tenant) as uow:
            import_id = add_import(uow, records, **kw)
            flow = create_discovery_flow(uow, data_import_id=import_id, flow_name="Discovery of servers.csv")
            uow.commit()
            flow_id = flow.id
        if at is not None:
            advance_until(core, tenant_ or tenant, flow_id, at)
        return flow_id

    return make


def advance_until(core: Core, tenant: Tenant, flow_id: uuid.UUID, phase: str) -> None:
    """Advance phase by phase until `current_phase == phase`."""
    current = PHASES[0]
    while current != phase:
        target = next_phase(current)
        with core.uow(tenant) as uow:
            advance_phase(uow, flow_id, target)
            uow.commit()
        current = target


def committing(fn: Callable[[Any], T]) -> Callable[[Any], T]:
    """`fn(uow)` followed by the commit a use case would make (helpers never commit)."""

    def run(uow: Any) -> T:
        result = fn(uow)
        uow.commit()
        return result

    return run


def advance(core: Core, tenant: Tenant, flow_id: uuid.UUID, target: str, **kw: Any) -> PhaseTransitionResult:
    """`advance_phase` in its own committed unit of work."""
    with core.uow(tenant) as uow:
        result = advance_phase(uow, flow_id, target, **kw)
        uow.commit()
        return result


def get_flow(core: Core, tenant: Tenant, flow_id: uuid.UUID) -> DiscoveryFlow:
    with core.uow(tenant) as uow:
        flow = uow.session.get(DiscoveryFlow, flow_id)
        assert flow is not None
        uow.session.expunge(flow)
        return flow


def events(core: Core, tenant: Tenant, flow_id: uuid.UUID) -> list[FlowEvent]:
    with core.uow(tenant) as uow:
        rows = uow.session.scalars(
            select(FlowEvent).where(FlowEvent.flow_id == flow_id).order_by(FlowEvent.occurred_at)
        ).all()
        for r in rows:
            uow.session.expunge(r)
        return list(rows)


def checkpoint_count(core: Core, tenant: Tenant, flow_id: uuid.UUID) -> int:
    with core.uow(tenant) as uow:
        return uow.session.scalar(
            select(func.count()).select_from(FlowCheckpoint).where(FlowCheckpoint.flow_id == flow_id)
        )


def admin_sql(core: Core, sql: str, **params: Any) -> None:
    """Write behind the application's back (as the schema owner) to simulate old or corrupted data."""
    with core.db.admin_engine.begin() as conn:
        conn.execute(text(sql), params)
