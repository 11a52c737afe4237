"""Wave planning's database side: move groups, dependencies and decisions in, stored waves out.

Where it runs: the planning stage of the master flows (`core.flows.master`): it works on the whole
engagement, run by the use cases in `core.actions.planning` (the CLI's `plan waves`, the wave
planner), and each run completes the planning stage of every master flow whose assessment is done.

What it reads:
- move groups (`move_groups` / `move_group_members`, the dependency analysis' answer) — or, when
  none are stored yet, one group per application name (`groups_by_application`, said in the
  plan's notes); assets in no stored group become groups of their own; infrastructure servers
  (`infrastructure_services`, with the consultant's `infrastructure_overrides`) are left out, and
  on request (`leave_out`) so is what the stored 6R assessment retires or retains
  (`without_dispositions`, said in the notes; a locked wave or a manual move keeps its servers);
- dependencies: `asset_dependencies` whose two ends resolved to assets, weighted by observations;
- assets: environment, business criticality, provisioned storage, application names;
- the consultant's decisions in `waves` / `wave_members`: locked waves (members and position)
  and manual placements (`placed_by = manual`, kept as placements of their application).

It calls `core.planning.plan_waves` and stores the plan in the caller's transaction: locked waves
are untouched, the other waves are reused by position (keeping their ids, names and dates) and
their members replaced, waves past the end of the plan removed. `broken_dependencies` recomputes
what the stored plan breaks, live, after any manual move.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Text, case, delete, func, insert, select

from core.changes import OpChanges
from core.db.bulk import insert_rows
from core.db.models import (
    Asset,
    AssetDependency,
    InfrastructureOverride,
    InfrastructureService,
    MoveGroupMember,
    SixRRecommendation,
    Wave,
    WaveMember,
)
from core.db.models import MoveGroup as MoveGroupRow
from core.db.stats import refresh_statistics
from core.errors import UserInputError
from core.planning import (
    BrokenDependency,
    Dependency,
    LockedWave,
    MoveGroup,
    Placement,
    Server,
    WaveCalendar,
    WaveLimits,
    WavePlan,
    plan_waves,
)
from core.progress import CancelToken
from core.uow import UnitOfWork

#: the solver's time limit when the settings name none (`wave_time_limit_s`)
DEFAULT_TIME_LIMIT_S = 10.0
TIME_LIMIT_SETTING = "wave_time_limit_s"
#: the wave size when neither the caller nor an earlier plan gives one
DEFAULT_MAX_SERVERS = 50
FALLBACK_NOTE = (
    "no move groups are stored yet (the dependency analysis has not run): "
    "one group per application name, and dependencies between groups only order the waves"
)


@dataclass
class Estate:
    """What the planner needs of the engagement, read once."""

    servers: dict[str, Server]
    groups: list[MoveGroup]
    dependencies: list[Dependency]
    notes: list[str] = field(default_factory=list)

    def group_of(self) -> dict[str, str]:
        return {s.id: g.id for g in self.groups for s in g.servers}


def _servers(uow: UnitOfWork) -> dict[str, Server]:
    cols = (
        Asset.id,
        Asset.hostname,
        Asset.asset_name,
        Asset.environment,
        Asset.business_criticality,
        Asset.storage_gb,
        Asset.application_name,
    )
    out = {}
    for row in uow.session.execute(select(Asset.id.cast(Text).label("id"), *cols[1:])):
        m = dict(row._mapping)
        out[m["id"]] = Server.from_asset(m)
    return out


def _infrastructure(uow: UnitOfWork) -> set[str]:
    detected = {str(a) for a in uow.session.scalars(select(InfrastructureService.asset_id))}
    for asset_id, is_infra in uow.session.execute(
        select(InfrastructureOverride.asset_id, InfrastructureOverride.is_infrastructure)
    ):
        (detected.add if is_infra else detected.discard)(str(asset_id))
    return detected


def groups_by_application(servers: Iterable[Server]) -> list[MoveGroup]:
    """The fallback while no move groups are stored: servers sharing an application name move
    together (a server of two applications joins them); a server without one is its own group."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members: dict[str, list[Server]] = defaultdict(list)
    for s in servers:
        keys = [f"app:{a.casefold()}" for a in s.applications] or [f"asset:{s.id}"]
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
        members[keys[0]].append(s)
    by_root: dict[str, list[Server]] = defaultdict(list)
    for k, ss in members.items():
        by_root[find(k)].extend(ss)
    groups = []
    for root, ss in sorted(by_root.items()):
        ss.sort(key=lambda s: s.label.casefold())
        apps = sorted({a for s in ss for a in s.applications}, key=str.casefold)
        groups.append(MoveGroup(id=root, name=" + ".join(apps) if apps else ss[0].label, servers=tuple(ss)))
    return groups


