"""The wave planner's plain-data inputs and outputs (no database, no Qt).

Why plain data: the planning phase reads move groups and dependencies from the database, but the
planner itself is a pure function so it can be tested on small graphs, benchmarked at 20,000
servers and re-run on a consultant's edits without a unit of work. Servers are identified by `id`
(an asset id or hostname) and shown by `name` (the hostname, as the CLI contract prints it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.errors import UserInputError

#: separators between application names in one `application_name` cell ("Billing; CRM")
_APP_SPLIT = re.compile(r"[;|\n]+")


def application_names(value: Any) -> tuple[str, ...]:
    """The application names of an `application_name` value (a list, or text split on ; | and new lines)."""
    parts = (
        value if isinstance(value, list | tuple) else _APP_SPLIT.split("" if value is None else str(value))
    )
    out: list[str] = []
    seen: set[str] = set()
    for p in parts:
        name = "" if p is None else str(p).strip()
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return tuple(out)


@dataclass(frozen=True)
class Server:
    """One server of a move group, with what the wave order and the size limit need to know."""

    id: str
    name: str | None = None
    environment: str | None = None
    """`production` (or an alias: prod, prd, live…) or anything else; None is treated as production."""
    criticality: str | None = None
    """low, medium, high, critical (or an alias: tier 1…); None is treated as medium."""
    storage_gb: float = 0.0
    applications: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.name or self.id

    @classmethod
    def from_asset(cls, asset: Mapping[str, Any], *, id_field: str = "id") -> Server:
        """A server from a dict of asset-schema fields (hostname, environment, business_criticality…)."""
        name = asset.get("hostname") or asset.get("asset_name")
        key = asset.get(id_field) or name
        if not key:
            raise UserInputError("an asset has no id, hostname or asset name", hint="every server needs one")
        storage = asset.get("storage_gb")
        return cls(
            id=str(key),
            name=str(name) if name else None,
            environment=asset.get("environment"),
            criticality=asset.get("business_criticality"),
            storage_gb=float(storage) if storage not in (None, "") else 0.0,
            applications=application_names(asset.get("application_name")),
        )


@dataclass(frozen=True)
class MoveGroup:
    """Applications and servers that must move together (the grouping stage's output)."""

    id: str
    name: str
    servers: tuple[Server, ...]

    @property
    def applications(self) -> tuple[str, ...]:
        return tuple(sorted({a for s in self.servers for a in s.applications}))


@dataclass(frozen=True)
class Dependency:
    """`source` depends on `target` (it connects to it), so `target` must move with it or before it.

    Endpoints are server ids. Endpoints in no move group (infrastructure, external endpoints) are
    ignored and counted in the stats; `weight` (e.g. the observation count) says how strong the link
    is when a group must be split.
    """

    source: str
    target: str
    weight: float = 1.0


@dataclass(frozen=True)
class WaveLimits:
    """The size limit of one wave: servers, and optionally provisioned storage."""

    max_servers: int
    max_storage_gb: float | None = None


@dataclass(frozen=True)
class LockedWave:
    """A wave the consultant locked: its members and position are kept on every re-plan."""

    order: int
    servers: tuple[str, ...]
    name: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Placement:
    """A consultant's manual move: an application or a whole move group pinned to wave `wave` (1-based).

    Later placements win over earlier ones for the same servers (the order the consultant made them).
    """

    wave: int
    application: str | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        if (self.application is None) == (self.group is None):
            raise UserInputError(
                "a manual placement names either an application or a move group",
                hint=f"got application={self.application!r}, group={self.group!r}",
            )

    @property
    def label(self) -> str:
        return (
            f"application {self.application!r}" if self.application is not None else f"group {self.group!r}"
        )


@dataclass(frozen=True)
class WaveCalendar:
    """When waves run: the first starts on `start`, each lasts `length_days`, `gap_days` between them."""

    start: date
    length_days: int = 14
    gap_days: int = 0

    def __post_init__(self) -> None:
        if self.length_days < 1 or self.gap_days < 0:
            raise UserInputError(
                "the wave calendar needs a length of at least 1 day and a gap of 0 days or more",
                hint=f"got length {self.length_days}, gap {self.gap_days}",
            )

    def window(self, order: int) -> tuple[date, date]:
        """First and last day of wave `order` (1-based)."""
        first = self.start + timedelta(days=(order - 1) * (self.length_days + self.gap_days))
        return first, first + timedelta(days=self.length_days - 1)


@dataclass(frozen=True)
class Wave:
    """One wave of the plan."""

    order: int
    name: str
    locked: bool
    servers: tuple[str, ...]
    """server ids, sorted by name"""
    names: tuple[str, ...]
    """the servers' display names (hostnames), in the order of `servers`"""
    applications: tuple[str, ...]
    storage_gb: float
    start: date | None = None
    end: date | None = None

    def to_contract(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "order": self.order,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "locked": self.locked,
            "applications": list(self.applications),
            "assets": list(self.names),
        }


@dataclass(frozen=True)
class BrokenDependency:
    """A pair the plan separates: `source` depends on `target` (or, for a split, is connected to it)."""

    source: str
    target: str
    source_wave: str
    target_wave: str
    kind: str
    """`order` (the dependency moves after its dependent) or `split` (one move group in two waves)"""
    reason: str
    weight: float = 1.0

    def to_contract(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "from_wave": self.source_wave,
            "to_wave": self.target_wave,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class GroupSplit:
    """A move group the plan splits into parts, with the links it cut and why."""

    group: str
    name: str
    cause: str
    """`size` (larger than the wave limit), `placement` (a manual move) or `locked` (partly locked)"""
    parts: tuple[tuple[str, ...], ...]
    """server ids of each part"""
    cut_weight: float
    cut_edges: int


@dataclass
class WavePlan:
    """The planner's answer: waves, what they break, how groups were split, and the figures."""

    waves: list[Wave]
    broken: list[BrokenDependency]
    splits: list[GroupSplit]
    limits: WaveLimits
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def wave_of(self) -> dict[str, int]:
        """server id → wave order."""
        return {s: w.order for w in self.waves for s in w.servers}

    def to_contract(self) -> dict[str, Any]:
        """The `plan waves` JSON shape of ../shared/contracts/cli.md."""
        return {
            "waves": [w.to_contract() for w in self.waves],
            "broken_dependencies": [b.to_contract() for b in self.broken],
            "max_servers": self.limits.max_servers,
        }
