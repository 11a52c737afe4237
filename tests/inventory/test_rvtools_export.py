"""A whole RVTools export as one import: vInfo plus its detail sheets, joined to the VMs at inventory.

Why (issue 13): an RVTools workbook says what each VM's disks, partitions, NICs, snapshots, tools,
host and cluster are, but only vInfo was read. A real workbook (written by openpyxl, RVTools' own
headers) goes through `import_file(rvtools=True)`, the mapping auto-finish, cleansing and inventory;
the checks read the database: one import with every detail row, each joined to its VM by VM UUID
(or, in a sheet without UUIDs, by VM name + vCenter), asset fields summed from them with lineage
to sheet, row and column, the rows of a VM vInfo does not list kept and reported, and an inventory
re-run that changes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.actions import mapping as actions
from core.bootstrap import Core
from core.db.models import Asset, AssetDetail, DataImport
from core.errors import UserInputError
from core.imports import ImportResult, import_file
from core.inventory import asset_detail, build_inventory
from core.pipeline import run_flow
from core.uow import Tenant
from tests.mapping.rvtools_sample import RVTOOLS_VERSION, UNKNOWN_VM, Sheet, rvtools_export, write_workbook

VMS = 12
NO_DISK = 5
OTHER_VCENTER = "vcsa09.elsewhere.example.com"


@dataclass
class Export:
    path: Path
    sheets: dict[str, Sheet]

    def rows(self, sheet: str, vm: str) -> list[tuple[int, dict[str, Any]]]:
        """(sheet row, values) of the sheet's rows naming `vm` (the header is row 1)."""
        return [(i + 2, r) for i, r in enumerate(self.sheets[sheet][1]) if r.get("VM") == vm]

    @property
    def vms(self) -> list[dict[str, Any]]:
        return self.sheets["vInfo"][1]


@pytest.fixture
def export(tmp_path: Path) -> Export:
    sheets = rvtools_export(VMS, no_disk=NO_DISK)
    first = sheets["vInfo"][1][0]
    # a partition row naming VM 0 in another vCenter: the same name is another VM there
    sheets["vPartition"][1].append(
        {
            "VM": first["VM"],
            "Disk": "/",
            "Capacity MiB": 1000,
            "Consumed MiB": 1,
            "VI SDK Server": OTHER_VCENTER,
        }
    )
    # vPartition as older RVTools wrote it: no VM UUID / VM ID, so it joins by VM name + vCenter
    path = write_workbook(
        tmp_path / "RVTools_export_all.xlsx", sheets, drop={"vPartition": ("VM UUID", "VM ID")}
    )
    return Export(path, sheets)


def _inventory(core: Core, tenant: Tenant, result: ImportResult) -> None:
    actions.finish_flow_mapping(core.uows, tenant, result.flow_id, auto=True)
    run_flow(core.uows, tenant, result.flow_id)


def _assets(core: Core, tenant: Tenant) -> dict[str, Asset]:
    with core.uow(tenant) as uow:
        assets = uow.session.scalars(select(Asset)).all()
        uow.session.expunge_all()
    return {str(a.asset_name): a for a in assets}


def _details(core: Core, tenant: Tenant) -> list[AssetDetail]:
    with core.uow(tenant) as uow:
        rows = uow.session.scalars(
            select(AssetDetail).order_by(AssetDetail.sheet, AssetDetail.row_index)
        ).all()
        uow.session.expunge_all()
    return list(rows)


def test_the_whole_export_is_one_import_with_every_detail_row(
    core: Core, tenant: Tenant, export: Export
) -> None:
    result = import_file(core.uows, tenant, export.path, rvtools=True)
    assert result.rows == VMS and result.sheet == "vInfo"
    expected = {
        s: len(export.sheets[s][1]) for s in ("vDisk", "vPartition", "vNetwork", "vSnapshot", "vTools")
    }
    expected |= {"vHost": len(export.sheets["vHost"][1]), "vCluster": len(export.sheets["vCluster"][1])}
    assert result.rvtools is not None
    assert {s["sheet"]: s["rows"] for s in result.rvtools["sheets"]} == expected
    assert result.rvtools["detail_rows"] == sum(expected.values())
    servers = sorted({vm["VI SDK Server"] for vm in export.vms})
    assert result.rvtools["version"] == RVTOOLS_VERSION and result.rvtools["servers"] == servers
    assert any("vPartition: no column 'VM UUID', 'VM ID'" in n for n in result.notes), result.notes
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, result.import_id)
        assert imp is not None and imp.sheet_name == "vInfo"
        assert imp.source_system == f"RVTools {RVTOOLS_VERSION} — " + ", ".join(servers)
        assert imp.import_metadata["rvtools"]["detail_rows"] == sum(expected.values())
        stored = Counter(
            dict(
                uow.session.execute(
                    select(AssetDetail.sheet, func.count())
                    .where(AssetDetail.data_import_id == result.import_id)
                    .group_by(AssetDetail.sheet)
                ).all()
            )
        )
    assert stored == Counter(expected)
    assert all(d.record_id is None and d.asset_id is None for d in _details(core, tenant))  # joined later
    assert result.to_json()["rvtools"]["detail_rows"] == sum(expected.values())


