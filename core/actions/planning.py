"""Assessment and planning use cases: the 6R assessment, overrides, the wave plan and its edits.

Each opens one unit of work, calls `core.analysis.sixr` / `core.analysis.waves` (which never
commit), commits — or rolls back on any error, so a refused edit writes nothing — and returns an
`Outcome`. The 6R assessment and the wave plan are the assessment and planning stages of the master
flows: they work on the whole engagement, and each run completes its stage of every master flow
whose earlier stage is complete (`core.flows.master.complete_stage`, in the same transaction).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from core.actions.outcome import Outcome
from core.analysis import sixr, waves
from core.changes import OpChanges
from core.errors import UserInputError
from core.export.waves import ID_COLUMN, WAVE_COLUMN, read_wave_sheet, write_wave_sheet
from core.flows import master
from core.planning.model import GroupSplit
from core.progress import CancelToken
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory


def run_sixr(
    uows: UnitOfWorkFactory, tenant: Tenant, *, as_of: dt.date | None = None
) -> Outcome[dict[str, Any]]:
    """Assess every application (and asset without one); stored; the value is the `plan sixr` shape."""
    with uows(tenant) as uow:
        result = sixr.assess_sixr(uow, as_of=as_of)
        stage = _assessed(uow, result)
        uow.commit()
    return Outcome({**sixr.contract(result), "stage": stage}, uow.committed_changes)


def _assessed(uow: UnitOfWork, result: sixr.SixRResult) -> dict[str, Any]:
    """Record the assessment stage of the master flows (counts by disposition as its summary)."""
    by = dict(sorted(Counter(r.disposition for r in result.recommendations).items()))
    return master.complete_stage(uow, "assessment", {"recommendations": len(result.recommendations), **by})


def override_disposition(
    uows: UnitOfWorkFactory, tenant: Tenant, application_or_asset: str, disposition: str, reason: str
) -> Outcome[dict[str, Any]]:
    """The consultant's disposition (who, when, why recorded; kept on every re-run), then re-assess.

    The value is the recommendation of that application or asset as it now stands.
    """
    with uows(tenant) as uow:
        application, asset_id = sixr.set_override(uow, application_or_asset, disposition, reason)
        result = sixr.assess_sixr(uow)
        _assessed(uow, result)
        uow.commit()
    return Outcome(_recommendation(result, application, asset_id), uow.committed_changes)


def clear_override(
    uows: UnitOfWorkFactory, tenant: Tenant, application_or_asset: str
) -> Outcome[dict[str, Any]]:
    """Forget an override (the rules decide again); refused when there is none."""
    with uows(tenant) as uow:
        application, asset_id = sixr.resolve_target(uow, application_or_asset)
        if not sixr.remove_override(uow, application_or_asset):
            raise UserInputError(f"{application_or_asset!r} has no override to clear")
        result = sixr.assess_sixr(uow)
        _assessed(uow, result)
        uow.commit()
    return Outcome(_recommendation(result, application, asset_id), uow.committed_changes)


def _recommendation(result: Any, application: str | None, asset_id: uuid.UUID | None) -> dict[str, Any]:
    for rec in result.recommendations:
        if (application is not None and rec.application == application) or (
            application is None and rec.application is None and rec.asset_ids[0] == str(asset_id)
        ):
            return rec.to_contract()
    return {}


def plan_waves(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    *,
    max_servers: int | None = None,
    max_storage_gb: float | None = None,
    time_limit_s: float = waves.DEFAULT_TIME_LIMIT_S,
    cancel: CancelToken | None = None,
    start: dt.date | None = None,
    wave_days: int | None = None,
    leave_out: tuple[str, ...] = (),
) -> Outcome[dict[str, Any]]:
    """(Re-)plan the waves keeping locked waves and manual moves; the value is the `plan waves` shape
    plus `notes` (fallback groups, missing data), `stats` (the planner's figures), `splits` (the move
    groups split, with the links cut), `summary` (`plan_summary`: greedy → final objective, the
    solver, the cut) and `stage`. `start` and `wave_days` date the waves (see
    `core.analysis.waves.wave_calendar`); `leave_out` names 6R dispositions (retire, retain) whose
    servers are not planned."""
    with uows(tenant) as uow:
        plan, notes, estate = waves.plan_engagement(
            uow,
            max_servers=max_servers,
            max_storage_gb=max_storage_gb,
            time_limit_s=time_limit_s,
            cancel=cancel,
            start=start,
            wave_days=wave_days,
            leave_out=leave_out,
        )
        stored = waves.stored_plan(uow, estate)
        summary = {"waves": len(stored.waves), "assets": sum(len(m) for m in stored.members.values())}
        stage = master.complete_stage(uow, "planning", summary)
        uow.commit()
    splits = [_split(sp) for sp in plan.splits]
    value = {
        **stored.to_contract(),
        "notes": notes,
        "stats": plan.stats,
        "splits": splits,
        "summary": plan_summary(plan.stats, splits),
        "stage": stage,
    }
    return Outcome(value, uow.committed_changes)


def _split(sp: GroupSplit) -> dict[str, Any]:
    """A split move group as plain values: which group, why, the parts' sizes and the links cut."""
    return {
        "group": sp.name,
        "cause": sp.cause,
        "parts": [len(part) for part in sp.parts],
        "links_cut": sp.cut_edges,
        "cut_weight": round(float(sp.cut_weight), 3),
    }


