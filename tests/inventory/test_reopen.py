"""Reopening a finished mapping (issue 12, item 2): correct a decision, then the later phases run again.

Why here: reopening is only worth it if cleansing and inventory then redo the import's results in
place — the same assets (no duplicates), the corrected values, lineage from the new cleansing run,
merges kept — and the audit log says who reopened and why.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.actions import mapping as actions
from core.actions.flows import cancel_flow, pause_flow, resume_flow
from core.bootstrap import Core
from core.db.models import Asset, FlowEvent, ImportFieldMapping, RawImportRecord
from core.flows import flow_status
from core.flows.errors import ReopenRefusedError
from core.inventory import merge_assets
from core.mapping_review.errors import MappingLockedError
from core.pipeline import flow_actions, run_flow
from core.pipeline import flow_status as status_with_actions
from core.pipeline import flow_timeline as timeline
from core.uow import Tenant

from .builders import make_import
from .conftest import Estate

REASON = "ServiceNow criticality labels were not known"


def _assets(core: Core, tenant: Tenant) -> dict[str, Asset]:
    with core.uow(tenant) as uow:
        rows = uow.session.scalars(select(Asset)).all()
        uow.session.expunge_all()
    return {a.fqdn or a.hostname or a.asset_name or str(a.id): a for a in rows}


def _mapping(core: Core, tenant: Tenant, import_id: uuid.UUID, column: str) -> ImportFieldMapping:
    with core.uow(tenant) as uow:
        row = uow.session.scalars(
            select(ImportFieldMapping).where(
                ImportFieldMapping.data_import_id == import_id, ImportFieldMapping.source_field == column
            )
        ).one()
        uow.session.expunge(row)
    return row


def _events(core: Core, tenant: Tenant, flow_id: uuid.UUID, kind: str) -> list[FlowEvent]:
    with core.uow(tenant) as uow:
        rows = uow.session.scalars(
            select(FlowEvent).where(FlowEvent.flow_id == flow_id, FlowEvent.event_type == kind)
        ).all()
        uow.session.expunge_all()
    return list(rows)


def test_reopen_then_finish_reruns_cleansing_and_inventory_in_place(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    sheet = estate.sheet
    before = _assets(core, tenant)
    assert before["web01.corp.example.com"].business_criticality == "critical"  # "Tier 1"
    keep, bare = before["web02.corp.example.com"], before["web02"]
    with core.uow(tenant) as uow:  # a merge recorded before the reopening
        merge_assets(uow, keep.id, [bare.id], note="same box")
        uow.commit()
    merged = _assets(core, tenant)
    crit = _mapping(core, tenant, sheet.import_id, "Criticality")
    with pytest.raises(MappingLockedError):  # finished: the decision is locked
        actions.modify(core.uows, tenant, crit.id, crit.version, transformation_rules={"value_map": {}})

    done = actions.reopen_mapping(core.uows, tenant, sheet.flow_id, reason=f"  {REASON} ")
    value = done.value
    assert value.reset_phases == ("field_mapping", "data_cleansing", "asset_inventory")
    assert (value.previous_phase, value.status, value.reason) == (
        "dependency_analysis",
        "waiting_for_review",
        REASON,
    )
    assert done.changes.touches_flow(sheet.flow_id) and done.changes.touches_import(sheet.import_id)
    assert done.changes.mappings
    with core.uow(tenant) as uow:
        status = flow_status(uow, sheet.flow_id)
    assert status["current_phase"] == "field_mapping" and status["status"] == "waiting_for_review"
    assert status["phases_completed"] == ["data_import"] and status["progress_percentage"] == 16.7
    assert not any(v for k, v in status["flags"].items() if k != "data_import_completed")
    (event,) = _events(core, tenant, sheet.flow_id, "mapping_reopened")
    assert event.actor == tenant.actor and event.actor_user_id == tenant.user_id
    assert event.data["reason"] == REASON and event.data["from"] == "dependency_analysis"
    assert event.data["reset_phases"] == ["field_mapping", "data_cleansing", "asset_inventory"]
    phases = {p["phase"]: p for p in timeline(core.uows, tenant, sheet.flow_id)["phases"]}
    assert phases["field_mapping"]["started_at"] == event.occurred_at.isoformat()  # mapping again from now
    assert phases["data_cleansing"]["started_at"] is None and phases["data_cleansing"]["counts"] is None
    assert phases["data_import"]["status"] == "completed"  # the import is not redone

    # editable again: the consultant corrects the value map and finishes the mapping again
    rules = {"value_map": {"Tier 1": "high", "Tier 2": "medium"}}
    actions.modify(core.uows, tenant, crit.id, crit.version, transformation_rules=rules)
    actions.finish_flow_mapping(core.uows, tenant, sheet.flow_id)
    result = run_flow(core.uows, tenant, sheet.flow_id)
    assert result.phases_run == ["data_cleansing", "asset_inventory"]
    inv = result.summaries["asset_inventory"]
    assert inv["created"] == 0 and inv["deleted"] == 0 and inv["updated"] >= 1

    after = _assets(core, tenant)
    assert {a.id for a in after.values()} == {a.id for a in merged.values()}  # no duplicates, same ids
    web01 = after["web01.corp.example.com"]
    assert web01.business_criticality == "high"
    lineage = web01.field_lineage["business_criticality"]
    assert lineage["import_id"] == str(sheet.import_id) and lineage["raw_value"] == "Tier 1"
    assert lineage["source_column"] == "Criticality"
    with core.uow(tenant) as uow:
        from core.cleansing import quality_report

        report = quality_report(uow, sheet.import_id)
    assert report is not None
    (source,) = report["field_sources"]["business_criticality"]
    assert source["rules"] == rules  # the new run's mapping snapshot …
    assert lineage["rule"] == source["rule"]  # … is what the asset's lineage names
    assert "web02" not in after  # the merge stays
    assert set(after["web02.corp.example.com"].source_record_ids) == {
        *keep.source_record_ids,
        *bare.source_record_ids,
    }
    assert status_with_actions(core.uows, tenant, sheet.flow_id)["actions"]["reopen_mapping"]["allowed"]


def test_reopen_is_refused_with_a_hint_and_writes_nothing(core: Core, tenant: Tenant) -> None:
    made = make_import(core, tenant, "hosts.csv", ["Host"], [["h1"]], {"Host": "hostname"}, pending=["Host"])
    with pytest.raises(ReopenRefusedError) as never:
        actions.reopen_mapping(core.uows, tenant, made.flow_id, reason="typo")
    assert "not finished" in never.value.message and never.value.hint
    actions.finish_flow_mapping(core.uows, tenant, made.flow_id, auto=True)
    pause_flow(core.uows, tenant, made.flow_id)
    with pytest.raises(ReopenRefusedError) as paused:
        actions.reopen_mapping(core.uows, tenant, made.flow_id)
    assert "resume" in (paused.value.hint or "")
    resume_flow(core.uows, tenant, made.flow_id)
    cancel_flow(core.uows, tenant, made.flow_id)
    with core.uow(tenant) as uow:
        version = flow_status(uow, made.flow_id)["version"]
    with pytest.raises(ReopenRefusedError) as cancelled:
        actions.reopen_mapping(core.uows, tenant, made.flow_id)
    assert "cancelled" in cancelled.value.message and cancelled.value.hint
    with core.uow(tenant) as uow:
        assert flow_status(uow, made.flow_id)["version"] == version
    assert _events(core, tenant, made.flow_id, "mapping_reopened") == []


def test_the_allowed_actions_offer_reopening_only_after_the_mapping_is_finished() -> None:
    def state(status: str, phase: str, finished: bool) -> dict[str, object]:
        flags = {"data_import_completed": True, "field_mapping_completed": finished}
        return {"status": status, "current_phase": phase, "flags": flags, "error": None}

    assert flow_actions(state("running", "data_cleansing", True))["reopen_mapping"].allowed
    assert flow_actions(state("failed", "data_cleansing", True))["reopen_mapping"].allowed
    open_ = flow_actions(state("waiting_for_review", "field_mapping", False))["reopen_mapping"]
    assert not open_.allowed and "not finished" in (open_.reason or "")
    paused = flow_actions(state("paused", "asset_inventory", True))["reopen_mapping"]
    assert not paused.allowed and "resume it first" in (paused.reason or "")
    cancelled = flow_actions(state("cancelled", "asset_inventory", True))["reopen_mapping"]
    assert not cancelled.allowed and "cancelled" in (cancelled.reason or "")


def test_a_reopened_import_no_longer_contributes_what_its_new_mapping_drops(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    sheet = estate.sheet
    before = _assets(core, tenant)
    web01, sheet_only = before["web01.corp.example.com"], before["web02"]  # "web02": the sheet's, by name
    with core.uow(tenant) as uow:
        sheet_records = {
            str(r)
            for r in uow.session.scalars(
                select(RawImportRecord.id).where(RawImportRecord.data_import_id == sheet.import_id)
            )
        }
    assert web01.business_criticality == "critical" and set(web01.source_record_ids) & sheet_records
    actions.reopen_mapping(core.uows, tenant, sheet.flow_id, reason="the names are not host names")
    name = _mapping(core, tenant, sheet.import_id, "Server Name")
    actions.reject(core.uows, tenant, name.id, name.version, auto_finish=False)
    actions.finish_flow_mapping(core.uows, tenant, sheet.flow_id)
    inv = run_flow(core.uows, tenant, sheet.flow_id).summaries["asset_inventory"]

    after = {a.id: a for a in _assets(core, tenant).values()}
    assert inv["deleted"] == 1 and sheet_only.id not in after  # its record has no identity left
    owners = [r for a in after.values() for r in a.source_record_ids if r in sheet_records]
    assert len(owners) == len(set(owners)) == 3  # each identifiable sheet row in exactly one asset
    # an IP alone does not join the sheet's row to web01 any more: web01 keeps only what the CMDB and
    # RVTools say, and nothing the spreadsheet contributed under its old mapping
    kept = after[web01.id]
    assert not set(kept.source_record_ids) & sheet_records
    assert kept.business_criticality is None and "business_criticality" not in kept.field_lineage
    assert after[before["newbox01"].id].ip_address == "10.0.0.9"  # same asset, now known by its IP
