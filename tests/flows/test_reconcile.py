"""Correcting derived flags (an explicit action, never a read); reconciling flags with stored artefacts."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.actions import flows as flow_actions
from core.actions.flows import correct_derived_flags
from core.bootstrap import Core
from core.db.models import Asset, DiscoveryFlow, ImportFieldMapping
from core.flows import PhaseProgress, create_discovery_flow, flow_status, run_phase
from core.flows.reconcile import _text, reconcile
from core.flows.validation import snapshot_of, state_problems
from core.tenancy import EngagementRef
from core.uow import Tenant, UnitOfWork

from .helpers import add_import, admin_sql, events, get_flow


def _unmarked_flow(core: Core, tenant: Tenant, records: int = 3, mappings: str | None = None) -> uuid.UUID:
    """A flow whose import landed but whose flags were never set (a crashed or old writer)."""
    with core.uow(tenant) as uow:
        import_id = add_import(uow, records, status="completed" if records else "pending")
        flow = create_discovery_flow(uow, data_import_id=import_id, flow_name=f"flow {records}/{mappings}")
        if mappings:
            uow.session.add(
                ImportFieldMapping(
                    data_import_id=import_id,
                    source_field="Name",
                    target_field="hostname",
                    status=mappings,
                    client_account_id=tenant.client_account_id,
                    engagement_id=tenant.engagement_id,
                )
            )
        uow.commit()
        return flow.id


def test_status_read_leaves_a_stale_import_flag_untouched(core: Core, tenant: Tenant) -> None:
    """Reads never write: the stale flag is reported as stored, and the row keeps its version."""
    flow_id = _unmarked_flow(core, tenant, records=4)
    n_events = len(events(core, tenant, flow_id))
    with core.uow(tenant) as uow:
        status = flow_status(uow, flow_id)
        assert not uow.changes.any  # nothing noted either
    assert not status["flags"]["data_import_completed"] and status["current_phase"] == "data_import"
    assert status["version"] == 1 and status["status"] == "initializing"
    stored = get_flow(core, tenant, flow_id)
    assert not stored.data_import_completed and stored.version == 1
    assert len(events(core, tenant, flow_id)) == n_events


def test_correcting_derived_flags_persists_a_stale_import_flag_in_one_commit(
    core: Core, tenant: Tenant
) -> None:
    flow_id = _unmarked_flow(core, tenant, records=4)
    outcome = correct_derived_flags(core.uows, tenant, flow_id)
    assert outcome.value is not None and outcome.changes.touches_flow(flow_id)
    with core.uow(tenant) as uow:
        status = flow_status(uow, flow_id)
    assert status["flags"]["data_import_completed"] and status["current_phase"] == "field_mapping"
    assert status["version"] == 2 and status["status"] == "waiting_for_review"
    stored = get_flow(core, tenant, flow_id)
    assert stored.data_import_completed and stored.version == 2  # persisted, once
    last = events(core, tenant, flow_id)[-1]
    assert last.event_type == "phase_advanced" and "write-through" in last.data["reason"]
    again = correct_derived_flags(core.uows, tenant, flow_id)
    assert again.value is None and not again.changes.any
    with core.uow(tenant) as uow:
        assert flow_status(uow, flow_id)["version"] == 2  # nothing more to correct


def test_correcting_without_evidence_writes_nothing(core: Core, tenant: Tenant) -> None:
    flow_id = _unmarked_flow(core, tenant, records=0)
    assert correct_derived_flags(core.uows, tenant, flow_id).value is None
    with core.uow(tenant) as uow:
        status = flow_status(uow, flow_id)
    assert not status["flags"]["data_import_completed"] and status["version"] == 1


def _fail(uow: UnitOfWork, progress: PhaseProgress) -> None:
    raise ValueError("bad")


def _state(core: Core, tenant: Tenant) -> dict[uuid.UUID, tuple]:
    with core.uow(tenant) as uow:
        flows = uow.session.scalars(select(DiscoveryFlow)).all()
        return {f.id: (f.version, dict(snapshot_of(f))) for f in flows}


def _scenario(core: Core, tenant: Tenant) -> dict[str, uuid.UUID]:
    lagging = _unmarked_flow(core, tenant, records=3, mappings="approved")
    nothing = _unmarked_flow(core, tenant, records=0)
    undecided = _unmarked_flow(core, tenant, records=2, mappings="suggested")
    errored = _unmarked_flow(core, tenant, records=2)
    with pytest.raises(ValueError):
        run_phase(core.uows, tenant, errored, "data_import", _fail)
    with core.uow(tenant) as uow:  # assets of the flow exist, but its mappings are still undecided
        uow.session.add(
            Asset(
                hostname="web01",
                discovery_flow_id=undecided,
                client_account_id=tenant.client_account_id,
                engagement_id=tenant.engagement_id,
            )
        )
        uow.commit()
    return {"lagging": lagging, "nothing": nothing, "undecided": undecided, "errored": errored}


def test_dry_run_changes_nothing_and_apply_fixes_exactly_the_report(
    core: Core, tenant: Tenant, engagement: EngagementRef
) -> None:
    flows = _scenario(core, tenant)
    before = _state(core, tenant)
    n_events = {f: len(events(core, tenant, f)) for f in flows.values()}

    dry = reconcile(core.uows, client=engagement.client_name)
    assert _state(core, tenant) == before  # a dry run writes nothing
    assert {f: len(events(core, tenant, f)) for f in flows.values()} == n_events
    assert dry.flows_checked == 4 and not dry.applied

    fixes = {(r.flow_id, r.field): (r.old_value, r.new_value) for r in dry.fixes}
    lag, und = str(flows["lagging"]), str(flows["undecided"])
    assert fixes == {
        # import landed and every mapping decided: two phases lag behind the data
        (lag, "data_import_completed"): ("false", "true"),
        (lag, "field_mapping_completed"): ("false", "true"),
        (lag, "current_phase"): ("data_import", "data_cleansing"),
        (lag, "phases_completed"): ("[]", '["data_import", "field_mapping"]'),
        (lag, "progress_percentage"): ("0.0", "33.3"),
        (lag, "status"): ("initializing", "running"),
        # import landed, mappings undecided: only the import phase is repaired
        (und, "data_import_completed"): ("false", "true"),
        (und, "current_phase"): ("data_import", "field_mapping"),
        (und, "phases_completed"): ("[]", '["data_import"]'),
        (und, "progress_percentage"): ("0.0", "16.7"),
        (und, "status"): ("initializing", "waiting_for_review"),
    }
    skipped = {(r.flow_id, r.field) for r in dry.rows if r.action == "skip"}
    assert skipped == {
        (str(flows["errored"]), "data_import_completed"),  # an error is logged: not repaired
        (und, "asset_inventory_completed"),  # assets exist but mapping is not complete: out of order
    }

    assert not dry.changes.any  # nothing committed, nothing to refresh
    outcome = flow_actions.reconcile(core.uows, apply=True, client=engagement.client_name)
    applied = outcome.value
    assert outcome.changes.flows and outcome.changes.flow_ids == {flows["lagging"], flows["undecided"]}
    assert applied.rows == dry.rows  # the apply does exactly what the dry run reported
    after = _state(core, tenant)
    for (flow_id, field), (_old, new) in fixes.items():
        snap = after[uuid.UUID(flow_id)][1]
        assert _text(snap["flags"].get(field, snap.get(field))) == new, field
    assert {f for f in after if after[f] != before[f]} == {flows["lagging"], flows["undecided"]}
    assert state_problems(after[flows["lagging"]][1]) == []
    assert after[flows["lagging"]][0] == 3  # two transitions, through the one path
    reasons = [e.data.get("reason", "") for e in events(core, tenant, flows["lagging"])[-2:]]
    assert all(r.startswith("reconcile:") for r in reasons)
    again = reconcile(core.uows, client=engagement.client_name)
    assert not again.fixes  # nothing left to repair


def test_reconcile_repairs_a_flag_that_lags_behind_current_phase(
    core: Core, tenant: Tenant, engagement: EngagementRef
) -> None:
    flow_id = _unmarked_flow(core, tenant, records=2, mappings="approved")
    reconcile(core.uows, apply=True, client=engagement.client_name)
    admin_sql(  # an old writer unset a flag behind the current phase
        core,
        "UPDATE discovery_flows SET data_import_completed = false, phases_completed = '[\"field_mapping\"]',"
        " progress_percentage = 16.7 WHERE id = :id",
        id=flow_id,
    )
    report = reconcile(core.uows, apply=True, client=engagement.client_name)
    fields = {r.field: (r.old_value, r.new_value) for r in report.fixes}
    assert fields["data_import_completed"] == ("false", "true")
    assert fields["progress_percentage"] == ("16.7", "33.3")
    flow = get_flow(core, tenant, flow_id)
    assert state_problems(snapshot_of(flow)) == [] and flow.current_phase == "data_cleansing"
    assert not reconcile(core.uows, client=engagement.client_name).fixes