def _number(x: Any) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def plan_summary(stats: dict[str, Any], splits: list[dict[str, Any]]) -> str:
    """One line saying what the solver did to the greedy plan, and what splitting groups cut.

    Why in the core: the CLI's text output and the wave planner show the same line, from the plan's
    own figures (a smaller objective is better; the improvement is relative to the greedy plan). The
    solver's plan is taken when it breaks less dependency weight, or as little at a lower objective:
    then the objective may rise, and the line says why."""
    greedy = stats.get("greedy") or {}
    final = stats.get("final") or {}
    solver = stats.get("solver") or {}
    parts = []
    gain = float(stats.get("improvement_pct") or 0.0)
    if "objective" in greedy and "objective" in final:
        how = f"{gain:.2f} % better" if gain >= 0 else f"{-gain:.2f} % higher"
        before, after = _number(greedy["objective"]), _number(final["objective"])
        parts.append(f"greedy objective {before} → {after} ({how})")
    if greedy.get("broken_weight") != final.get("broken_weight"):
        # fewer broken dependencies come first, even at a higher objective
        parts.append(
            f"broken dependency weight {_number(greedy.get('broken_weight') or 0)} → "
            f"{_number(final.get('broken_weight') or 0)}"
            + (" (fewer broken dependencies are worth the higher objective)" if gain < 0 else "")
        )
    status = str(solver.get("status", "not run"))
    if status == "not run":
        parts.append("solver not run")
    else:
        limit = solver.get("time_limit_s")
        of = f" of {float(limit):.1f} s" if limit is not None else ""
        kept = "" if solver.get("taken", True) else ", greedy plan kept"
        parts.append(f"solver {status} in {float(solver.get('seconds') or 0.0):.1f} s{of}{kept}")
    cut = sum(int(sp["links_cut"]) for sp in splits)
    parts.append(
        f"{len(splits)} group{'' if len(splits) == 1 else 's'} split, "
        f"{cut} link{'' if cut == 1 else 's'} cut"
        + (": " + ", ".join(f"{sp['group']} ({sp['links_cut']})" for sp in splits[:5]) if splits else "")
        + (f" and {len(splits) - 5} more" if len(splits) > 5 else "")
    )
    return "; ".join(parts)


def move_application(
    uows: UnitOfWorkFactory, tenant: Tenant, application: str, wave_id: uuid.UUID
) -> Outcome[list[dict[str, Any]]]:
    """Move an application (or an asset without one) to a wave by hand; re-planning keeps it there.

    The value is the broken dependencies the move causes (contract shape; empty when none).
    """
    with uows(tenant) as uow:
        estate = waves.load_estate(uow)
        spelled, ids = waves.servers_of(estate, application)
        added = waves.place(uow, spelled, ids, waves.wave_by_id(uow, wave_id))
        uow.commit()
    return Outcome([b.to_contract() for b in added], uow.committed_changes)


def _edit_wave(
    uows: UnitOfWorkFactory, tenant: Tenant, wave_id: uuid.UUID, **values: Any
) -> Outcome[dict[str, Any]]:
    with uows(tenant) as uow:
        wave = waves.wave_by_id(uow, wave_id)
        for k, v in values.items():
            setattr(wave, k, v)
        uow.session.flush()
        uow.note(OpChanges(analysis=True, count=1))
        value = {"id": str(wave.id), "name": wave.name, "order": wave.ordinal, "locked": wave.locked}
        uow.commit()
    return Outcome(value, uow.committed_changes)


def lock_wave(uows: UnitOfWorkFactory, tenant: Tenant, wave_id: uuid.UUID) -> Outcome[dict[str, Any]]:
    """Lock a wave: re-planning keeps its members and position."""
    return _edit_wave(uows, tenant, wave_id, locked=True)


def unlock_wave(uows: UnitOfWorkFactory, tenant: Tenant, wave_id: uuid.UUID) -> Outcome[dict[str, Any]]:
    return _edit_wave(uows, tenant, wave_id, locked=False)