def test_details_join_their_vm_and_fill_its_fields_with_lineage(
    core: Core, tenant: Tenant, export: Export
) -> None:
    result = import_file(core.uows, tenant, export.path, rvtools=True)
    _inventory(core, tenant, result)
    assets = _assets(core, tenant)
    assert len(assets) == VMS
    details = _details(core, tenant)
    matched = Counter((d.sheet, d.match) for d in details)
    assert matched[("vDisk", "vm_uuid")] == len(export.sheets["vDisk"][1]) - 1  # all but the unknown VM
    assert matched[("vPartition", "name+vcenter")] == len(export.sheets["vPartition"][1]) - 1
    assert matched[("vPartition", None)] == 1  # same name, other vCenter: another VM
    for vm in export.vms:
        asset = assets[vm["VM"]]
        disks = export.rows("vDisk", vm["VM"])
        parts = [
            (r, p) for r, p in export.rows("vPartition", vm["VM"]) if p["VI SDK Server"] != OTHER_VCENTER
        ]
        nics = export.rows("vNetwork", vm["VM"])
        snaps = export.rows("vSnapshot", vm["VM"])
        tools = export.rows("vTools", vm["VM"])
        mine = [d for d in details if d.asset_id == asset.id]
        assert sorted((d.sheet, d.row_index) for d in mine) == sorted(
            [("vDisk", r) for r, _ in disks]
            + [("vPartition", r) for r, _ in parts]
            + [("vNetwork", r) for r, _ in nics]
            + [("vSnapshot", r) for r, _ in snaps]
            + [("vTools", r) for r, _ in tools]
        )
        assert asset.snapshot_count == len(snaps)
        assert asset.nic_count == len(nics)
        assert asset.tools_status == tools[0][1]["Tools"]
        assert asset.tools_version == (tools[0][1]["Tools Version"] or None)
        ips = [str(ip_address(ip)) for _, n in nics for ip in (n["IPv4 Address"], n["IPv6 Address"]) if ip]
        assert sorted((asset.ip_addresses or "").split(", ")) == sorted(ips) or (
            not ips and not asset.ip_addresses
        )
        if disks:
            assert asset.disk_count == len(disks)
            assert asset.storage_gb == pytest.approx(sum(d["Capacity MiB"] for _, d in disks) / 1024)
            lineage = asset.field_lineage["storage_gb"]
            assert lineage["sheet"] == "vDisk" and lineage["source_column"] == "Capacity MiB"
            assert lineage["rows"] == [r for r, _ in disks]
            assert lineage["raw_value"] == "; ".join(str(d["Capacity MiB"]) for _, d in disks)
            assert lineage["import_id"] == str(result.import_id)
        if parts:
            assert asset.storage_used_gb == pytest.approx(sum(p["Consumed MiB"] for _, p in parts) / 1024)
            lineage = asset.field_lineage["storage_used_gb"]
            assert (lineage["sheet"], lineage["source_column"]) == ("vPartition", "Consumed MiB")
            assert "replaces vInfo 'In Use MiB'" in lineage["rule"]
            assert (
                "vInfo 'Total disk capacity MiB' says the same" in asset.field_lineage["storage_gb"]["rule"]
            )
        else:  # powered off or a template: vInfo's own value stays, read from its cell
            assert asset.field_lineage["storage_used_gb"]["source_column"] == "In Use MiB"


