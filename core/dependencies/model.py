"""Plain data in and out of the dependency analysis: no database, no Qt.

The engine takes what the inventory and the connection import already know — servers with their
application names and environment, and connections aggregated per source, target, port and
protocol — so it can be run on any estate (from the database, a benchmark generator or a test)
and its answer compared with a truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Server:
    """One server of the estate, as the inventory knows it."""

    id: str
    hostname: str
    applications: tuple[str, ...] = ()
    environment: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A connection end that is not a server (external IP, IPv6, unknown host): kept, never grouped."""

    address: str


@dataclass(frozen=True, slots=True)
class Connection:
    """Observations of `source` talking to `target` on `port`/`protocol` (a server id or an `Endpoint`)."""

    source: str | Endpoint
    target: str | Endpoint
    port: int | None = None
    protocol: str | None = None
    count: int = 1


@dataclass(frozen=True, slots=True)
class Override:
    """The consultant's decision on one server: infrastructure (`True`) or not (`False`), with a reason."""

    server_id: str
    infrastructure: bool
    reason: str = ""


DetectionSource = Literal["port", "fan", "override"]


@dataclass(frozen=True, slots=True)
class InfrastructureService:
    """A server set aside as infrastructure: excluded from move groups, with why."""

    server_id: str
    hostname: str
    category: str
    source: DetectionSource
    reasons: tuple[str, ...]
    peers: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "server_id": self.server_id,
            "hostname": self.hostname,
            "category": self.category,
            "source": self.source,
            "reasons": list(self.reasons),
            "peers": self.peers,
        }


@dataclass(frozen=True, slots=True)
class MoveGroup:
    """Servers that must move together, its name, and the links that hold it together."""

    id: str
    name: str
    server_ids: tuple[str, ...]
    hostnames: tuple[str, ...]
    applications: tuple[str, ...]
    environments: tuple[str, ...]
    reasons: tuple[str, ...]
    internal_connections: int
    unresolved_connections: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "applications": list(self.applications),
            "assets": list(self.hostnames),
            "server_ids": list(self.server_ids),
            "environments": list(self.environments),
            "reasons": list(self.reasons),
            "internal_connections": self.internal_connections,
            "unresolved_connections": self.unresolved_connections,
        }


@dataclass(frozen=True, slots=True)
class GroupLink:
    """Traffic from one move group to another (`source` depends on `target`): what wave order respects."""

    source: str
    target: str
    connections: int
    observations: int
    weak: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "connections": self.connections,
            "observations": self.observations,
            "weak": self.weak,
        }


@dataclass(frozen=True, slots=True)
class UnresolvedSummary:
    """Connection ends that are not servers of the estate: counted, so the report says what was left out."""

    endpoints: int
    connections: int
    observations: int
    top: tuple[tuple[str, int], ...] = ()  # the busiest endpoints with their connection counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoints": self.endpoints,
            "connections": self.connections,
            "observations": self.observations,
            "top": [{"endpoint": e, "connections": n} for e, n in self.top],
        }


@dataclass(frozen=True)
class DependencyAnalysis:
    """The engine's answer: infrastructure services, move groups, links between groups, what it ignored."""

    infrastructure: tuple[InfrastructureService, ...]
    groups: tuple[MoveGroup, ...]
    group_links: tuple[GroupLink, ...]
    unresolved: UnresolvedSummary
    stats: Mapping[str, int | float]
    notes: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def group_of(self) -> dict[str, str]:
        """Server id → move group id (infrastructure servers are in no group)."""
        return {sid: g.id for g in self.groups for sid in g.server_ids}

    def to_dict(self) -> dict[str, Any]:
        """The shape of `analysis groups --json` (docs: shared contract), plus the reasons and figures."""
        return {
            "groups": [g.to_dict() for g in self.groups],
            "infrastructure": [i.hostname for i in self.infrastructure],
            "infrastructure_services": [i.to_dict() for i in self.infrastructure],
            "unresolved_endpoints": self.unresolved.endpoints,
            "unresolved": self.unresolved.to_dict(),
            "group_links": [link.to_dict() for link in self.group_links],
            "stats": dict(self.stats),
            "notes": list(self.notes),
            "settings": dict(self.settings),
        }
