"""The wave planner on a real small estate: plan, drop an application, lock, re-plan, export.

Why through the real code: the estate is written into the tables the planner reads
(tests/analysis/planning_estate.py), the screen's buttons call the core use cases through the task
manager, and the drop goes through `QListWidget.dropEvent` → `WaveList.dropMimeData`, the path a
real drag ends in. Also renders tests/output/17_waves.png at 1360x840 to be looked at.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from analysis.planning_estate import add_estate  # tests/analysis: the same small estate
from openpyxl import load_workbook
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QInputDialog
from pytestqt.qtbot import QtBot

from core import tenancy
from core.actions import planning
from core.bootstrap import Core
from core.queries.waves import wave_plan
from core.uow import Tenant
from desktop_app.main_window import MainWindow
from desktop_app.screens.registry import Selection
from desktop_app.screens.waves.dialogs import WaveDatesDialog
from desktop_app.screens.waves.screen import (
    BROKEN_MARK,
    LOCKED_TEXT,
    MIME_TYPE,
    NO_PLAN,
    WaveList,
    WavesScreen,
)
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

SIZE = (1360, 840)


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


def _open(qtbot: QtBot, window: MainWindow, ref: tenancy.EngagementRef) -> WavesScreen:
    window.navigate(
        "waves", Selection(ref.client_account_id, ref.client_name, ref.engagement_id, ref.engagement_name)
    )
    screen = window.current_screen()
    assert isinstance(screen, WavesScreen)
    qtbot.waitUntil(lambda: screen.board is not None and not screen.loading, timeout=10_000)
    screen.time_limit_s = 2.0
    return screen


def _settled(qtbot: QtBot, tasks: TaskManager, screen: WavesScreen) -> None:
    qtbot.waitUntil(lambda: tasks.is_idle() and not screen.busy and not screen.loading, timeout=20_000)


def _where(screen: WavesScreen) -> dict[str, str]:
    """application (or asset) name → the wave whose column lists it."""
    return {name: col.wave["name"] for col in screen.columns for name in col.list.names()}


def _drop(target: WaveList, name: str) -> None:
    """What the end of a drag does: a drop event carrying the application's name on the list."""
    data = QMimeData()
    data.setData(MIME_TYPE, name.encode("utf-8"))
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target.dropEvent(event)


