"""A flow's status and timeline for the front ends, with the actions allowed now (and why not).

Reads only: nothing here writes, so showing a flow never changes it.
"""

from __future__ import annotations

import uuid
from typing import Any

from core.flows.master import master_state
from core.flows.status import ai_crew_error, status_dict
from core.flows.status import flow_timeline as stored_timeline
from core.flows.store import load_flow
from core.mapping_review.store import counts_of
from core.pipeline.availability import flow_actions
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory


def _pending(uow: UnitOfWork, import_id: uuid.UUID | None) -> int | None:
    return counts_of(uow.session, import_id).pending if import_id is not None else None


def _actions(uow: UnitOfWork, status: dict[str, Any], import_id: uuid.UUID | None) -> dict[str, Any]:
    pending = _pending(uow, import_id) if status.get("current_phase") == "field_mapping" else None
    return {name: state.to_dict() for name, state in flow_actions(status, pending_mappings=pending).items()}


def status_with_actions(uow: UnitOfWork, flow_id: uuid.UUID | str) -> dict[str, Any]:
    """`flow status --json`: the contract's shape plus `actions` {name: {allowed, reason}},
    `master` (the master flow's stages: discovery, assessment, planning; `core.flows.master`) and
    `ai_crew_error` (the last AI crew failure no later run of that crew fixed, with its code, class
    and recovery hint; null when none — advice only: it neither fails nor blocks the flow)."""
    flow = load_flow(uow, flow_id)
    status = status_dict(flow)
    return {
        **status,
        "actions": _actions(uow, status, flow.data_import_id),
        "master": master_state(uow, flow.master_flow_id).to_dict(),
        "ai_crew_error": ai_crew_error(uow.session, flow.id),
    }


def flow_status(uows: UnitOfWorkFactory, tenant: Tenant, flow_id: uuid.UUID | str) -> dict[str, Any]:
    """The flow's status with its allowed actions, in a read-only unit of work."""
    with uows(tenant) as uow:
        return status_with_actions(uow, flow_id)


def flow_timeline(uows: UnitOfWorkFactory, tenant: Tenant, flow_id: uuid.UUID | str) -> dict[str, Any]:
    """Per-phase timeline (see `core.flows.status.flow_timeline`) plus the allowed actions."""
    with uows(tenant) as uow:
        timeline = stored_timeline(uow, flow_id)
        flow = load_flow(uow, flow_id)
        return {
            **timeline,
            "actions": _actions(uow, status_dict(flow), flow.data_import_id),
            "master": master_state(uow, flow.master_flow_id).to_dict(),
            "ai_crew_error": ai_crew_error(uow.session, flow.id),
        }