def load_estate(uow: UnitOfWork) -> Estate:
    """Servers (infrastructure left out), move groups (stored, or the fallback) and dependencies."""
    servers = _servers(uow)
    for sid in _infrastructure(uow):
        servers.pop(sid, None)
    notes: list[str] = []
    stored = uow.session.execute(
        select(MoveGroupRow.key, MoveGroupRow.name, MoveGroupMember.asset_id).join(
            MoveGroupMember, MoveGroupMember.move_group_id == MoveGroupRow.id
        )
    ).all()
    if stored:
        by_key: dict[str, tuple[str, list[Server]]] = {}
        placed: set[str] = set()
        for key, name, asset_id in stored:
            s = servers.get(str(asset_id))
            if s is not None:
                by_key.setdefault(key, (name, []))[1].append(s)
                placed.add(s.id)
        groups = [MoveGroup(k, n, tuple(ss)) for k, (n, ss) in sorted(by_key.items())]
        rest = [s for sid, s in servers.items() if sid not in placed]
        if rest:
            notes.append(
                f"{len(rest)} asset(s) are in no stored move group (imported after the dependency "
                "analysis?): grouped by application name until it runs again"
            )
            groups += groups_by_application(rest)
    else:
        groups = groups_by_application(servers.values())
        if servers:
            notes.append(FALLBACK_NOTE)
    # one dependency per server pair (its connections' observations summed, a zero count as one),
    # ids as text from the server: 200,000 connections are read in a fraction of a second
    d = AssetDependency
    weight = func.sum(case((d.observation_count > 0, d.observation_count), else_=1))
    deps = [
        Dependency(a, b, float(n))
        for a, b, n in uow.session.execute(
            select(d.source_asset_id.cast(Text), d.target_asset_id.cast(Text), weight)
            .where(d.source_asset_id.is_not(None), d.target_asset_id.is_not(None))
            .group_by(d.source_asset_id, d.target_asset_id)
        )
        if a in servers and b in servers
    ]
    if not deps and servers:
        notes.append("no dependency between two known assets is stored: waves ordered by risk only")
    return Estate(servers, groups, deps, notes)


def _stored_waves(uow: UnitOfWork) -> list[Wave]:
    return list(uow.session.scalars(select(Wave).order_by(Wave.ordinal)))


def _members(uow: UnitOfWork) -> list[WaveMember]:
    return list(uow.session.scalars(select(WaveMember).order_by(WaveMember.placed_at, WaveMember.id)))


def decisions(uow: UnitOfWork, estate: Estate) -> tuple[list[LockedWave], list[Placement]]:
    """Locked waves and manual placements as the planner takes them (oldest placement first)."""
    waves = _stored_waves(uow)
    members = _members(uow)
    by_wave: dict[uuid.UUID, list[str]] = defaultdict(list)
    for m in members:
        by_wave[m.wave_id].append(str(m.asset_id))
    locked = [
        LockedWave(w.ordinal, tuple(by_wave[w.id]), w.name, w.start_date, w.end_date)
        for w in waves
        if w.locked
    ]
    ordinal = {w.id: w.ordinal for w in waves if not w.locked}
    group_of = estate.group_of()
    placements: list[Placement] = []
    seen: set[tuple[str, int]] = set()
    for m in members:
        if m.placed_by != "manual" or m.wave_id not in ordinal:
            continue
        sid = str(m.asset_id)
        app = m.application
        if app is None and sid in estate.servers and estate.servers[sid].applications:
            app = estate.servers[sid].applications[0]
        key = (f"a:{app.casefold()}" if app else f"g:{group_of.get(sid)}", ordinal[m.wave_id])
        if key in seen or (app is None and sid not in group_of):
            continue
        seen.add(key)
        placements.append(
            Placement(ordinal[m.wave_id], application=app)
            if app
            else Placement(ordinal[m.wave_id], group=group_of[sid])
        )
    return locked, placements


