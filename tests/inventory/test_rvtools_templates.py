"""RVTools' template flag, NIC count, firmware, HW version and configured OS survive into the assets.

Why (issue 12.11): the suggester mapped `Template`, `NICs`, `Firmware`, `HW version` and `OS according
to the configuration file` onto targets cleansing did not keep, so the values were dropped and the
estate's templates were counted as servers. An RVTools-like vInfo CSV goes through the real import,
suggestions, auto-finish, cleansing and inventory.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from core.actions import mapping as actions
from core.bootstrap import Core
from core.db.models import Asset, ImportFieldMapping
from core.imports import import_file
from core.inventory import count_assets
from core.pipeline import run_flow
from core.queries.assets import filter_choices
from core.uow import Tenant
from tests.mapping.rvtools_sample import VINFO_HEADERS, vinfo_columns

ROWS = 21  # every seventh VM of the sample is a template: rows 3, 10 and 17
NOT_TEMPLATES = {"is_template": [False, None]}


def _write_vinfo(path: Path) -> list[dict[str, str]]:
    columns = vinfo_columns(ROWS)
    rows = [{h: values[i] for h, values in columns} for i in range(ROWS)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(VINFO_HEADERS))
        writer.writeheader()
        writer.writerows(rows)
    return rows


@pytest.fixture
def inventoried(core: Core, tenant: Tenant, tmp_path: Path) -> tuple[list[dict[str, str]], dict[str, Asset]]:
    rows = _write_vinfo(tmp_path / "RVTools_export_vInfo.csv")
    imported = import_file(core.uows, tenant, tmp_path / "RVTools_export_vInfo.csv", source_system="RVTools")
    actions.finish_flow_mapping(core.uows, tenant, imported.flow_id, auto=True)
    run_flow(core.uows, tenant, imported.flow_id)
    with core.uow(tenant) as uow:
        targets = dict(
            uow.session.execute(
                select(ImportFieldMapping.source_field, ImportFieldMapping.target_field).where(
                    ImportFieldMapping.data_import_id == imported.import_id,
                    ImportFieldMapping.status == "approved",
                )
            ).all()
        )
        assets = uow.session.scalars(select(Asset)).all()
        uow.session.expunge_all()
    assert {c: targets.get(c) for c in ("Template", "NICs", "Firmware", "HW version")} == {
        "Template": "is_template",
        "NICs": "nic_count",
        "Firmware": "firmware_type",
        "HW version": "vm_hardware_version",
    }
    assert targets.get("OS according to the configuration file") == "os_configured"
    assert targets.get("OS according to the VMware Tools") == "operating_system"
    return rows, {a.asset_name: a for a in assets if a.asset_name}


def test_templates_are_flagged_and_not_counted_as_servers(
    core: Core, tenant: Tenant, inventoried: tuple[list[dict[str, str]], dict[str, Asset]]
) -> None:
    rows, assets = inventoried
    templates = {r["VM"] for r in rows if r["Template"] == "True"}
    assert len(templates) == 3 and len(assets) == ROWS
    assert {name for name, a in assets.items() if a.is_template} == templates
    assert all(assets[name].is_template is False for name in assets.keys() - templates)
    assert {assets[name].asset_type for name in templates} == {"virtual_machine"}
    with core.uow(tenant) as uow:
        assert count_assets(uow) == ROWS
        assert count_assets(uow, NOT_TEMPLATES) == ROWS - 3
    choices = filter_choices(core.uows, tenant, ())
    assert (choices.total, choices.templates, choices.servers) == (ROWS, 3, ROWS - 3)


def test_firmware_nics_and_hardware_version_are_stored(
    inventoried: tuple[list[dict[str, str]], dict[str, Asset]],
) -> None:
    rows, assets = inventoried
    for row in rows:
        asset = assets[row["VM"]]
        assert asset.firmware_type == row["Firmware"] and asset.firmware_type in ("bios", "efi")
        assert asset.nic_count == int(row["NICs"])
        assert asset.vm_hardware_version == row["HW version"]
        assert asset.os_configured == row["OS according to the configuration file"]


def test_os_comes_from_the_configuration_file_when_the_tools_report_none(
    inventoried: tuple[list[dict[str, str]], dict[str, Asset]],
) -> None:
    rows, assets = inventoried
    silent = [r for r in rows if not r["OS according to the VMware Tools"]]
    reported = [r for r in rows if r["OS according to the VMware Tools"]]
    assert silent and reported
    for row in silent:
        asset = assets[row["VM"]]
        assert asset.operating_system == row["OS according to the configuration file"]
        lineage = asset.field_lineage["operating_system"]
        assert lineage["rule"].startswith("derived from os_configured"), lineage
        assert lineage["source_column"] == "OS according to the configuration file"
        assert lineage["raw_value"] == row["OS according to the configuration file"]
        assert asset.os_family in ("windows", "linux")
    for row in reported:  # the guest's own report wins over the configuration
        assert assets[row["VM"]].operating_system == row["OS according to the VMware Tools"]
