"""Reads of the wave plan: the plan as stored, in the `plan waves` shape, with what it breaks now.

Broken dependencies are recomputed live from the stored members, dependencies and move groups
(`core.analysis.waves.broken_dependencies`), so a manual move shows what it breaks at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from core.analysis.waves import stored_plan
from core.errors import UserInputError
from core.uow import Tenant, UnitOfWorkFactory


def wave_plan(uows: UnitOfWorkFactory, tenant: Tenant) -> dict[str, Any]:
    """`{"waves", "broken_dependencies", "max_servers"}`, plus `notes`, `unplaced` (assets in no wave
    that re-planning places) and `left_out` ({asset: disposition}: retired or retained by the 6R)."""
    with uows(tenant) as uow:
        plan = stored_plan(uow)
    extra = {"notes": plan.estate.notes, "unplaced": plan.unplaced, "left_out": plan.left_out}
    return {**plan.to_contract(), **extra}


def find_wave(uows: UnitOfWorkFactory, tenant: Tenant, name_or_order: str) -> uuid.UUID:
    """The id of the wave a consultant names (its name, case ignored, or its order number)."""
    with uows(tenant) as uow:
        waves = stored_plan(uow).waves
    key = name_or_order.strip()
    for w in waves:
        if w.name.casefold() == key.casefold() or (key.isdigit() and int(key) == w.ordinal):
            return w.id
    raise UserInputError(
        f"no wave is called {name_or_order!r}",
        hint="use a wave's name or order: "
        + (", ".join(f"{w.ordinal} {w.name!r}" for w in waves) or "plan first"),
    )


def wave_board(uows: UnitOfWorkFactory, tenant: Tenant) -> dict[str, Any]:
    """The plan as the wave planner draws it: waves with their ids and their applications' servers.

    Why beside `wave_plan`: the contract shape names waves and assets but not which servers an
    application has nor the wave ids a move needs. Each wave is `{"id", "name", "order", "start",
    "end", "locked", "max_servers", "units"}`; a unit is what moves whole: `{"application"` (None for
    an asset without one), `"name"` (what `move_application` takes), `"assets"` (labels)`}`.
    `broken_dependencies` (contract shape), `notes`, `unplaced` and `left_out` as in `wave_plan`.
    """
    with uows(tenant) as uow:
        plan = stored_plan(uow)
    servers = plan.estate.servers
    out = []
    for w in plan.waves:
        units: dict[str, dict[str, Any]] = {}
        for sid in plan.members.get(w.id, []):
            s = servers[sid]
            app = s.applications[0] if s.applications else None
            key = f"a:{app.casefold()}" if app else f"s:{sid}"
            unit = units.setdefault(key, {"application": app, "name": app or s.label, "assets": []})
            unit["assets"].append(s.label)
        for unit in units.values():
            unit["assets"].sort(key=str.casefold)
        out.append(
            {
                "id": w.id,
                "name": w.name,
                "order": w.ordinal,
                "start": w.start_date,
                "end": w.end_date,
                "locked": w.locked,
                "max_servers": w.max_servers,
                "units": sorted(units.values(), key=lambda u: str(u["name"]).casefold()),
            }
        )
    return {
        "waves": out,
        "broken_dependencies": [b.to_contract() for b in plan.broken],
        "notes": plan.estate.notes,
        "unplaced": plan.unplaced,
        "left_out": plan.left_out,
    }