def test_plan_drop_breaks_a_dependency_lock_and_replan(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    tenant: Tenant,
    engagement: tenancy.EngagementRef,
    output_dir: Path,
    tmp_path: Path,
) -> None:
    add_estate(core, tenant)
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    # no plan yet: the empty state names the button
    assert screen.empty.isVisible() and screen.empty.text().startswith(NO_PLAN[:40])
    assert "“Plan waves”" in screen.empty.text() and screen.plan_button.text() == "Plan waves"
    assert not screen.export_button.isEnabled()

    screen.max_servers.setValue(3)
    screen.plan_button.click()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: bool(screen.columns), timeout=10_000)
    assert screen.plan_button.text() == "Re-plan" and screen.export_button.isEnabled()
    where = _where(screen)
    assert set(where) == {"CRM", "lone01", "Reports", "Shop", "ShopDB"}
    assert all("/ 3 servers" in c.count_label.text() for c in screen.columns)
    assert screen.broken_summary.text().startswith("✔ No broken dependencies")

    # drop Reports (depends on db01 of ShopDB) into the first wave: a dependency breaks
    first = min(screen.columns, key=lambda c: c.wave["order"])
    assert first.wave["name"] != where["ShopDB"]
    _drop(first.list, "Reports")
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: _where(screen).get("Reports") == first.wave["name"], timeout=10_000)
    assert screen.last_moved and screen.last_moved[0]["from"] == "rpt01"
    col = screen.column(first.wave["name"])
    item = next(
        col.list.item(r)
        for r in range(col.list.count())
        if col.list.item(r).data(Qt.ItemDataRole.UserRole + 1) == "Reports"
    )
    assert item.text().startswith(BROKEN_MARK) and "broken: rpt01 needs db01" in item.text()
    assert item.background().color().alpha() > 0  # coloured as well as marked
    assert screen.broken_summary.text().startswith(f"{BROKEN_MARK} 1 broken dependency")
    assert screen.broken_list.count() == 1 and "rpt01" in screen.broken_list.item(0).text()
    assert "db01" in screen.broken_list.item(0).text()
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    assert window.grab().save(str(output_dir / "17_waves.png"))

    # move it back next to its database: nothing broken any more
    _drop(screen.column(where["ShopDB"]).list, "Reports")
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: screen.broken_summary.text().startswith("✔"), timeout=10_000)

    # lock the wave holding CRM, re-plan with another limit: that wave is unchanged
    crm_wave = _where(screen)["CRM"]
    before = sorted(screen.column(crm_wave).list.names())
    screen.column(crm_wave).lock_button.click()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: screen.column(crm_wave).wave["locked"], timeout=10_000)
    locked = screen.column(crm_wave)
    assert locked.lock_button.text() == LOCKED_TEXT and not locked.list.acceptDrops()
    screen.max_servers.setValue(4)
    screen.plan_button.click()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: screen.column(crm_wave).wave["locked"], timeout=10_000)
    assert sorted(screen.column(crm_wave).list.names()) == before
    stored = next(w for w in wave_plan(core.uows, tenant)["waves"] if w["name"] == crm_wave)
    assert stored["locked"] and {"crm01", "crm02"} <= set(stored["assets"])
    assert set(_where(screen)) == {"CRM", "lone01", "Reports", "Shop", "ShopDB"}

    # a drop on the locked wave does nothing
    moves = dict(_where(screen))
    _drop(screen.column(crm_wave).list, "lone01")
    _settled(qtbot, tasks, screen)
    assert _where(screen) == moves

    # export (the dialog's fileSelected goes to export_to)
    out = tmp_path / "waves.xlsx"
    screen.export_to(out)
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: out.exists(), timeout=10_000)
    assert screen.last_export["rows"] == 7


def _planned(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    tenant: Tenant,
    ref: tenancy.EngagementRef,
) -> WavesScreen:
    """The small estate planned in waves of at most 3 servers, shown on the board."""
    add_estate(core, tenant)
    window = _window(qtbot, tasks, store, ref)
    screen = _open(qtbot, window, ref)
    screen.max_servers.setValue(3)
    screen.plan_button.click()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: bool(screen.columns), timeout=10_000)
    return screen


def _stored(core: Core, tenant: Tenant, order: int) -> dict[str, object]:
    return next(w for w in wave_plan(core.uows, tenant)["waves"] if w["order"] == order)