#: 6R dispositions of what does not migrate: a plan may leave these servers out (`leave_out`)
NOT_MIGRATING = ("retire", "retain")


def dispositions_of(uow: UnitOfWork, estate: Estate, wanted: Sequence[str] = NOT_MIGRATING) -> dict[str, str]:
    """Servers the stored 6R assessment gives one of the `wanted` dispositions: `{server id: disposition}`.

    A server of several applications counts only when every one of them has such a disposition; a
    server without an application follows its own recommendation.
    """
    by_app: dict[str, str] = {}
    by_asset: dict[str, str] = {}
    for app, asset_id, disposition in uow.session.execute(
        select(SixRRecommendation.application, SixRRecommendation.asset_id, SixRRecommendation.disposition)
    ):
        if app is not None:
            by_app[app.casefold()] = disposition
        elif asset_id is not None:
            by_asset[str(asset_id)] = disposition
    out: dict[str, str] = {}
    for sid, server in estate.servers.items():
        if server.applications:
            found = [by_app.get(a.casefold()) for a in server.applications]
            if all(d in wanted for d in found):
                out[sid] = str(found[0])
        elif by_asset.get(sid) in wanted:
            out[sid] = by_asset[sid]
    return out


def without_dispositions(
    uow: UnitOfWork,
    estate: Estate,
    locked: list[LockedWave],
    placements: list[Placement],
    leave_out: Sequence[str],
) -> Estate:
    """The estate without the servers the 6R assessment gives a `leave_out` disposition, said in
    its notes. What a consultant put in a locked wave or placed by hand stays: their decision wins
    over the rules (override the disposition to make that explicit)."""
    unknown = sorted(set(leave_out) - set(NOT_MIGRATING))
    if unknown:
        raise UserInputError(
            f"only what does not migrate can be left out of the waves, not {', '.join(unknown)}",
            hint="leave out " + " and/or ".join(NOT_MIGRATING),
        )
    skip = dispositions_of(uow, estate, tuple(leave_out))
    if not skip:
        return estate
    kept = {sid for w in locked for sid in w.servers}
    placed_apps = {p.application.casefold() for p in placements if p.application}
    placed_groups = {p.group for p in placements if p.group}
    group_of = estate.group_of()
    for sid in list(skip):
        apps = {a.casefold() for a in estate.servers[sid].applications}
        if sid in kept or apps & placed_apps or group_of.get(sid) in placed_groups:
            del skip[sid]
    if not skip:
        return estate
    servers = {sid: s for sid, s in estate.servers.items() if sid not in skip}
    groups = [
        MoveGroup(g.id, g.name, kept_servers)
        for g in estate.groups
        if (kept_servers := tuple(s for s in g.servers if s.id in servers))
    ]
    deps = [d for d in estate.dependencies if d.source in servers and d.target in servers]
    counts = Counter(skip.values())
    said = " and ".join(f"{counts[d]} {d}" for d in NOT_MIGRATING if counts[d])
    note = (
        f"{len(skip)} asset(s) left out of the waves: their 6R disposition is {said} "
        "(plan without leaving them out, or override the disposition, to plan them)"
    )
    return Estate(servers, groups, deps, [*estate.notes, note])


def last_limit(uow: UnitOfWork) -> int | None:
    """The server limit of the stored plan, if any."""
    return uow.session.scalar(select(Wave.max_servers).where(Wave.max_servers.is_not(None)).limit(1))


DEFAULT_WAVE_DAYS = 14
"""Length of a wave when the consultant gives none (two-week migration sprints)."""


def wave_calendar(
    uow: UnitOfWork, start: date | None, wave_days: int | None, *, today: date | None = None
) -> tuple[WaveCalendar, bool]:
    """The calendar a plan is dated by, and whether stored waves are re-dated by it.

    A plan a client signs has dates: a given `start` re-dates every unlocked wave; otherwise the
    stored plan's first wave keeps the calendar (new waves continue it, dated waves keep their
    dates), and a first plan starts on the Monday after `today`.
    """
    days = wave_days or DEFAULT_WAVE_DAYS
    if start is not None:
        return WaveCalendar(start, days), True
    first = uow.session.execute(
        select(Wave.start_date, Wave.end_date)
        .where(Wave.start_date.is_not(None))
        .order_by(Wave.ordinal)
        .limit(1)
    ).first()
    if first is not None:
        length = wave_days or ((first[1] - first[0]).days + 1 if first[1] else days)
        return WaveCalendar(first[0], max(length, 1)), False
    base = today or date.today()
    return WaveCalendar(base + timedelta(days=7 - base.weekday()), days), False


