"""Small readers for the mapping-review tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import DiscoveryFlow, FlowEvent, MappingMemory
from core.mapping_review import MappingRow, mapping_rows
from core.uow import Tenant


def suggested(core: Core, tenant: Tenant, import_id: uuid.UUID) -> dict[str, MappingRow]:
    return {
        r.source_field: r
        for r in mapping_actions.generate_suggestions(core.uows, tenant, import_id, use_semantic=False).value
    }


def rows(core: Core, tenant: Tenant, import_id: uuid.UUID) -> dict[str, MappingRow]:
    with core.uow(tenant) as uow:
        return {r.source_field: r for r in mapping_rows(uow, import_id)}


def events(
    core: Core, tenant: Tenant, flow_id: uuid.UUID | None, prefix: str = "mapping_"
) -> list[FlowEvent]:
    with core.uow(tenant) as uow:
        found = uow.session.scalars(
            select(FlowEvent)
            .where(FlowEvent.flow_id == flow_id, FlowEvent.event_type.startswith(prefix))
            .order_by(FlowEvent.created_at, FlowEvent.id)
        ).all()
        for e in found:
            uow.session.expunge(e)
        return list(found)


def flow(core: Core, tenant: Tenant, flow_id: uuid.UUID | None) -> DiscoveryFlow:
    with core.uow(tenant) as uow:
        f = uow.session.get(DiscoveryFlow, flow_id)
        assert f is not None
        uow.session.expunge(f)
        return f


def memory(core: Core, tenant: Tenant) -> list[dict[str, Any]]:
    with core.uow(tenant) as uow:
        return [
            {
                "header": m.source_header,
                "target": m.target_field,
                "approved": m.approved_count,
                "rejected": m.rejected_count,
                "rules": m.transformation_rules,
                "fingerprint": m.value_fingerprint,
            }
            for m in uow.session.scalars(select(MappingMemory).order_by(MappingMemory.source_header))
        ]