def test_a_vm_without_disks_keeps_what_vinfo_says(core: Core, tenant: Tenant, export: Export) -> None:
    result = import_file(core.uows, tenant, export.path, rvtools=True)
    _inventory(core, tenant, result)
    vm = export.vms[NO_DISK]
    asset = _assets(core, tenant)[vm["VM"]]
    assert not export.rows("vDisk", vm["VM"])
    assert asset.disk_count == 0 and asset.field_lineage["disk_count"]["source_column"] == "Disks"
    with core.uow(tenant) as uow:
        shown = asset_detail(uow, asset.id)["details"]
    kinds = Counter(d["kind"] for d in shown)
    assert kinds["disk"] == 0 and kinds["partition"] == 0
    assert kinds["nic"] == int(vm["NICs"]) and kinds["tools"] == 1
    assert kinds["host"] == 1 and kinds["cluster"] == 1


def test_a_detail_row_of_an_unknown_vm_is_counted_reported_and_kept(
    core: Core, tenant: Tenant, export: Export
) -> None:
    result = import_file(core.uows, tenant, export.path, rvtools=True)
    with core.uow(tenant) as uow:
        counts = build_inventory_after_cleansing(core, tenant, result, uow)
    joined = counts["details"]
    assert joined["unknown_vm_rows"] == 3  # the ghost's disk and NIC, the other vCenter's partition
    listed = {(u["sheet"], u["vm"]) for u in joined["unknown"]}
    assert {("vDisk", UNKNOWN_VM), ("vNetwork", UNKNOWN_VM), ("vPartition", export.vms[0]["VM"])} == listed
    ghost_row = next(r for r, _ in export.rows("vDisk", UNKNOWN_VM))
    assert {"sheet": "vDisk", "row": ghost_row} in [
        {"sheet": u["sheet"], "row": u["row"]} for u in joined["unknown"]
    ]
    ghosts = [d for d in _details(core, tenant) if d.join_keys.get("vm") == UNKNOWN_VM]
    assert len(ghosts) == 2 and all(d.match is None and d.asset_id is None for d in ghosts)
    assert ghosts[0].attributes.get("capacity_mib") == 51200  # kept as read


def build_inventory_after_cleansing(
    core: Core, tenant: Tenant, result: ImportResult, uow: Any
) -> dict[str, Any]:
    """Run the flow up to the inventory, then the inventory itself in `uow` (its counts are returned)."""
    actions.finish_flow_mapping(core.uows, tenant, result.flow_id, auto=True)
    run_flow(core.uows, tenant, result.flow_id, through="data_cleansing")
    counts = build_inventory(uow, result.import_id, flow_id=result.flow_id)
    uow.commit()
    return counts


def test_detail_lineage_names_sheet_row_and_column(core: Core, tenant: Tenant, export: Export) -> None:
    result = import_file(core.uows, tenant, export.path, rvtools=True)
    _inventory(core, tenant, result)
    vm = next(
        v for v in export.vms if export.rows("vSnapshot", v["VM"]) and export.rows("vPartition", v["VM"])
    )
    asset = _assets(core, tenant)[vm["VM"]]
    with core.uow(tenant) as uow:
        detail = asset_detail(uow, asset.id)
    field = detail["fields"]["storage_gb"]
    assert (field["file"], field["sheet"], field["source_column"]) == (
        export.path.name,
        "vDisk",
        "Capacity MiB",
    )
    assert field["row"] == export.rows("vDisk", vm["VM"])[0][0]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for d in detail["details"]:
        by_kind.setdefault(d["kind"], []).append(d)
    (row, disk), *_ = export.rows("vDisk", vm["VM"])
    first = by_kind["disk"][0]
    assert (first["file"], first["sheet"], first["row"]) == (export.path.name, "vDisk", row)
    assert first["attributes"]["capacity_mib"] == disk["Capacity MiB"]
    assert first["columns"]["capacity_mib"] == "Capacity MiB" and first["raw"]["capacity_mib"] == str(
        disk["Capacity MiB"]
    )
    part = by_kind["partition"][0]
    assert part["match"] == "name+vcenter"
    assert {"capacity_mib", "consumed_mib", "free_mib"} <= set(part["attributes"])
    snap_row, snap = export.rows("vSnapshot", vm["VM"])[0]
    shown = by_kind["snapshot"][0]
    assert (shown["row"], shown["attributes"]["name"]) == (snap_row, snap["Name"])
    assert shown["attributes"]["created"].startswith("2024-03-01T22:15:00")
    host = by_kind["host"][0]
    assert host["keys"]["host"] == vm["Host"] and host["attributes"]["cpu_model"].startswith("Intel")
    assert by_kind["cluster"][0]["keys"]["cluster"] == vm["Cluster"]
    nic = by_kind["nic"][0]
    assert nic["attributes"]["mac"].startswith("00:50:56:9a") and nic["columns"]["mac"] == "Mac Address"