def plan_engagement(
    uow: UnitOfWork,
    *,
    max_servers: int | None = None,
    max_storage_gb: float | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    cancel: CancelToken | None = None,
    start: date | None = None,
    wave_days: int | None = None,
    leave_out: Sequence[str] = (),
) -> tuple[WavePlan, list[str], Estate]:
    """Re-plan the engagement's waves keeping locked waves and manual placements; store the plan.

    Dates come from `wave_calendar` (`start`, `wave_days`). `leave_out` names 6R dispositions
    (of `NOT_MIGRATING`) whose servers are not planned; by default every server is (the contract:
    every non-infrastructure asset in exactly one wave). Never commits. Returns the planner's
    plan, the notes (fallback groups, missing data) and the estate it read (for `stored_plan`).
    """
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("wave planning needs a tenant unit of work")
    estate = full = load_estate(uow)
    if not estate.servers:
        raise UserInputError(
            "this engagement has no assets to plan", hint="import an inventory and run its flow first"
        )
    limit = max_servers if max_servers is not None else (last_limit(uow) or DEFAULT_MAX_SERVERS)
    locked, placements = decisions(uow, estate)
    if leave_out:
        estate = without_dispositions(uow, estate, locked, placements, leave_out)
        if not estate.servers:
            raise UserInputError(
                f"every asset of this engagement is assessed {' or '.join(leave_out)}: nothing to plan",
                hint="plan without leaving them out, or override the 6R disposition of what moves "
                "(`plan override NAME DISPOSITION --reason ...`)",
            )
    calendar, redate = wave_calendar(uow, start, wave_days)
    plan = plan_waves(
        estate.groups,
        estate.dependencies,
        WaveLimits(limit, max_storage_gb),
        locked=locked,
        placements=placements,
        time_limit_s=time_limit_s,
        cancel=cancel,
        calendar=calendar,
    )
    _store(uow, plan, estate, redate=redate)
    return plan, [*estate.notes, *plan.warnings], full


def _store(uow: UnitOfWork, plan: WavePlan, estate: Estate, *, redate: bool = False) -> None:
    tenant = uow.tenant
    assert tenant is not None
    s = uow.session
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    stored = _stored_waves(uow)
    by_ordinal = {w.ordinal: w for w in stored}
    manual = {str(m.asset_id): m for m in _members(uow) if m.placed_by == "manual"}
    unlocked = [w.id for w in stored if not w.locked]
    if unlocked:
        s.execute(delete(WaveMember).where(WaveMember.wave_id.in_(unlocked)))
    orders = {w.order for w in plan.waves}
    for w in stored:
        if not w.locked and w.ordinal not in orders:
            s.delete(w)
    s.flush()
    rows = []
    for pw in plan.waves:
        row = by_ordinal.get(pw.order)
        if row is not None and row.locked:
            continue
        if row is None:
            row = Wave(
                id=uuid.uuid4(), name=pw.name, ordinal=pw.order, start_date=pw.start, end_date=pw.end, **scope
            )
            s.add(row)
        row.max_servers = plan.limits.max_servers
        row.max_storage_gb = plan.limits.max_storage_gb
        if redate or row.start_date is None:  # a wave dated by hand keeps its dates on a re-plan
            row.start_date, row.end_date = pw.start, pw.end
        for sid in pw.servers:
            before = manual.get(sid)
            server = estate.servers[sid]
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "wave_id": row.id,
                    "asset_id": uuid.UUID(sid),
                    "application": server.applications[0] if server.applications else None,
                    "placed_by": "manual" if before is not None else "planner",
                    "moved_by": before.moved_by if before is not None else None,
                    **scope,
                }
            )
    s.flush()
    placed = {r["asset_id"] for r in rows}
    if placed:  # a member of a locked wave the planner also placed elsewhere cannot happen; be safe
        s.execute(delete(WaveMember).where(WaveMember.asset_id.in_(placed)))
    insert_rows(s, WaveMember, rows)  # it batches
    refresh_statistics(s, "wave_members")
    uow.note(OpChanges(analysis=True, count=len(rows)))


