"""Background work of the dependency screen: one core read per refresh, one per group, one write.

Why here: the screen names one call per user action; these run in the task manager's pools and
return plain values. The list's "strongest links" text is composed here (in the worker), so the
GUI thread only hands ready rows to the table model, even with thousands of groups. The estate
overview's layout (igraph, see layout.py) is computed here too, never in the paint path.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from core.actions.analysis import clear_infrastructure_override, set_infrastructure_override
from core.actions.outcome import Outcome
from core.analysis.dependencies import NO_DATA_NOTE
from core.bootstrap import Core
from core.queries import dependencies
from core.queries.group_links import group_links, group_overview_links
from desktop_app.screens.dependencies.layout import OverviewLayout, overview_layout
from desktop_app.screens.registry import Selection
from desktop_app.tenancy import tenant_of

STRONGEST = 3


@dataclass(frozen=True)
class DependencyData:
    """Stored groups (with link summaries), infrastructure rows, unresolved ends, connection count;
    and the overview's aggregated edges (group pairs and group-infrastructure links, from SQL) with
    the positions of its bubbles."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    infrastructure: list[dict[str, Any]] = field(default_factory=list)
    unresolved: int = 0
    connections: int = 0
    pairs: list[dict[str, Any]] = field(default_factory=list)
    infrastructure_links: dict[str, dict[str, Any]] = field(default_factory=dict)
    layout: OverviewLayout = field(default_factory=OverviewLayout)

    @property
    def analysed(self) -> bool:
        return bool(self.groups or self.infrastructure)

    @property
    def note(self) -> str | None:
        """The core's note when the estate has no dependency data at all."""
        return NO_DATA_NOTE if self.connections == 0 else None


def _link_text(links: dict[str, int], names: dict[str, str]) -> str:
    top = sorted(links.items(), key=lambda kv: (-kv[1], names.get(kv[0], "")))[:STRONGEST]
    return " · ".join(f"{names.get(g, '?')} ({n:,})" for g, n in top)


def load(core: Core, selection: Selection) -> DependencyData:
    tenant = tenant_of(core, selection)
    groups = dependencies.stored_groups(core.uows, tenant)
    linked = group_links(core.uows, tenant)
    overview = group_overview_links(core.uows, tenant)
    names = {g["id"]: g["name"] for g in groups}
    empty = {"groups": {}, "infrastructure": 0, "external": 0}
    for g in groups:
        link = linked["links"].get(g["id"], empty)
        g["links"] = link
        g["strongest"] = _link_text(link["groups"], names)
        g["search"] = " ".join(
            [g["name"], *g["applications"], *(m["hostname"] for m in g["assets"])]
        ).casefold()
    return DependencyData(
        groups=groups,
        infrastructure=dependencies.stored_infrastructure(core.uows, tenant),
        unresolved=dependencies.unresolved_count(core.uows, tenant),
        connections=linked["connections"],
        pairs=overview["pairs"],
        infrastructure_links=overview["infrastructure"],
        layout=overview_layout(groups, overview["pairs"], overview["infrastructure"]),
    )


def connections_of(core: Core, selection: Selection, group_id: uuid.UUID) -> list[dict[str, Any]]:
    """One group's connections (busiest first), read when the group is selected."""
    return dependencies.group_connections(core.uows, tenant_of(core, selection), group_id)


def set_infrastructure(
    core: Core, selection: Selection, asset_id: uuid.UUID, *, infrastructure: bool, reason: str
) -> Outcome[dict[str, Any]]:
    """The consultant's decision (treat as infrastructure or keep in the groups); regroups."""
    return set_infrastructure_override(
        core.uows, tenant_of(core, selection), asset_id, is_infrastructure=infrastructure, reason=reason
    )


def clear_infrastructure(core: Core, selection: Selection, asset_id: uuid.UUID) -> Outcome[dict[str, Any]]:
    """Forget the decision: detection decides again; regroups."""
    return clear_infrastructure_override(core.uows, tenant_of(core, selection), asset_id)
