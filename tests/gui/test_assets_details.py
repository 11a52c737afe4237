"""The lineage panel's Details section, driven with qtbot over a whole RVTools export.

A real RVTools-shaped workbook is imported with `rvtools=True`, mapped, cleansed and inventoried;
selecting a VM in the asset table shows its disks, partitions (used against provisioned), NICs with
their IPs, snapshots, tools, host and cluster, each naming its sheet and row, with the source
column and raw cell of every value in its tooltip. A VM without disks shows no disk group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pytestqt.qtbot import QtBot

from core.actions import mapping as actions
from core.bootstrap import Core
from core.imports import import_file
from core.pipeline import run_flow
from core.tenancy import EngagementRef
from desktop_app.screens.assets.model import ASSET_ID_ROLE
from desktop_app.screens.assets.screen import AssetsScreen
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager
from tests.mapping.rvtools_sample import Sheet, rvtools_export, write_workbook

from .test_assets_estate import new_engagement

NO_DISK = 5


@dataclass
class Exported:
    engagement: EngagementRef
    sheets: dict[str, Sheet]

    @property
    def selection(self) -> Selection:
        e = self.engagement
        return Selection(e.client_account_id, e.client_name, e.engagement_id, e.engagement_name)

    def vm(self, n: int) -> dict[str, object]:
        return self.sheets["vInfo"][1][n]

    def rows(self, sheet: str, vm: object) -> list[tuple[int, dict[str, object]]]:
        return [(i + 2, r) for i, r in enumerate(self.sheets[sheet][1]) if r.get("VM") == vm]


@pytest.fixture(scope="module")
def exported(core: Core, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    engagement = new_engagement(core, "rvtools")
    tenant = core.tenant_for(engagement)
    sheets = rvtools_export(10, no_disk=NO_DISK)
    path = write_workbook(tmp_path_factory.mktemp("rvtools") / "RVTools_export_all.xlsx", sheets)
    result = import_file(core.uows, tenant, path, rvtools=True)
    actions.finish_flow_mapping(core.uows, tenant, result.flow_id, auto=True)
    run_flow(core.uows, tenant, result.flow_id)
    return Exported(engagement, sheets)


@pytest.fixture
def screen(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, exported: Exported
) -> Iterator[AssetsScreen]:
    widget = AssetsScreen(ScreenContext(tasks=tasks, settings=store, navigate=lambda *_: None))
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    widget.set_selection(exported.selection)
    widget.on_shown()
    qtbot.waitUntil(lambda: widget.model.is_loaded and widget.choices is not None, timeout=10_000)
    yield widget
    qtbot.waitUntil(tasks.is_idle, timeout=20_000)


def _show(qtbot: QtBot, screen: AssetsScreen, name: object) -> None:
    qtbot.keyClicks(screen.filters.search, str(name))
    qtbot.waitUntil(lambda: screen.model.is_loaded and screen.model.rowCount() == 1)
    screen.select_cell(0, "storage_gb")
    asset_id = screen.model.data(screen.model.index(0, 0), ASSET_ID_ROLE)
    panel = screen.lineage
    qtbot.waitUntil(lambda: panel.detail is not None and panel.detail["id"] == str(asset_id), timeout=10_000)


def test_details_section_lists_disks_partitions_nics_snapshots_and_tools(
    qtbot: QtBot, screen: AssetsScreen, exported: Exported
) -> None:
    vm = exported.vm(1)  # powered on, two NICs, snapshots
    _show(qtbot, screen, vm["VM"])
    section = screen.lineage.details
    assert section.isVisible() and section.tree.objectName() == "lineageDetails"
    assert section.kinds() == ["disk", "partition", "nic", "snapshot", "tools", "host", "cluster"]
    disks = exported.rows("vDisk", vm["VM"])
    shown = section.rows("disk")
    assert [(r["Sheet"], r["Row"]) for r in shown] == [("vDisk", str(row)) for row, _ in disks]
    first_row, first = disks[0]
    assert shown[0]["Detail"] == first["Disk"]
    assert f"{round(int(first['Capacity MiB']) / 1024, 1):g} GB" in shown[0]["Value"]
    assert f"sheet vDisk, row {first_row}" in shown[0]["tooltip"]
    assert f"Capacity MiB: {first['Capacity MiB']}" in shown[0]["tooltip"]
    parts = section.rows("partition")
    assert parts and all("used of" in p["Value"] and "provisioned" in p["Value"] for p in parts)
    nics = section.rows("nic")
    assert len(nics) == len(exported.rows("vNetwork", vm["VM"]))
    assert str(vm["Primary IP Address"]) in nics[0]["Value"]
    snaps = section.rows("snapshot")
    assert [s["Detail"] for s in snaps] == [str(s["Name"]) for _, s in exported.rows("vSnapshot", vm["VM"])]
    tools = exported.rows("vTools", vm["VM"])[0][1]
    assert section.rows("tools")[0]["Detail"] == tools["Tools"]
    assert section.rows("host")[0]["Detail"] == vm["Host"] and "cores" in section.rows("host")[0]["Value"]
    assert section.rows("cluster")[0]["Detail"] == vm["Cluster"]
    field = screen.lineage.field_row("storage_gb")  # the summed field names its sheet and column
    assert field["Column"] == "Capacity MiB" and "vDisk" in field["Rule applied"]


def test_a_vm_without_disks_shows_no_disk_group(
    qtbot: QtBot, screen: AssetsScreen, exported: Exported
) -> None:
    vm = exported.vm(NO_DISK)
    _show(qtbot, screen, vm["VM"])
    section = screen.lineage.details
    assert "disk" not in section.kinds() and "partition" not in section.kinds()
    assert "nic" in section.kinds() and "tools" in section.kinds()
    screen.lineage.clear()
    assert not section.isVisible() and section.kinds() == []