# --------------------------------------------------------------------------- the plan as stored


@dataclass(frozen=True)
class WaveRow:
    """A stored wave as read (plain values, usable after its unit of work is closed)."""

    id: uuid.UUID
    ordinal: int
    name: str
    start_date: Any
    end_date: Any
    locked: bool
    max_servers: int | None

    @classmethod
    def of(cls, w: Wave) -> WaveRow:
        return cls(w.id, w.ordinal, w.name, w.start_date, w.end_date, w.locked, w.max_servers)


@dataclass
class StoredPlan:
    """The stored waves (by position), who is where, and what that breaks."""

    waves: list[WaveRow]
    members: dict[uuid.UUID, list[str]]
    """wave id → server ids"""
    estate: Estate
    broken: list[BrokenDependency]
    unplaced: list[str]
    """labels of servers in no wave that should be in one (re-planning places them)"""
    left_out: dict[str, str] = field(default_factory=dict)
    """labels of servers in no wave because the 6R assessment retires or retains them → disposition"""

    def to_contract(self) -> dict[str, Any]:
        """The `plan waves` JSON shape (../shared/contracts/cli.md)."""
        servers = self.estate.servers
        out = []
        for w in self.waves:
            ids = sorted(self.members.get(w.id, []), key=lambda i: (servers[i].label.casefold(), i))
            out.append(
                {
                    "name": w.name,
                    "order": w.ordinal,
                    "start": w.start_date.isoformat() if w.start_date else None,
                    "end": w.end_date.isoformat() if w.end_date else None,
                    "locked": w.locked,
                    "applications": sorted(
                        {a for i in ids for a in servers[i].applications}, key=str.casefold
                    ),
                    "assets": [servers[i].label for i in ids],
                }
            )
        limit = next((w.max_servers for w in self.waves if w.max_servers is not None), None)
        return {
            "waves": out,
            "broken_dependencies": [b.to_contract() for b in self.broken],
            "max_servers": limit,
        }


def stored_plan(uow: UnitOfWork, estate: Estate | None = None) -> StoredPlan:
    """The stored plan with its broken dependencies recomputed from what is stored now; `estate`
    when the caller has just loaded it in this transaction (reading it again costs seconds)."""
    estate = estate if estate is not None else load_estate(uow)
    waves = [WaveRow.of(w) for w in _stored_waves(uow)]
    members: dict[uuid.UUID, list[str]] = defaultdict(list)
    wave_of: dict[str, WaveRow] = {}
    by_id = {w.id: w for w in waves}
    for m in _members(uow):
        sid = str(m.asset_id)
        if sid in estate.servers:
            members[m.wave_id].append(sid)
            wave_of[sid] = by_id[m.wave_id]
    skipped = dispositions_of(uow, estate)
    missing = [s for s in estate.servers if s not in wave_of]
    unplaced = sorted(estate.servers[s].label for s in missing if s not in skipped)
    left_out = {estate.servers[s].label: skipped[s] for s in sorted(missing) if s in skipped}
    broken = broken_dependencies(estate, {s: (w.ordinal, w.name) for s, w in wave_of.items()})
    return StoredPlan(waves, dict(members), estate, broken, unplaced, left_out)


