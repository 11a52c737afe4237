"""Lineage is recorded when cleansing keeps a value, and inventory copies it (issue 11).

Real files through the real import, the mapping review's decisions and `run_flow`: the lineage an asset shows
must name the column, row and raw cell the value really came from, also when several columns feed
one field and the first of them holds a placeholder.
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import Asset, RawImportRecord
from core.imports.service import import_file
from core.inventory import asset_detail
from core.mapping_review import mapping_rows
from core.pipeline import run_flow
from core.queries import asset_pages
from core.uow import Tenant

from .conftest import Estate


def _map_and_run(
    core: Core, tenant: Tenant, import_id: uuid.UUID, flow_id: uuid.UUID, targets: dict[str, str]
) -> None:
    """Decide every column as `targets` says (others rejected) through the mapping review's use
    cases, then run the flow (it finishes the mapping phase, cleanses and inventories)."""
    with core.uow(tenant) as uow:
        rows = list(mapping_rows(uow, import_id))
    assert {r.source_field for r in rows} >= set(targets)  # the import stored its suggestions
    for row in rows:
        target = targets.get(row.source_field)
        if target is None:
            mapping_actions.reject(core.uows, tenant, row.id, row.version, auto_finish=False)
        else:
            mapping_actions.modify(
                core.uows, tenant, row.id, row.version, target_field=target, auto_finish=False
            )
    run_flow(core.uows, tenant, flow_id)


def _only_asset(core: Core, tenant: Tenant) -> tuple[Asset, dict[str, Any]]:
    with core.uow(tenant) as uow:
        assets = uow.session.scalars(select(Asset)).all()
        assert len(assets) == 1, [a.asset_name for a in assets]
        detail = asset_detail(uow, assets[0].id)
        uow.session.expunge_all()
    return assets[0], detail


def test_two_columns_onto_tags_name_the_column_whose_value_was_kept(
    core: Core, tenant: Tenant, tmp_path: Path
) -> None:
    path = tmp_path / "servers.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Hostname", "Tags", "Labels"])
        w.writerow(["web01", "n/a", "owner:finance"])
    imported = import_file(core.uows, tenant, path)
    _map_and_run(
        core,
        tenant,
        imported.import_id,
        imported.flow_id,
        {"Hostname": "hostname", "Tags": "tags", "Labels": "tags"},
    )

    asset, detail = _only_asset(core, tenant)
    assert asset.tags == {"owner": "finance"}
    lin = asset.field_lineage["tags"]
    assert (lin["source_column"], lin["raw_value"], lin["record_index"]) == ("Labels", "owner:finance", 2)
    shown = detail["fields"]["tags"]
    assert (shown["file"], shown["row"], shown["source_column"], shown["raw_value"]) == (
        "servers.csv",
        2,
        "Labels",
        "owner:finance",
    )
    with core.uow(tenant) as uow:  # recorded by cleansing itself, next to the cleansed values
        rec = uow.session.scalars(
            select(RawImportRecord).where(RawImportRecord.data_import_id == imported.import_id)
        ).one()
        assert rec.cleansed_lineage == {
            "row": 2,
            "position": {"hostname": 0, "tags": 2},  # Hostname, Labels: cells[2] is 'owner:finance'
        }
        assert rec.cells[2] == "owner:finance"


def test_tags_merged_from_two_columns_name_both(core: Core, tenant: Tenant, tmp_path: Path) -> None:
    path = tmp_path / "merged.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Hostname", "Tags", "Labels"])
        w.writerow(["web01", "team:ops", "owner:finance"])
    imported = import_file(core.uows, tenant, path)
    _map_and_run(
        core,
        tenant,
        imported.import_id,
        imported.flow_id,
        {"Hostname": "hostname", "Tags": "tags", "Labels": "tags"},
    )
    asset, _detail = _only_asset(core, tenant)
    assert asset.tags == {"team": "ops", "owner": "finance"}
    lin = asset.field_lineage["tags"]
    assert (lin["source_column"], lin["raw_value"]) == ("Tags", "team:ops")
    assert "merged with Labels" in lin["rule"]


def test_xlsx_lineage_names_the_sheet_and_its_row(core: Core, tenant: Tenant, tmp_path: Path) -> None:
    path = tmp_path / "estate.xlsx"
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "Notes"
    first.append(["not the data"])
    sheet = wb.create_sheet("Servers")
    sheet.append(["Server export, 2026"])  # row 1: a title
    sheet.append([])  # row 2: blank
    sheet.append(["Server Name", "FQDN", "RAM (GB)"])  # row 3: the header
    sheet.append(["", "", ""])  # row 4: blank, dropped by the import
    sheet.append(["app01", "app01.corp.example.com", 16])  # row 5
    sheet.append(["db01", "db01.corp.example.com", 64])  # row 6
    wb.save(path)
    imported = import_file(core.uows, tenant, path, sheet="Servers", header_row=3)
    _map_and_run(
        core,
        tenant,
        imported.import_id,
        imported.flow_id,
        {"Server Name": "hostname", "FQDN": "fqdn", "RAM (GB)": "memory_gb"},
    )
    with core.uow(tenant) as uow:
        db01 = uow.session.scalars(select(Asset).where(Asset.hostname == "db01")).one()
        detail = asset_detail(uow, db01.id)
    mem = detail["fields"]["memory_gb"]
    assert (mem["file"], mem["sheet"], mem["row"], mem["source_column"], mem["raw_value"]) == (
        "estate.xlsx",
        "Servers",
        6,
        "RAM (GB)",
        "64",
    )
    domain = detail["fields"]["dns_domain"]  # derived: the cell it was derived from
    assert (domain["row"], domain["source_column"], domain["raw_value"]) == (
        6,
        "FQDN",
        "db01.corp.example.com",
    )
    assert domain["rule"].startswith("derived from fqdn")
    assert {s["row"] for s in detail["sources"]} == {6}


def test_each_conflicting_value_carries_its_own_recorded_cell(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    with core.uow(tenant) as uow:
        web01 = uow.session.scalars(select(Asset).where(Asset.fqdn == "web01.corp.example.com")).one()
        conflicts = web01.field_conflicts
        cells = asset_pages.conflict_cells(uow, conflicts)
    mem = conflicts["memory_gb"]["values"]
    assert [(v["filename"], v["record_index"], v["source_column"], v["raw_value"]) for v in mem] == [
        ("rvtools.xlsx", 2, "Memory", "16384"),
        ("server_list.xlsx", 2, "RAM (GB)", "24"),
    ]
    sheet_record = mem[1]["record_id"]
    assert cells[("memory_gb", sheet_record)] == {"source_column": "RAM (GB)", "raw_value": "24"}
