"""The dependency_analysis phase: the engagement's assets and connections through `core.dependencies`.

Engagement-wide like tech debt: whichever flow runs it analyses every asset and every stored
connection of the engagement, applies the consultant's infrastructure overrides (kept across runs),
and replaces the detected `infrastructure_services` and the `move_groups` / `move_group_members`
as a whole in the caller's transaction — a re-run leaves one set, a cancelled or failed run keeps
the previous one. First, stored external endpoints that now match an asset are linked to it
(`core.analysis.connections.relink_external_endpoints`): the inventory that names them is often
imported after the connections, and its flow runs this phase. With no connection data the groups
come from application names only, and the summary says so. The summary is also kept on the flow
(`dependencies`, the phase's artefact).

`analyse_engagement` is also what a consultant's override re-runs (`core.actions.analysis`).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import delete, select, text

from core.analysis.connections import relink_external_endpoints
from core.changes import OpChanges, ids
from core.db.bulk import insert_rows
from core.db.models import Asset, InfrastructureOverride, InfrastructureService, MoveGroup, MoveGroupMember
from core.db.stats import refresh_statistics
from core.dependencies import Connection, DependencyAnalysis, Endpoint, Override, Server, analyse
from core.flows import save_flow_state
from core.flows.store import load_flow
from core.progress import CancelToken, ProgressFn, ProgressReporter
from core.uow import UnitOfWork

PHASE = "dependency_analysis"
CANCELLED = "cancelled by the user; nothing of this run was kept"
NO_DATA_NOTE = (
    "no dependency data: no connection export has been imported for this engagement, so move groups "
    "come from application names only (import one with `import FILE --kind connections`)"
)
_APP_SPLIT = re.compile(r"\s*[;|\n]\s*")


def _applications(value: str | None) -> tuple[str, ...]:
    if not value or not value.strip():
        return ()
    return tuple(a for a in _APP_SPLIT.split(value.strip()) if a)


def load_servers(uow: UnitOfWork) -> list[Server]:
    """Every asset of the engagement as the engine's `Server` (id, display name, applications, env)."""
    rows = uow.session.execute(
        select(
            Asset.id, Asset.hostname, Asset.asset_name, Asset.fqdn, Asset.application_name, Asset.environment
        )
    )
    out = []
    for aid, host, name, fqdn, app, env in rows:
        display = (host or "").strip() or (name or "").strip() or (fqdn or "").strip() or str(aid)
        out.append(Server(str(aid), display, _applications(app), (env or "").strip() or None))
    return out


def load_connections(uow: UnitOfWork) -> list[Connection]:
    """The engagement's connections aggregated per source, target, port and protocol (one query)."""
    rows = uow.session.execute(
        text(
            "SELECT source_asset_id::text, CASE WHEN source_asset_id IS NULL THEN lower(source_endpoint) END,"
            " target_asset_id::text, CASE WHEN target_asset_id IS NULL THEN lower(target_endpoint) END,"
            " port, lower(protocol), sum(observation_count)"
            " FROM asset_dependencies GROUP BY 1, 2, 3, 4, 5, 6"
        )
    )
    out = []
    for sa, se, ta, te, port, proto, n in rows:
        source: str | Endpoint = sa if sa else Endpoint(se or "?")
        target: str | Endpoint = ta if ta else Endpoint(te or "?")
        out.append(Connection(source, target, port, proto, max(1, int(n or 1))))
    return out


def load_overrides(uow: UnitOfWork) -> list[Override]:
    rows = uow.session.execute(
        select(
            InfrastructureOverride.asset_id,
            InfrastructureOverride.is_infrastructure,
            InfrastructureOverride.reason,
        ).order_by(InfrastructureOverride.decided_at)
    )
    return [Override(str(a), bool(infra), reason or "") for a, infra, reason in rows]