def broken_dependencies(estate: Estate, wave_of: dict[str, tuple[int, str]]) -> list[BrokenDependency]:
    """What an assignment (server id → (order, wave name)) breaks: a dependency moving after its
    dependent (`order`, once per server pair whatever its ports), and a move group in several waves
    (`split`: its connected pairs across waves, or one pair per boundary when no known connection
    crosses it)."""
    servers = estate.servers
    group_of = estate.group_of()
    names = {g.id: g.name for g in estate.groups}
    label = {sid: s.label for sid, s in servers.items()}
    out: list[BrokenDependency] = []
    crossing: set[str] = set()
    seen: set[tuple[str, str]] = set()
    late_pairs: dict[tuple[str, str], BrokenDependency] = {}
    for d in estate.dependencies:
        a, b = d.source, d.target
        if a == b or a not in wave_of or b not in wave_of or wave_of[a][0] == wave_of[b][0]:
            continue
        (oa, na), (ob, nb) = wave_of[a], wave_of[b]
        late = oa < ob
        if group_of.get(a) == group_of.get(b):
            pair = (min(a, b), max(a, b))
            if pair in seen:
                continue
            seen.add(pair)
            crossing.add(group_of[a])
            reason = f"{label[a]} and {label[b]} are in move group {names[group_of[a]]!r}, in different waves"
            if late:
                reason += f"; {label[b]}, which {label[a]} depends on, moves later"
            out.append(BrokenDependency(label[a], label[b], na, nb, "split", reason, d.weight))
        elif late:  # one entry per server pair: its connections (ports) add their weights
            known = late_pairs.get((a, b))
            late_pairs[(a, b)] = BrokenDependency(
                label[a],
                label[b],
                na,
                nb,
                "order",
                f"{label[a]} depends on {label[b]}, which moves later ({nb} after {na})",
                d.weight + (known.weight if known is not None else 0.0),
            )
    out.extend(late_pairs.values())
    for g in estate.groups:
        if g.id in crossing:
            continue
        parts: dict[int, list[str]] = defaultdict(list)
        for s in g.servers:
            if s.id in wave_of:
                parts[wave_of[s.id][0]].append(s.id)
        if len(parts) < 2:
            continue
        firsts = [sorted(parts[o], key=lambda i: label[i])[0] for o in sorted(parts)]
        for left, right in itertools.pairwise(firsts):
            out.append(
                BrokenDependency(
                    label[left],
                    label[right],
                    wave_of[left][1],
                    wave_of[right][1],
                    "split",
                    f"move group {g.name!r} is in several waves; no known connection crosses the split",
                    0.0,
                )
            )
    out.sort(key=lambda x: (x.kind, x.source, x.target))
    return out


# --------------------------------------------------------------------------- consultant's edits


def wave_by_id(uow: UnitOfWork, wave_id: uuid.UUID) -> Wave:
    wave = uow.session.get(Wave, wave_id)
    if wave is None:
        raise UserInputError(f"no wave {wave_id} in this engagement", hint="plan the waves first")
    return wave


def servers_of(estate: Estate, application: str) -> tuple[str | None, list[str]]:
    """The application's servers (its name as the inventory spells it), or one asset without one."""
    key = application.strip().casefold()
    ids = [sid for sid, s in estate.servers.items() if any(a.casefold() == key for a in s.applications)]
    if ids:
        spelled = next(a for a in estate.servers[ids[0]].applications if a.casefold() == key)
        return spelled, ids
    for sid, s in estate.servers.items():
        if key in {sid, (s.name or "").casefold()} and not s.applications:
            return None, [sid]
    raise UserInputError(
        f"no application (or asset without one) is called {application!r} in the plan",
        hint="use an application name as `plan waves` lists it",
    )


def place(
    uow: UnitOfWork, application: str | None, server_ids: Sequence[str], wave: Wave | WaveRow
) -> list[BrokenDependency]:
    """Pin these servers to `wave` by hand; returns the broken dependencies the move adds."""
    tenant = uow.tenant
    assert tenant is not None
    if wave.locked:
        raise UserInputError(f"wave {wave.name!r} is locked", hint="unlock it first, or pick another wave")
    before = stored_plan(uow)
    locked_ids = {w.id for w in before.waves if w.locked}
    for wid, ids in before.members.items():
        if wid in locked_ids and set(ids) & set(server_ids):
            name = next(w.name for w in before.waves if w.id == wid)
            raise UserInputError(
                f"{application or before.estate.servers[server_ids[0]].label!r} is in locked wave {name!r}",
                hint="unlock that wave first",
            )
    s = uow.session
    asset_ids = [uuid.UUID(i) for i in server_ids]
    s.execute(delete(WaveMember).where(WaveMember.asset_id.in_(asset_ids)))
    s.execute(
        insert(WaveMember),
        [
            {
                "id": uuid.uuid4(),
                "wave_id": wave.id,
                "asset_id": a,
                "application": application,
                "placed_by": "manual",
                "moved_by": tenant.user_id,
                "client_account_id": tenant.client_account_id,
                "engagement_id": tenant.engagement_id,
            }
            for a in asset_ids
        ],
    )
    s.flush()
    uow.note(OpChanges(analysis=True, count=len(asset_ids)))
    old = {(b.source, b.target, b.kind) for b in before.broken}
    return [b for b in stored_plan(uow).broken if (b.source, b.target, b.kind) not in old]