def test_rename_and_date_a_wave_and_refuse_an_end_before_its_start(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    tenant: Tenant,
    engagement: tenancy.EngagementRef,
) -> None:
    screen = _planned(qtbot, tasks, store, core, tenant, engagement)
    first = min(screen.columns, key=lambda c: c.wave["order"])
    wave_id, order, old = first.wave["id"], first.wave["order"], first.wave["name"]
    apps = sorted(first.list.names())

    # a double-click on the column's title opens the rename dialog on the current name
    qtbot.mouseDClick(first.name_label, Qt.MouseButton.LeftButton)
    dialog = screen.rename_dialog
    assert isinstance(dialog, QInputDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert dialog.textValue() == old
    dialog.setTextValue("  Cutover weekend  ")
    dialog.accept()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: any(c.wave["name"] == "Cutover weekend" for c in screen.columns), timeout=10_000)
    col = screen.column("Cutover weekend")
    assert col.name_label.text() == f"{order}. Cutover weekend"
    assert sorted(col.list.names()) == apps
    assert _stored(core, tenant, order)["name"] == "Cutover weekend"
    assert "Renamed" in screen.notice.text() and screen.notice.isVisible()

    # dates through the wave's menu and its dialog
    planned = _stored(core, tenant, order)  # the planner proposes dates; the dialog opens on them
    col.dates_action.trigger()
    dates = screen.dates_dialog
    assert isinstance(dates, WaveDatesDialog)
    qtbot.waitUntil(dates.isVisible, timeout=5_000)
    assert dates.start.value() == (dt.date.fromisoformat(str(planned["start"])) if planned["start"] else None)
    assert dates.end.value() == (dt.date.fromisoformat(str(planned["end"])) if planned["end"] else None)
    dates.start.set_value(dt.date(2027, 3, 6))
    dates.end.set_value(dt.date(2027, 3, 7))
    assert dates.start.edit.isEnabled() and dates.end.value() == dt.date(2027, 3, 7)
    dates.accept()
    _settled(qtbot, tasks, screen)
    shown = "06 Mar 2027 → 07 Mar 2027"
    qtbot.waitUntil(lambda: screen.column("Cutover weekend").dates_label.text() == shown, timeout=10_000)
    stored = _stored(core, tenant, order)
    assert (stored["start"], stored["end"]) == ("2027-03-06", "2027-03-07")

    # an end before the start: the core's refusal is shown, nothing is stored
    messages: list[str] = []
    screen.status_message.connect(messages.append)
    screen.set_dates(wave_id, dt.date(2027, 4, 10), dt.date(2027, 4, 1))
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(
        lambda: screen.notice.isVisible() and "before it starts" in screen.notice.text(), timeout=10_000
    )
    assert screen.notice.text().startswith(BROKEN_MARK) and "swap the dates" in screen.notice.text()
    assert any("before it starts" in m for m in messages)
    stored = _stored(core, tenant, order)
    assert (stored["start"], stored["end"]) == ("2027-03-06", "2027-03-07")
    assert screen.column("Cutover weekend").dates_label.text() == shown

    # "no date" on the end clears it and keeps the start
    dates = screen.choose_dates(wave_id)
    qtbot.waitUntil(dates.isVisible, timeout=5_000)
    dates.end.none.setChecked(True)
    assert not dates.end.edit.isEnabled() and dates.end.value() is None
    dates.accept()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(
        lambda: screen.column("Cutover weekend").dates_label.text() == "06 Mar 2027 → no date", timeout=10_000
    )
    assert not screen.notice.text().startswith(BROKEN_MARK)
    assert _stored(core, tenant, order)["end"] is None


def test_apply_an_edited_export_moves_the_application_and_names_a_bad_cell(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    tenant: Tenant,
    engagement: tenancy.EngagementRef,
    tmp_path: Path,
) -> None:
    screen = _planned(qtbot, tasks, store, core, tenant, engagement)
    assert screen.apply_button.isEnabled()
    before = _where(screen)
    target = next(c.wave["name"] for c in screen.columns if c.wave["name"] != before["lone01"])
    path = tmp_path / "waves.xlsx"
    planning.export_waves(core.uows, tenant, path)
    wb = load_workbook(path)
    ws = wb["Waves"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("Asset")].value == "lone01":
            row[header.index("Wave")].value = target
    wb.save(path)

    # the button's dialog hands the chosen file to apply_from
    screen.apply_button.click()
    dialog = screen.apply_dialog
    assert isinstance(dialog, QFileDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert any("*.xlsx" in f and "*.csv" in f for f in dialog.nameFilters())
    dialog.fileSelected.emit(str(path))  # what choosing the file and pressing Open ends in
    dialog.reject()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: _where(screen).get("lone01") == target, timeout=10_000)
    assert {k: v for k, v in _where(screen).items() if k != "lone01"} == {
        k: v for k, v in before.items() if k != "lone01"
    }
    assert screen.last_applied is not None
    assert [m["assets"] for m in screen.last_applied["moved"]] == [["lone01"]]
    assert screen.notice.text() == (
        f"Applied waves.xlsx: moved 1 application (lone01 → {target}); nothing broken"
    )
    assert _wave_of_asset(core, tenant, "lone01") == target

    # a CSV naming a wave that does not exist: file, row and column are shown, nothing moves
    bad = tmp_path / "waves.csv"
    planning.export_waves(core.uows, tenant, bad)
    lines = bad.read_text(encoding="utf-8-sig").splitlines()
    rest = lines[1].split(",", 1)[1]
    lines[1] = ",".join(['"Wave 99"', rest])
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    screen.apply_from(bad)
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: screen.notice.text().startswith(BROKEN_MARK), timeout=10_000)
    text = screen.notice.text()
    assert f"file {bad}" in text and "row 2" in text and "column 'Wave'" in text and "'Wave 99'" in text
    assert _where(screen).get("lone01") == target
    assert _wave_of_asset(core, tenant, "lone01") == target