def test_an_inventory_rerun_changes_nothing(core: Core, tenant: Tenant, export: Export) -> None:
    result = import_file(core.uows, tenant, export.path, rvtools=True)
    _inventory(core, tenant, result)
    before = {n: (a.updated_at, a.field_lineage, a.storage_gb) for n, a in _assets(core, tenant).items()}
    details_before = {
        (d.sheet, d.row_index): (d.asset_id, d.record_id, d.match, d.updated_at)
        for d in _details(core, tenant)
    }
    with core.uow(tenant) as uow:
        again = build_inventory(uow, result.import_id, flow_id=result.flow_id)
        uow.commit()
    assert (again["created"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert again["details"]["changed"] == 0 and again["details"]["assets_changed"] == 0
    assert {
        n: (a.updated_at, a.field_lineage, a.storage_gb) for n, a in _assets(core, tenant).items()
    } == before
    assert {
        (d.sheet, d.row_index): (d.asset_id, d.record_id, d.match, d.updated_at)
        for d in _details(core, tenant)
    } == details_before


def test_not_an_rvtools_export_is_refused_with_what_is_missing(
    core: Core, tenant: Tenant, tmp_path: Path
) -> None:
    sheets = rvtools_export(3)
    plain = write_workbook(tmp_path / "servers.xlsx", {"vInfo": sheets["vInfo"], "Notes": (("Note",), [])})
    with pytest.raises(UserInputError, match="is not an RVTools export") as caught:
        import_file(core.uows, tenant, plain, rvtools=True)
    assert caught.value.file == "servers.xlsx" and "without the RVTools option" in (caught.value.hint or "")
    plain_result = import_file(core.uows, tenant, plain)  # without the option: vInfo only, as before
    assert plain_result.rvtools is None and plain_result.rows == 3


def test_without_the_option_only_vinfo_is_imported(core: Core, tenant: Tenant, export: Export) -> None:
    result = import_file(core.uows, tenant, export.path)
    assert result.sheet == "vInfo" and result.rvtools is None
    assert _details(core, tenant) == []
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, result.import_id)
        assert imp is not None and imp.source_system is None and "rvtools" not in imp.import_metadata


def test_merging_and_splitting_keep_details_with_their_records(
    core: Core, tenant: Tenant, export: Export
) -> None:
    from core.inventory import merge_assets, split_merge

    result = import_file(core.uows, tenant, export.path, rvtools=True)
    _inventory(core, tenant, result)
    assets = _assets(core, tenant)
    a, b = (assets[export.vms[i]["VM"]] for i in (0, 1))
    with core.uow(tenant) as uow:
        merged = merge_assets(uow, a.id, [b.id])
        uow.commit()
    owners = {
        d.asset_id
        for d in _details(core, tenant)
        if d.join_keys.get("vm") in (export.vms[0]["VM"], export.vms[1]["VM"]) and d.match
    }
    assert owners == {a.id}
    with core.uow(tenant) as uow:
        split_merge(uow, uuid.UUID(merged["merge_id"]))
        uow.commit()
    for i, asset in ((0, a), (1, b)):
        mine = {
            d.asset_id
            for d in _details(core, tenant)
            if d.join_keys.get("vm") == export.vms[i]["VM"] and d.match
        }
        assert mine == {asset.id}


def test_a_cancel_while_the_detail_sheets_are_stored_keeps_nothing(
    core: Core, tenant: Tenant, export: Export
) -> None:
    from core.errors import OperationCancelled
    from core.progress import CancelToken, Progress

    token = CancelToken()

    def on_progress(p: Progress) -> None:
        if p.stage == "details":
            token.cancel()

    with pytest.raises(OperationCancelled):
        import_file(core.uows, tenant, export.path, rvtools=True, progress=on_progress, cancel=token)
    assert _details(core, tenant) == []
    with core.uow(tenant) as uow:
        statuses = list(uow.session.scalars(select(DataImport.status)))
    assert statuses == ["failed"]  # the failure record only: no rows, no flow, no details
