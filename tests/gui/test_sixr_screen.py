"""The 6R board on a real small estate: dispositions, reasons, an override that survives a re-run.

Why through the real phases: the board shows what `run_sixr` stored, and its EOL rule reads the
findings the tech-debt phase stored; the import runs through `run_flow` to the inventory and the
tech-debt phase by `run_one_phase` (as tests/gui/test_techdebt_screen.py). The assessment itself
is run from the board's button. Also renders tests/output/16_sixr.png at 1360x840 to be looked at.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from inventory.builders import make_import  # tests/inventory: the same import set-up
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from core import tenancy
from core.bootstrap import Core
from core.flows import save_flow_state
from core.flows.store import load_flow
from core.pipeline import run_flow, run_one_phase
from core.uow import Tenant
from desktop_app.main_window import MainWindow
from desktop_app.screens.registry import Selection
from desktop_app.screens.sixr.model import tooltip
from desktop_app.screens.sixr.screen import NOT_RUN, SixRScreen
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

AS_OF = dt.date(2026, 12, 2)
SIZE = (1360, 840)


def _assessed_estate(core: Core, tenant: Tenant) -> None:
    made = make_import(
        core, tenant, "servers.csv",
        ["Host", "App", "OS", "Power"],
        [
            ["web01", "Shop", "Microsoft Windows Server 2008 R2 (64-bit)", "poweredOn"],
            ["web02", "Shop", "Ubuntu 24.04 LTS", "poweredOn"],
            ["sun01", "Ledger", "SunOS 5.10", "poweredOn"],
            ["off01", "", "Windows Server 2019", "poweredOff"],
            ["lone01", "", "Ubuntu 24.04 LTS", "poweredOn"],
        ],
        {"Host": "hostname", "App": "application_name", "OS": "operating_system", "Power": "power_state"},
    )  # fmt: skip
    run_flow(core.uows, tenant, made.flow_id, through="asset_inventory")
    with core.uow(tenant) as uow:  # a fixed assessment date, so EOL findings do not drift
        flow = load_flow(uow, made.flow_id)
        state = {**flow.flow_state, "tech_debt_as_of": AS_OF.isoformat()}
        save_flow_state(uow, made.flow_id, flow.version, {"flow_state": state})
        uow.commit()
    run_one_phase(core.uows, tenant, made.flow_id, "tech_debt_assessment")


def _open(qtbot: QtBot, tasks: TaskManager, store: SettingsStore, ref: tenancy.EngagementRef) -> SixRScreen:
    window = MainWindow(tasks, store)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitUntil(lambda: window._ready_emitted, timeout=10_000)
    key = f"e:{ref.engagement_id}"
    qtbot.waitUntil(lambda: window.sidebar.model_.find_key(key).isValid(), timeout=10_000)
    window.sidebar.select_key(key)
    sel = Selection(ref.client_account_id, ref.client_name, ref.engagement_id, ref.engagement_name)
    window.navigate("sixr", sel)
    screen = window.current_screen()
    assert isinstance(screen, SixRScreen)
    qtbot.waitUntil(lambda: screen.data is not None and not screen.loading, timeout=10_000)
    return screen


def _settled(screen: SixRScreen, tasks: TaskManager) -> bool:
    return not screen.busy and not screen.loading and tasks.is_idle()


def test_board_override_survives_rerun_and_clears(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    tenant: Tenant,
    engagement: tenancy.EngagementRef,
    output_dir: Path,
) -> None:
    _assessed_estate(core, tenant)
    screen = _open(qtbot, tasks, store, engagement)
    # not assessed yet: the empty state names the button and the command
    assert screen.empty.isVisible() and screen.empty.text() == NOT_RUN
    assert "plan sixr" in NOT_RUN and screen.rerun_button.text() == "Run assessment"

    screen.rerun_button.click()
    qtbot.waitUntil(lambda: bool(screen.recommendations()) and _settled(screen, tasks), timeout=15_000)
    assert screen.splitter.isVisible() and not screen.empty.isVisible()
    columns = {d: col.labels() for d, col in screen.columns.items()}
    assert "Shop" in columns["replatform"]  # web01 runs an EOL OS
    assert "off01" in columns["retire"]  # powered off
    assert "Ledger" in columns["retain"]  # Solaris
    assert "lone01" in columns["rehost"]
    assert all(col.header.text().endswith(f"·  {col.count}") for col in screen.columns.values())
    assert sum(col.count for col in screen.columns.values()) == 4
    shop = screen.find("Shop")
    assert shop is not None and sorted(shop["assets"]) == ["web01", "web02"]
    assert any("end of support" in r for r in shop["reasons"]) and "end of support" in tooltip(shop)
    assert screen.select(shop["target"]) and "web02" in screen.detail.toPlainText()
    assert "end of support" in screen.detail.toPlainText()

    # override lone01 with a reason, in the non-blocking dialog
    lone = screen.find("lone01")
    assert lone is not None and screen.select(lone["target"])
    dialog = screen.open_override()
    assert dialog is not None and not dialog.isModal() and dialog.isVisible()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # a reason is required
    dialog.disposition.setCurrentIndex(dialog.disposition.findData("retire"))
    dialog.reason.setPlainText("decommissioned in March per the app owner")
    assert ok.isEnabled()
    ok.click()

    def overridden() -> bool:
        rec = screen.find("lone01")
        return rec is not None and rec["override"] is not None and _settled(screen, tasks)

    qtbot.waitUntil(overridden, timeout=15_000)
    assert "lone01" in screen.columns["retire"].labels() and "lone01" not in screen.columns["rehost"].labels()
    text = screen.detail.toPlainText()
    assert "Overridden to retire by" in text and "decommissioned in March" in text
    assert screen.clear_button.isEnabled()

    # the override survives "Re-run assessment"
    before = screen.data["computed_at"] if screen.data else None
    screen.rerun_button.click()
    qtbot.waitUntil(
        lambda: screen.data is not None and screen.data["computed_at"] != before and _settled(screen, tasks),
        timeout=15_000,
    )
    rec = screen.find("lone01")
    assert (
        rec is not None and rec["disposition"] == "retire" and rec["override"]["reason"].startswith("decom")
    )
    assert "lone01" in screen.columns["retire"].labels()
    screen.select(shop["target"])
    qtbot.waitUntil(lambda: tasks.is_idle(), timeout=10_000)
    assert screen.window().grab().save(str(output_dir / "16_sixr.png"))

    # clear the override: the rules decide again
    assert screen.select(rec["target"]) and screen.clear_button.isEnabled()
    screen.clear_button.click()
    qtbot.waitUntil(
        lambda: (
            (r := screen.find("lone01")) is not None and r["override"] is None and _settled(screen, tasks)
        ),
        timeout=15_000,
    )
    assert "lone01" in screen.columns["rehost"].labels()