def _wave_of_asset(core: Core, tenant: Tenant, asset: str) -> str:
    return next(w["name"] for w in wave_plan(core.uows, tenant)["waves"] if asset in w["assets"])


def test_leave_out_what_the_assessment_retires(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    tenant: Tenant,
    engagement: tenancy.EngagementRef,
) -> None:
    """Ticked, the plan leaves out the retired application and the subtitle says why; unticked, it is back."""
    from analysis.planning_estate import SMALL

    retired = [*SMALL, ("old01", "Legacy", "production", "low", 10.0, {"power_state": "poweredOff"})]
    add_estate(core, tenant, retired)
    recs = planning.run_sixr(core.uows, tenant).value["recommendations"]
    assert next(r for r in recs if r["application"] == "Legacy")["disposition"] == "retire"
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    screen.max_servers.setValue(3)
    screen.leave_out.setChecked(True)
    screen.plan_button.click()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: bool(screen.columns), timeout=10_000)
    assert "Legacy" not in _where(screen)
    assert "1 servers left out by the 6R assessment (1 retire)" in screen.subtitle.text()
    screen.leave_out.setChecked(False)
    screen.plan_button.click()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: "Legacy" in _where(screen), timeout=10_000)
    assert "left out" not in screen.subtitle.text()


def test_a_replan_shows_the_solver_against_greedy_and_the_cut(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    core: Core,
    tenant: Tenant,
    engagement: tenancy.EngagementRef,
    output_dir: Path,
) -> None:
    """The plan's figures are not stored with it: the line appears after a plan run, from its result.
    Also renders tests/output/17_waves_summary.png to be looked at."""
    from core.db.models import MoveGroup, MoveGroupMember

    ids = add_estate(core, tenant)
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    with core.uow(tenant) as uow:  # one stored move group of 4 servers: split in waves of 3
        g = MoveGroup(id=uuid.uuid4(), key="g1", name="Shop estate", **scope)
        uow.session.add(g)
        uow.session.flush()
        for host in ("web01", "web02", "db01", "rpt01"):
            uow.session.add(MoveGroupMember(move_group_id=g.id, asset_id=ids[host], **scope))
        uow.commit()
    window = _window(qtbot, tasks, store, engagement)
    screen = _open(qtbot, window, engagement)
    assert not screen.plan_summary.isVisible()
    screen.max_servers.setValue(3)
    screen.plan_button.click()
    _settled(qtbot, tasks, screen)
    qtbot.waitUntil(lambda: bool(screen.columns) and screen.plan_summary.isVisible(), timeout=10_000)
    text = screen.plan_summary.text()
    assert text.startswith("Last plan: greedy objective ") and "→" in text and "% better" in text
    assert "solver " in text and text.endswith("1 group split, 1 link cut: Shop estate (1)")
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    assert window.grab().save(str(output_dir / "17_waves_summary.png"))

    screen.refresh()  # a read of the board keeps the last run's line
    _settled(qtbot, tasks, screen)
    assert screen.plan_summary.isVisible() and screen.plan_summary.text() == text


def test_a_card_names_its_first_broken_dependencies_and_counts_the_rest() -> None:
    from desktop_app.screens.waves.screen import BROKEN_SHOWN, _broken_line

    why = [f"web{i:02d} needs db01 (Wave 3)" for i in range(12)]
    line = _broken_line(why)
    assert line == "; ".join(why[:BROKEN_SHOWN]) + f"; … and {12 - BROKEN_SHOWN} more"
    assert _broken_line(why[:2]) == "; ".join(why[:2])