def compute(uow: UnitOfWork, report: Any = None) -> tuple[DependencyAnalysis, int]:
    """The engine's answer on what is stored (no writes); also the number of stored connections."""
    servers = load_servers(uow)
    connections = load_connections(uow)
    return analyse(servers, connections, load_overrides(uow), report=report), len(connections)


def _store(uow: UnitOfWork, result: DependencyAnalysis, flow_id: uuid.UUID | None) -> None:
    tenant = uow.tenant
    assert tenant is not None
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    s = uow.session
    s.execute(
        delete(InfrastructureService).where(InfrastructureService.engagement_id == tenant.engagement_id)
    )
    s.execute(delete(MoveGroup).where(MoveGroup.engagement_id == tenant.engagement_id))  # members cascade
    infra = [
        {
            "id": uuid.uuid4(),
            "asset_id": uuid.UUID(i.server_id),
            "discovery_flow_id": flow_id,
            "category": i.category,
            "source": i.source,
            "reasons": list(i.reasons),
            "peers": i.peers,
            **scope,
        }
        for i in result.infrastructure
    ]
    groups: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for g in result.groups:
        gid = uuid.uuid4()
        groups.append(
            {
                "id": gid,
                "key": g.id,
                "name": g.name,
                "applications": list(g.applications),
                "environments": list(g.environments),
                "reasons": list(g.reasons),
                "internal_connections": g.internal_connections,
                "unresolved_connections": g.unresolved_connections,
                "discovery_flow_id": flow_id,
                **scope,
            }
        )
        members.extend(
            {"id": uuid.uuid4(), "move_group_id": gid, "asset_id": uuid.UUID(sid), **scope}
            for sid in g.server_ids
        )
    for table, rows in ((InfrastructureService, infra), (MoveGroup, groups), (MoveGroupMember, members)):
        insert_rows(s, table, rows)  # it batches
    refresh_statistics(s, "infrastructure_services", "move_groups", "move_group_members")


def summarise(result: DependencyAnalysis, connections: int) -> dict[str, Any]:
    notes = list(result.notes)
    if connections == 0:  # say it once, naming what to import (the engine's note says less)
        notes = [NO_DATA_NOTE, *(n for n in notes if not n.lower().startswith("no dependency data"))]
    return {
        "assets": sum(len(g.server_ids) for g in result.groups) + len(result.infrastructure),
        "connections": connections,
        "groups": len(result.groups),
        "infrastructure": len(result.infrastructure),
        "unresolved_endpoints": result.unresolved.endpoints,
        "has_dependency_data": connections > 0,
        "notes": notes,
    }


def analyse_engagement(
    uow: UnitOfWork,
    *,
    flow_id: uuid.UUID | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Analyse the engagement and replace its infrastructure services and move groups; the summary.

    Runs in the caller's unit of work and never commits. With `flow_id` the summary is also kept
    on that flow (`dependencies`).
    """
    if uow.tenant is None:
        raise ValueError("the dependency analysis needs a tenant unit of work")
    reporter = ProgressReporter(progress, cancel, unit="stages", cancelled_message=CANCELLED)
    reporter.report(PHASE, 0, None, text="linking external endpoints to new assets", force=True)
    relinked = relink_external_endpoints(uow)
    reporter.report(PHASE, 0, None, text="reading assets and connections", force=True)
    result, connections = compute(uow, report=lambda done, total: reporter.report(PHASE, done, total))
    reporter.report(PHASE, 1, 1, text="storing move groups", force=True)
    _store(uow, result, flow_id)
    summary = {**summarise(result, connections), "relinked": relinked}
    changes = OpChanges(analysis=True)
    if flow_id is not None:
        flow = load_flow(uow, flow_id)
        save_flow_state(uow, flow.id, flow.version, {"dependencies": {**summary, "flow_id": str(flow.id)}})
        changes = OpChanges(flows=True, analysis=True, flow_ids=ids(flow.id))
    reporter.report(PHASE, 1, 1, text="done", force=True)
    uow.note(changes)
    return summary
