"""The tech-debt screen on a real inventory: stored findings, filters, charts, right-sizing, links.

Why through the real phase: the screen shows what `tech_debt_assessment` stored. The import is
run through `run_flow` up to the inventory; the tech-debt phase is then run by `run_one_phase`
(the runner the flow uses) because `dependency_analysis`, which the flow order puts before it,
may have no engine yet (see tests/analysis/test_techdebt_phase.py). Also renders
tests/output/15_techdebt.png at 1360x840 to be looked at.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from inventory.builders import Made, make_import  # tests/inventory: the same import set-up
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core import tenancy
from core.bootstrap import Core
from core.flows import save_flow_state
from core.flows.store import load_flow
from core.pipeline import run_flow, run_one_phase
from core.uow import Tenant
from desktop_app.main_window import MainWindow
from desktop_app.screens.assets.screen import AssetsScreen
from desktop_app.screens.registry import Selection
from desktop_app.screens.techdebt.model import ROW_ROLE
from desktop_app.screens.techdebt.screen import NOT_RUN, TAB_SIZING, TechDebtScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

AS_OF = dt.date(2026, 12, 2)
SIZE = (1360, 840)


def _estate(core: Core, tenant: Tenant) -> Made:
    return make_import(
        core, tenant, "servers.csv",
        ["Host", "OS", "OS version", "DB", "DB version", "CPU peak", "Mem peak"],
        [
            ["web01", "Microsoft Windows Server 2008 R2 (64-bit)", "", "", "", "12", "80"],
            ["web02", "Microsoft Windows Server 2012 R2 Standard", "", "", "", "", ""],
            ["db01", "RHEL", "8", "postgres 12.17", "", "", ""],
            ["db02", "Red Hat Enterprise Linux Server release 6.10 (Santiago)", "",
             "Oracle Database 11g Enterprise Edition Release 11.2.0.4.0", "", "", ""],
            ["app01", "Windows Server 2016", "", "SQL Server", "11.0.7001.0", "", ""],
            ["app02", "Ubuntu 22.04.4 LTS", "", "MySQL", "8.0.36", "95", ""],
            ["app03", "CentOS Linux release 7.9.2009 (Core)", "", "", "", "", ""],
            ["odd01", "FooOS 3000", "", "", "", "", ""],
            ["bare01", "", "", "", "", "", ""],
        ],
        {"Host": "hostname", "OS": "operating_system", "OS version": "os_version", "DB": "database_engine",
         "DB version": "database_version", "CPU peak": "cpu_utilization_peak_pct",
         "Mem peak": "memory_utilization_peak_pct"},
    )  # fmt: skip


def _assessed(core: Core, tenant: Tenant) -> Made:
    made = _estate(core, tenant)
    run_flow(core.uows, tenant, made.flow_id, through="asset_inventory")
    with core.uow(tenant) as uow:  # the consultant fixes the assessment date on the flow
        flow = load_flow(uow, made.flow_id)
        state = {**flow.flow_state, "tech_debt_as_of": AS_OF.isoformat()}
        save_flow_state(uow, made.flow_id, flow.version, {"flow_state": state})
        uow.commit()
    run_one_phase(core.uows, tenant, made.flow_id, "tech_debt_assessment")
    return made


def _selection(ref: tenancy.EngagementRef) -> Selection:
    return Selection(ref.client_account_id, ref.client_name, ref.engagement_id, ref.engagement_name)


def _window(qtbot: QtBot, tasks: TaskManager, store: SettingsStore, ref: tenancy.EngagementRef) -> MainWindow:
    window = MainWindow(tasks, store)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitUntil(lambda: window._ready_emitted, timeout=10_000)
    key = f"e:{ref.engagement_id}"
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(key).isValid(), timeout=10_000)
    window.sidebar.select_key(key)
    return window


def _open(qtbot: QtBot, window: MainWindow, ref: tenancy.EngagementRef) -> TechDebtScreen:
    window.navigate("techdebt", _selection(ref))
    screen = window.current_screen()
    assert isinstance(screen, TechDebtScreen)
    qtbot.waitUntil(lambda: screen.data is not None and not screen.loading, timeout=10_000)
    return screen


def test_findings_counts_filters_charts_and_link_to_the_asset(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    tenant: Tenant,
    engagement: tenancy.EngagementRef,
    output_dir: Path,
) -> None:
    _assessed(core, tenant)
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    assert screen.tabs.isVisible() and not screen.empty.isVisible()

    rows = screen.lifecycle.rows()
    by = {(r["asset"], r["component"]): r for r in rows}
    assert by[("web01", "os")]["status"] == "eol" and "ESU" in (by[("web01", "os")]["note"] or "")
    assert by[("odd01", "os")]["status"] == "unknown"
    counts = {k: chip.count for k, chip in screen.chips.items()}
    assert sum(counts.values()) == len(rows) and counts["eol"] >= 3 and counts["unknown"] == 1
    assert counts == {k: sum(1 for r in rows if r["status"] == k) for k in counts}
    assert "as of 02 Dec 2026" in screen.subtitle.text()

    # sorted by status, most severe first; by end of support on a header click
    first = screen.table.model().index(0, 0).data(ROW_ROLE)
    assert first["status"] == "eol"
    col = screen.lifecycle.column_of("end_of_support")
    screen.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    dates = [r["end_of_support"] for r in screen.lifecycle_proxy.visible_rows() if r["end_of_support"]]
    assert dates == sorted(dates)

    # filters: status, component, text; the charts follow what is shown
    screen.filter_to(status="eol", component="database")
    shown = screen.lifecycle_proxy.visible_rows()
    assert shown and all(r["status"] == "eol" and r["component"] == "database" for r in shown)
    assert sum(b.value for b in screen.family_chart.bars()) == len(shown)
    screen.filter_to(text="santiago")  # matches the OS text the product was read from
    assert {r["asset"] for r in screen.lifecycle_proxy.visible_rows()} == {"db02"}
    screen.filter_to()
    assert screen.lifecycle_proxy.rowCount() == len(rows)
    years = {b.label: b.value for b in screen.year_chart.bars()}
    assert years["2020"] >= 1 and years["No date known"] == 1 and sum(years.values()) == len(rows)
    families = {b.label for b in screen.family_chart.bars()}
    assert "OS · Not recognised" in families

    # right-sizing in its own tab
    screen.tabs.setCurrentIndex(TAB_SIZING)
    sizing = {(r["asset"], r["component"]): r["status"] for r in screen.sizing.rows()}
    assert sizing[("web01", "cpu")] == "downsize"
    screen.tabs.setCurrentIndex(0)

    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    assert window.grab().save(str(output_dir / "15_techdebt.png"))

    # activating a finding opens the asset in the Assets screen, current
    web = next(r for r in screen.lifecycle_proxy.visible_rows() if r["asset"] == "web01")
    screen.show_asset(uuid.UUID(web["asset_id"]), web["asset"])
    assets = window.current_screen()
    assert isinstance(assets, AssetsScreen)
    qtbot.waitUntil(lambda: assets.model.is_loaded and assets.model.total == 1, timeout=10_000)
    qtbot.waitUntil(lambda: assets.view.current_asset_id() == uuid.UUID(web["asset_id"]), timeout=10_000)


def test_empty_state_before_the_phase_has_run(
    qtbot: QtBot, tasks: TaskManager, store: SettingsStore, core: Core, tenant: Tenant,
    engagement: tenancy.EngagementRef,
) -> None:  # fmt: skip
    made = _estate(core, tenant)
    run_flow(core.uows, tenant, made.flow_id, through="asset_inventory")
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    assert screen.empty.isVisible() and screen.empty.text() == NOT_RUN
    assert not screen.tabs.isVisible()
    # running the phase (a write broadcasting analysis changes) fills the screen
    run_one_phase(core.uows, tenant, made.flow_id, "tech_debt_assessment")
    screen.refresh()
    qtbot.waitUntil(lambda: screen.tabs.isVisible(), timeout=10_000)