def rename_wave(
    uows: UnitOfWorkFactory, tenant: Tenant, wave_id: uuid.UUID, name: str
) -> Outcome[dict[str, Any]]:
    if not name.strip():
        raise UserInputError("a wave needs a name")
    return _edit_wave(uows, tenant, wave_id, name=name.strip())


def date_wave(
    uows: UnitOfWorkFactory, tenant: Tenant, wave_id: uuid.UUID, start: dt.date | None, end: dt.date | None
) -> Outcome[dict[str, Any]]:
    """Set (or clear) a wave's start and end dates."""
    if start is not None and end is not None and end < start:
        raise UserInputError(f"the wave ends ({end}) before it starts ({start})", hint="swap the dates")
    return _edit_wave(uows, tenant, wave_id, start_date=start, end_date=end)


def export_waves(uows: UnitOfWorkFactory, tenant: Tenant, out: str | Path) -> Outcome[dict[str, Any]]:
    """Write the stored plan to XLSX or CSV (by the file's suffix), one row per asset with its Wave."""
    with uows(tenant) as uow:
        plan = waves.stored_plan(uow)
    if not plan.waves:
        raise UserInputError("there is no wave plan to export", hint="run `plan waves` first")
    return Outcome(write_wave_sheet(plan, out))


def apply_wave_sheet(uows: UnitOfWorkFactory, tenant: Tenant, path: str | Path) -> Outcome[dict[str, Any]]:
    """Apply an edited export: every application whose Wave changed is moved there by hand.

    Refuses (writing nothing) an unknown wave or asset, rows of one application that disagree, or a
    move into or out of a locked wave, naming file, row and column. The value is
    `{"moved": [{"application", "assets", "from", "to"}], "broken_dependencies": [...]}`.
    """
    file = str(path)
    sheet, rows = read_wave_sheet(path)
    where = {"file": file, "sheet": sheet or None}
    with uows(tenant) as uow:
        plan = waves.stored_plan(uow)
        by_name = {w.name.casefold(): w for w in plan.waves}
        current = {sid: w for w in plan.waves for sid in plan.members.get(w.id, [])}
        servers = plan.estate.servers
        wanted: dict[str, tuple[Any, int]] = {}  # unit → (wave, first row)
        units: dict[str, tuple[str | None, list[str]]] = {}
        for r in rows:
            if r.asset_id not in servers:
                raise UserInputError(
                    f"unknown asset {r.asset_id!r}", column=ID_COLUMN, row=r.row, **where,
                    hint="keep the Asset ID column as `plan export` wrote it",
                )  # fmt: skip
            wave = by_name.get(r.wave.casefold())
            if wave is None:
                raise UserInputError(
                    f"unknown wave {r.wave!r}", column=WAVE_COLUMN, row=r.row, **where,
                    hint="use one of " + ", ".join(repr(w.name) for w in plan.waves),
                )  # fmt: skip
            s = servers[r.asset_id]
            app = s.applications[0] if s.applications else None
            key = f"a:{app.casefold()}" if app else f"s:{r.asset_id}"
            if key in wanted and wanted[key][0].id != wave.id:
                raise UserInputError(
                    f"application {app!r} is put in {wanted[key][0].name!r} (row {wanted[key][1]}) and in "
                    f"{wave.name!r}", column=WAVE_COLUMN, row=r.row, **where,
                    hint="an application moves whole: give all its rows the same wave",
                )  # fmt: skip
            wanted.setdefault(key, (wave, r.row))
            if current.get(r.asset_id) is None or current[r.asset_id].id != wave.id:
                units.setdefault(key, (app, []))[1].append(r.asset_id)
        moved = []
        added: list[Any] = []
        for key, (app, ids) in units.items():
            wave, row = wanted[key]
            spelled, all_ids = waves.servers_of(plan.estate, app) if app else (None, ids)
            sources = {current[i].name for i in all_ids if i in current}
            if wave.locked or any(current[i].locked for i in all_ids if i in current):
                raise UserInputError(
                    f"{app or servers[ids[0]].label!r} would move into or out of a locked wave",
                    column=WAVE_COLUMN, row=row, **where, hint="unlock the wave first",
                )  # fmt: skip
            added += waves.place(uow, spelled, all_ids, wave)
            moved.append(
                {
                    "application": spelled,
                    "assets": sorted(servers[i].label for i in all_ids),
                    "from": sorted(sources),
                    "to": wave.name,
                }
            )
        uow.commit()
    by = defaultdict(list)
    for b in added:
        by[(b.source, b.target)].append(b)
    return Outcome(
        {"moved": moved, "broken_dependencies": [v[0].to_contract() for v in by.values()]},
        uow.committed_changes,
    )
