"""Cleansing and inventory over three overlapping sources: validation, dedup, precedence, lineage, re-runs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from core.bootstrap import Core
from core.cleansing import quality_report
from core.db.models import Asset, DiscoveryFlow, ImportFieldMapping, RawImportRecord
from core.errors import OperationCancelled, UserInputError
from core.flows import flow_status
from core.inventory import asset_detail, duplicate_candidates, merge_assets
from core.pipeline import run_asset_inventory, run_data_cleansing, run_flow
from core.uow import Tenant

from .builders import make_import
from .conftest import Estate, build_estate


def assets_by_name(core: Core, tenant: Tenant) -> dict[str, Asset]:
    with core.uow(tenant) as uow:
        rows = uow.session.scalars(select(Asset)).all()
        uow.session.expunge_all()
    return {a.fqdn or a.hostname or a.asset_name or str(a.id): a for a in rows}


def test_invalid_values_are_kept_and_reported_with_field_and_rule(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    with core.uow(tenant) as uow:
        rec = uow.session.scalars(
            select(RawImportRecord).where(
                RawImportRecord.data_import_id == estate.cmdb.import_id, RawImportRecord.record_index == 4
            )
        ).one()
        assert rec.is_valid is False and rec.is_processed
        assert rec.validation_errors == [
            {"field": "memory_gb", "value": "lots", "rule": "number", "message": "'lots' is not a number",
             "source_column": "ram_mb"}
        ]  # fmt: skip
        assert "memory_gb" not in rec.cleansed_data and rec.cleansed_data["hostname"] == "app01"
        ok = uow.session.scalars(
            select(RawImportRecord).where(
                RawImportRecord.data_import_id == estate.cmdb.import_id, RawImportRecord.record_index == 2
            )
        ).one()
        assert ok.is_valid is True and ok.validation_errors is None
        assert ok.cleansed_data["memory_gb"] == 16.0 and ok.cleansed_data["environment"] == "production"
        assert ok.cleansed_data["install_date"] == "2020-03-15T00:00:00+00:00"
        report = quality_report(uow, estate.cmdb.import_id)
    assert report is not None
    assert report["total_records"] == 4 and report["invalid_records"] == 1
    assert report["invalid_by_rule"] == {"number": 1} and report["invalid_by_field"] == {"memory_gb": 1}
    assert report["fields"]["memory_gb"]["completeness"] == 75.0
    assert report["fields"]["fqdn"]["filled"] == 2  # one mapped, one derived from the host-name column
    assert report["worst_records"][0]["record_index"] == 4
    assert report["field_sources"]["memory_gb"][0]["source_column"] == "ram_mb"


def test_dedup_across_three_sources_with_precedence_and_conflicts(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    assets = assets_by_name(core, tenant)
    assert sorted(assets) == [
        "app01.corp.example.com", "db01.corp.example.com", "newbox01", "web01.corp.example.com", "web02",
        "web02.corp.example.com", "web02.dmz.example.com",
    ]  # fmt: skip
    web01 = assets["web01.corp.example.com"]
    assert len(web01.source_record_ids) == 3  # CMDB (upper-case short name + VMware serial), RVTools, sheet
    assert web01.memory_gb == 16.0  # discovery beats the spreadsheet's 24
    assert web01.operating_system == "Microsoft Windows Server 2019 (64-bit)"  # discovery beats CMDB
    assert web01.business_owner == "J. Doe"  # business field: CMDB beats the spreadsheet
    assert web01.business_criticality == "critical" and web01.environment == "production"
    assert web01.asset_type == "virtual_machine" and web01.is_virtual is True  # inferred from vm_id
    assert web01.power_state == "on" and web01.external_id == "c1"
    mem = web01.field_conflicts["memory_gb"]
    assert mem["chosen"] == 16.0
    assert [(v["value"], v["source_kind"]) for v in mem["values"]] == [
        (16.0, "discovery"),
        (24.0, "spreadsheet"),
    ]
    assert "business_owner" in web01.field_conflicts and "environment" not in web01.field_conflicts
    # the bare "web02" of the CMDB matches the DMZ machine by IP; the sheet's bare web02 stays apart
    dmz = assets["web02.dmz.example.com"]
    assert len(dmz.source_record_ids) == 2 and dmz.external_id == "c4"
    assert len(assets["web02"].source_record_ids) == 1
    assert len(assets["web02.corp.example.com"].source_record_ids) == 1
    app = assets["app01.corp.example.com"]
    assert app.memory_gb == 8.0  # the CMDB's invalid "lots" did not wipe the RVTools value
    assert assets["db01.corp.example.com"].install_date is not None


def test_lineage_of_a_field_leads_to_the_exact_raw_cell(core: Core, tenant: Tenant, estate: Estate) -> None:
    web01 = assets_by_name(core, tenant)["web01.corp.example.com"]
    lin = web01.field_lineage["memory_gb"]
    assert lin["import_id"] == str(estate.rvtools.import_id) and lin["record_index"] == 2
    assert lin["source_column"] == "Memory" and lin["raw_value"] == "16384" and "scale" in lin["rule"]
    with core.uow(tenant) as uow:
        rec = uow.session.get(RawImportRecord, (uuid.UUID(lin["record_id"]), uuid.UUID(lin["import_id"])))
        assert rec is not None
        imp_cols = ["VM", "DNS Name", "Primary IP Address", "Memory"]
        assert rec.cells[imp_cols.index("Memory")] == lin["raw_value"]
        detail = asset_detail(uow, web01.id)
    mem = detail["fields"]["memory_gb"]
    assert (mem["file"], mem["row"], mem["source_column"], mem["raw_value"]) == (
        "rvtools.xlsx",
        2,
        "Memory",
        "16384",
    )
    host = detail["fields"]["hostname"]  # derived from the FQDN column of the RVTools row
    assert host["source_column"] == "DNS Name" and host["rule"].startswith("derived from fqdn")
    assert {s["file"] for s in detail["sources"]} == {
        "cmdb_ci_server.csv",
        "rvtools.xlsx",
        "server_list.xlsx",
    }
    assert detail["fields"]["asset_type"]["rule"].startswith("inferred")


def test_rerun_is_idempotent(core: Core, tenant: Tenant, estate: Estate) -> None:
    before = {a.id: (a.updated_at, a.field_lineage) for a in assets_by_name(core, tenant).values()}
    for made in (estate.cmdb, estate.rvtools, estate.sheet):
        result = run_flow(core.uows, tenant, made.flow_id, rerun=True)
        inv = result.summaries["asset_inventory"]
        assert (inv["created"], inv["updated"], inv["deleted"]) == (0, 0, 0)
    after = {a.id: (a.updated_at, a.field_lineage) for a in assets_by_name(core, tenant).values()}
    assert after == before


def test_rerun_after_a_mapping_change_updates_assets_in_place(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    ids = {a.id for a in assets_by_name(core, tenant).values()}
    with core.uow(tenant) as uow:  # the consultant re-maps "Owner" of the spreadsheet
        m = uow.session.scalars(
            select(ImportFieldMapping).where(
                ImportFieldMapping.data_import_id == estate.sheet.import_id,
                ImportFieldMapping.source_field == "Owner",
            )
        ).one()
        m.target_field, m.status = "technical_owner", "modified"
        uow.commit()
    run_data_cleansing(core.uows, tenant, estate.sheet.flow_id)
    summary = run_asset_inventory(core.uows, tenant, estate.sheet.flow_id)
    assert summary["created"] == 0 and summary["deleted"] == 0 and summary["updated"] >= 1
    assets = assets_by_name(core, tenant)
    assert {a.id for a in assets.values()} == ids
    web01 = assets["web01.corp.example.com"]
    assert web01.technical_owner == "Ops Team" and web01.business_owner == "J. Doe"
    assert "business_owner" not in web01.field_conflicts


def test_merge_is_kept_across_reruns_and_candidates_are_offered(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    assets = assets_by_name(core, tenant)
    with core.uow(tenant) as uow:
        groups = duplicate_candidates(uow)
    web02 = next(g for g in groups if g["reason"] == "same host name" and g["key"] == "web02")
    assert len(web02["asset_ids"]) == 3
    keep, bare = assets["web02.corp.example.com"], assets["web02"]
    with core.uow(tenant) as uow:
        detail = merge_assets(uow, keep.id, [bare.id], note="same box, per the owner")
        uow.commit()
    assert len(detail["sources"]) == 2 and detail["fields"]["environment"]["value"] == "test"
    run_flow(core.uows, tenant, estate.sheet.flow_id, rerun=True)
    after = assets_by_name(core, tenant)
    assert "web02" not in after and len(after) == 6
    assert set(after["web02.corp.example.com"].source_record_ids) == {
        *keep.source_record_ids,
        *bare.source_record_ids,
    }


def test_unidentifiable_records_are_counted_not_invented(core: Core, tenant: Tenant, estate: Estate) -> None:
    result = run_flow(core.uows, tenant, estate.sheet.flow_id, rerun=True)
    assert result.summaries["asset_inventory"]["unidentifiable_records"] == 1
    with core.uow(tenant) as uow:
        status = flow_status(uow, estate.sheet.flow_id)
    assert status["flags"]["asset_inventory_completed"] and status["current_phase"] == "dependency_analysis"


def test_flow_run_refuses_while_mappings_are_pending(core: Core, tenant: Tenant) -> None:
    mappings = {"Name": "hostname", "RAM": "memory_gb"}
    made = make_import(core, tenant, "pending.csv", ["Name", "RAM"], [["a", "1"]], mappings, pending=["RAM"])
    with pytest.raises(UserInputError, match="pending review: RAM"):
        run_flow(core.uows, tenant, made.flow_id)
    with core.uow(tenant) as uow:
        assert flow_status(uow, made.flow_id)["current_phase"] == "field_mapping"


def test_phases_after_inventory_run_their_engines(core: Core, tenant: Tenant) -> None:
    made = make_import(core, tenant, "one.csv", ["Name"], [["solo01"]], {"Name": "hostname"})
    result = run_flow(core.uows, tenant, made.flow_id, through="tech_debt_assessment")
    assert result.phases_run == [
        "field_mapping", "data_cleansing", "asset_inventory", "dependency_analysis", "tech_debt_assessment",
    ]  # fmt: skip
    assert result.status["current_phase"] == "completed" and result.status["status"] == "completed"
    assert result.status["flags"]["dependency_analysis_completed"]


def test_cancelled_cleansing_keeps_nothing_and_is_recorded(core: Core, tenant: Tenant) -> None:
    from core.progress import CancelToken, Progress

    made = make_import(core, tenant, "c.csv", ["Name"], [[f"h{i}"] for i in range(30)], {"Name": "hostname"})
    run_flow(core.uows, tenant, made.flow_id, through="field_mapping")
    cancel = CancelToken()

    def progress(snapshot: Progress) -> None:
        cancel.cancel()

    with pytest.raises(OperationCancelled):
        run_data_cleansing(core.uows, tenant, made.flow_id, progress=progress, cancel=cancel)
    with core.uow(tenant) as uow:
        cleansed = uow.session.scalars(
            select(RawImportRecord.id).where(
                RawImportRecord.data_import_id == made.import_id, RawImportRecord.cleansed_data.is_not(None)
            )
        ).all()
        flow = uow.session.get(DiscoveryFlow, made.flow_id)
        assert flow is not None
        details: dict[str, Any] = flow.error_details or {}
    assert cleansed == [] and details.get("error_code") == "cancelled"
    result = run_flow(core.uows, tenant, made.flow_id)  # and the flow can simply be run again
    assert "data_cleansing" in result.phases_run and result.status["flags"]["asset_inventory_completed"]


def test_inventory_of_a_second_engagement_never_sees_the_first(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    from core import tenancy

    other = tenancy.ensure_engagement(
        core.db.admin_sessions(), f"Other {uuid.uuid4().hex[:6]}", "E", core.user_id
    )
    t2 = core.tenant_for(other)
    build_estate(core, t2)
    assert len(assets_by_name(core, t2)) == 7 and len(assets_by_name(core, tenant)) == 7


def test_date_order_is_inferred_from_the_column_or_reported(core: Core, tenant: Tenant) -> None:
    rows = [["h1", "03/04/2021", "03/04/2021"], ["h2", "25/04/2021", "04/25/2021"], ["h3", "", "25/04/2021"]]
    mappings = {"Host": "hostname", "EU": "install_date", "Mixed": "warranty_expiration"}
    made = make_import(core, tenant, "dates.csv", ["Host", "EU", "Mixed"], rows, mappings)
    run_flow(core.uows, tenant, made.flow_id, through="data_cleansing")
    with core.uow(tenant) as uow:
        recs = uow.session.scalars(
            select(RawImportRecord)
            .where(RawImportRecord.data_import_id == made.import_id)
            .order_by(RawImportRecord.record_index)
        ).all()
        first = recs[0]
        assert first.cleansed_data["install_date"] == "2021-04-03T00:00:00+00:00"  # the column is day-first
        assert first.validation_errors and first.validation_errors[0]["rule"] == "ambiguous_date"
        assert first.validation_errors[0]["field"] == "warranty_expiration"  # that column mixes both orders
        assert recs[1].cleansed_data["warranty_expiration"] == "2021-04-25T00:00:00+00:00"
        report = quality_report(uow, made.import_id)
    assert report is not None and report["invalid_by_rule"] == {"ambiguous_date": 1}
    assert "date order dmy" in report["field_sources"]["install_date"][0]["rule"]


def test_inventory_accepts_the_import_pipelines_cancel_token(core: Core, tenant: Tenant) -> None:
    from core.progress import CancelToken

    made = make_import(core, tenant, "t.csv", ["Name"], [["x1"], ["x2"]], {"Name": "hostname"})
    run_flow(core.uows, tenant, made.flow_id, through="data_cleansing")
    token = CancelToken()
    token.cancel()
    with pytest.raises(OperationCancelled):
        run_asset_inventory(core.uows, tenant, made.flow_id, cancel=token)
    with core.uow(tenant) as uow:
        assert uow.session.scalars(select(Asset.id)).all() == []
