"""Editing a flow's work state with optimistic locking (`version`, SQLAlchemy `version_id_col`).

A consultant edits what they last read; if anyone changed the flow since, the save raises
`ConcurrentModificationError` instead of silently overwriting their change. Never commits: the caller's
unit of work does (and rolls back on any error raised here).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core.db.models import DiscoveryFlow
from core.flows import metrics
from core.flows.errors import ConcurrentModificationError, FlowReadOnlyError, StateValidationError
from core.flows.store import after_commit, load_flow, record_event
from core.flows.transitions import apply_updates, check_editable
from core.flows.validation import new_problems, snapshot_of, state_problems
from core.uow import UnitOfWork


def save_flow_state(
    uow: UnitOfWork,
    flow_id: uuid.UUID | str,
    expected_version: int,
    state_updates: dict[str, Any],
) -> int:
    """Replace the given work columns (`flow_state`, `field_mappings`, …) if the flow is still at
    `expected_version`; returns the new version.

    The check is enforced by the database: the UPDATE carries `WHERE version = expected_version`,
    so a concurrent writer that commits first makes this save fail, never lose its change.
    """
    started = time.perf_counter()
    updates = check_editable(state_updates)
    flow = load_flow(uow, flow_id)
    if flow.version != expected_version:
        metrics.STATE_SAVES.labels(outcome="conflict").inc()
        raise ConcurrentModificationError(flow.id, expected_version, flow.version)
    before_problems = state_problems(snapshot_of(flow))
    apply_updates(flow, updates)
    introduced = new_problems(before_problems, state_problems(snapshot_of(flow)))
    if introduced:
        raise StateValidationError(flow.id, introduced)
    try:
        uow.session.flush()
    except StaleDataError:
        uow.rollback()  # the failed flush left the session unusable; the caller's work is lost anyway
        # nothing updated: either someone committed a newer version, or RLS refused the write
        current = uow.session.scalar(select(DiscoveryFlow.version).where(DiscoveryFlow.id == flow.id))
        uow.rollback()
        if current == expected_version:
            raise FlowReadOnlyError.for_id(flow.id) from None
        metrics.STATE_SAVES.labels(outcome="conflict").inc()
        raise ConcurrentModificationError(flow.id, expected_version, current) from None
    record_event(uow, flow, "state_saved", phase=flow.current_phase, data={"fields": sorted(updates)})
    uow.session.flush()
    version = flow.version
    after_commit(
        uow.session,
        lambda: metrics.log_change(
            "state_saved", id=flow.id, version=version, fields=",".join(sorted(updates))
        ),
    )
    after_commit(uow.session, lambda: metrics.STATE_SAVES.labels(outcome="success").inc())
    metrics.STATE_SAVE_DURATION.observe(time.perf_counter() - started)
    return version
