"""`import FILE --rvtools`: a whole RVTools export through the CLI, as a real subprocess.

The contract's JSON keeps its keys and gains `rvtools` (version, vCenters, rows per detail sheet);
`map finish --auto` and `flow run` then join the detail rows to the VMs. Without `--rvtools` the
workbook imports vInfo only, as before; a workbook that is not an RVTools export is refused with
exit code 2 and a message naming the file.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import func, select

from core.bootstrap import Core
from core.db.models import Asset, AssetDetail, DataImport
from core.tenancy import EngagementRef
from core.uow import Tenant
from tests.mapping.rvtools_sample import RVTOOLS_VERSION, rvtools_export, write_workbook

from .test_import_cli import cli, output

DETAIL_SHEETS = ("vDisk", "vPartition", "vNetwork", "vSnapshot", "vTools", "vHost", "vCluster")


def test_cli_imports_a_whole_rvtools_export_and_the_flow_joins_its_details(
    core: Core, tenant: Tenant, engagement: EngagementRef, tmp_path: Path
) -> None:
    sheets = rvtools_export(8)
    path = write_workbook(tmp_path / "RVTools_export_all_2024-03-04.xlsx", sheets)
    names = ["--client", engagement.client_name, "--engagement", engagement.engagement_name]
    url = core.db.app_url

    proc = cli("import", str(path), *names, "--rvtools", "--json", database_url=url)
    assert proc.returncode == 0, proc.stderr
    data = output(proc)
    assert data["status"] == "completed" and data["rows"] == 8 and data["sheet"] == "vInfo"
    summary = data["rvtools"]
    assert summary["version"] == RVTOOLS_VERSION
    assert {s["sheet"]: s["rows"] for s in summary["sheets"]} == {s: len(sheets[s][1]) for s in DETAIL_SHEETS}
    import_id = uuid.UUID(data["import_id"])

    finish = cli("map", "finish", data["flow_id"], "--auto", database_url=url)
    assert finish.returncode == 0, finish.stderr
    run = cli("flow", "run", data["flow_id"], "--json", database_url=url)
    assert run.returncode == 0, run.stderr
    assert "asset_inventory" in json.loads(run.stdout)["phases_completed"]
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, import_id)
        assert (
            imp is not None
            and imp.source_system
            and imp.source_system.startswith(f"RVTools {RVTOOLS_VERSION} — ")
        )
        joined = uow.session.scalar(
            select(func.count()).select_from(AssetDetail).where(AssetDetail.asset_id.is_not(None))
        )
        vm_rows = sum(len(sheets[s][1]) for s in DETAIL_SHEETS[:5]) - 2  # the unknown VM's disk and NIC
        assert joined == vm_rows
        with_disks = uow.session.scalar(
            select(func.count())
            .select_from(Asset)
            .where(Asset.field_lineage["storage_gb"]["sheet"].astext == "vDisk")
        )
        assert with_disks == sum(1 for vm in sheets["vInfo"][1] if vm["Disks"] != 0)

    vm = sheets["vInfo"][1][1]
    shown = cli("assets", "show", str(vm["VM"]), *names, "--json", database_url=url)
    assert shown.returncode == 0, shown.stderr
    asset = json.loads(shown.stdout)
    kinds = {d["kind"] for d in asset["details"]}
    assert {"disk", "nic", "tools", "host", "cluster"} <= kinds
    disk = next(d for d in asset["details"] if d["kind"] == "disk")
    assert disk["sheet"] == "vDisk" and disk["columns"]["capacity_mib"] == "Capacity MiB"
    assert asset["fields"]["storage_gb"]["sheet"] == "vDisk"
    listed = cli("assets", "show", str(vm["VM"]), *names, database_url=url)
    assert listed.returncode == 0, listed.stderr
    assert "details (" in listed.stdout and "vDisk row" in listed.stdout
    missing = cli("assets", "show", "no-such-vm", *names, database_url=url)
    assert missing.returncode == 2 and "no asset named 'no-such-vm'" in missing.stderr

    text = cli("import", str(path), *names, "--rvtools", "--allow-duplicate", database_url=url)
    assert text.returncode == 0, text.stderr
    assert f"RVTools {RVTOOLS_VERSION}" in text.stdout and "vDisk:" in text.stdout


def test_cli_without_the_option_imports_vinfo_only_and_refuses_a_non_export(
    core: Core, tenant: Tenant, engagement: EngagementRef, tmp_path: Path
) -> None:
    sheets = rvtools_export(4)
    names = ["--client", engagement.client_name, "--engagement", engagement.engagement_name, "--json"]
    url = core.db.app_url
    whole = write_workbook(tmp_path / "export.xlsx", sheets)
    plain = cli("import", str(whole), *names, database_url=url)
    assert plain.returncode == 0, plain.stderr
    data = output(plain)
    assert data["sheet"] == "vInfo" and "rvtools" not in data
    with core.uow(tenant) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AssetDetail)) == 0

    lone = write_workbook(tmp_path / "vinfo_only.xlsx", {"vInfo": sheets["vInfo"]})
    refused = cli("import", str(lone), *names, "--rvtools", database_url=url)
    assert refused.returncode == 2
    error = json.loads(refused.stderr)
    assert error["file"] == "vinfo_only.xlsx" and "not an RVTools export" in error["error"]
