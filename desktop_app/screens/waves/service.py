"""Background work of the wave planner: one core read or one core use case per user action.

Why functions here: the screen names what it runs and gets plain values back; each write is one
`core.actions.planning` use case, whose `Outcome` carries what changed (the task manager
broadcasts it). A move names the wave by id, as the board read it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from core.actions import planning
from core.actions.outcome import Outcome
from core.bootstrap import Core
from core.queries import waves
from desktop_app.screens.registry import Selection
from desktop_app.tenancy import tenant_of


def load(core: Core, selection: Selection) -> dict[str, Any]:
    """The board (`core.queries.waves.wave_board`)."""
    return waves.wave_board(core.uows, tenant_of(core, selection))


def move(core: Core, selection: Selection, application: str, wave_id: uuid.UUID) -> Outcome[Any]:
    """Move an application by hand; the value is the broken dependencies the move adds."""
    return planning.move_application(core.uows, tenant_of(core, selection), application, wave_id)


def set_locked(core: Core, selection: Selection, wave_id: uuid.UUID, locked: bool) -> Outcome[Any]:
    tenant = tenant_of(core, selection)
    if locked:
        return planning.lock_wave(core.uows, tenant, wave_id)
    return planning.unlock_wave(core.uows, tenant, wave_id)


def replan(
    core: Core,
    selection: Selection,
    max_servers: int,
    time_limit_s: float | None = None,
    leave_out: tuple[str, ...] = (),
) -> Outcome[Any]:
    """Plan again (locked waves and manual moves are kept by the core); `leave_out`: 6R
    dispositions whose servers are not planned."""
    extra: dict[str, Any] = {} if time_limit_s is None else {"time_limit_s": time_limit_s}
    return planning.plan_waves(
        core.uows, tenant_of(core, selection), max_servers=max_servers, leave_out=leave_out, **extra
    )


def export(core: Core, selection: Selection, path: str | Path) -> Outcome[Any]:
    """Write the plan to XLSX or CSV (by suffix); the value says how many rows."""
    return planning.export_waves(core.uows, tenant_of(core, selection), path)


def rename(core: Core, selection: Selection, wave_id: uuid.UUID, name: str) -> Outcome[Any]:
    """Give a wave another name (the core refuses an empty one)."""
    return planning.rename_wave(core.uows, tenant_of(core, selection), wave_id, name)


def set_dates(
    core: Core, selection: Selection, wave_id: uuid.UUID, start: dt.date | None, end: dt.date | None
) -> Outcome[Any]:
    """Set or clear a wave's start and end (the core refuses an end before the start)."""
    return planning.date_wave(core.uows, tenant_of(core, selection), wave_id, start, end)


def apply_sheet(core: Core, selection: Selection, path: str | Path) -> Outcome[Any]:
    """Apply an edited export: the value lists the applications moved and the broken dependencies."""
    return planning.apply_wave_sheet(core.uows, tenant_of(core, selection), path)
