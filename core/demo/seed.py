"""`db seed-demo`: the demo clients, made through the paths a consultant's work takes.

Each demo file (`core.demo.files`, from the deterministic estate of `core.demo.estate`) is written
to a temporary directory and imported with `core.imports.import_file`; its columns are mapped by
the suggester and decided with the mapping-review helpers (confident suggestions approved, a
consultant's correction, the rest auto-decided), each step in its own transaction as the
`core.actions.mapping` use cases do it; and `core.pipeline.run_flow` runs the engines. So every
asset has lineage to its source row, no phase result is invented, and the flows stop where the
engines stop (`catalog`). Why the helpers and not `core.actions`: the demo sits below the use-case
layer (`core.actions.admin.seed_demo` calls it).

Idempotent: a demo file already imported into its engagement is not imported again; a demo flow a
previous run left behind its stage (interrupted) is brought to it, and one a consultant has moved
on (or paused) is left alone. Everything runs as the current consultant through tenant-scoped
units of work; only creating the client and engagement needs the owner's sessions.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core import tenancy
from core.db.models import Asset, DataImport, DiscoveryFlow
from core.demo.catalog import DEMO, MAPPED, REVIEW, DemoEngagement, DemoImport
from core.demo.estate import Host, estate
from core.demo.files import LAYOUTS, write_source
from core.flows.phases import ADVANCEABLE_STATUSES, PHASES
from core.imports import import_file
from core.mapping_review import decisions, suggestions
from core.mapping_review.queries import mapping_counts
from core.pipeline import REGISTRY, run_flow
from core.uow import Tenant, UnitOfWorkFactory

__all__ = [
    "DEMO",
    "MIN_CONFIDENCE",
    "demo_hosts",
    "flow_name",
    "phases_reached",
    "seed_demo",
    "write_demo_file",
]

MIN_CONFIDENCE = 0.9
"""Suggestions at or above this are approved as a consultant's "approve all ≥ 0.9" would."""


def flow_name(filename: str) -> str:
    return f"Discovery of {filename}"


def phases_reached(through: str) -> tuple[str, ...]:
    """The phases a demo flow run `through` a phase completes: up to the first phase without an engine."""
    reached: list[str] = []
    for phase in PHASES[: PHASES.index(through) + 1]:
        spec = REGISTRY[phase]
        if spec.completion == "engine" and spec.runner is None:
            break
        reached.append(phase)
    return tuple(reached)


def demo_hosts(demo: DemoEngagement, count: int) -> list[Host]:
    """The engagement's estate: the same `count` machines on every run."""
    return estate(f"{demo.client}/{demo.engagement}", demo.domain, demo.sites, count)


def write_demo_file(workdir: Path, spec: DemoImport, hosts: list[Host]) -> Path:
    """Write the demo file `spec` names into `workdir`, as its tool would export `hosts`."""
    path = workdir / spec.filename
    write_source(path, LAYOUTS[spec.layout], [h for h in hosts if spec.site in (None, h.site)])
    return path


def _imported(uows: UnitOfWorkFactory, tenant: Tenant) -> dict[str, tuple[uuid.UUID, uuid.UUID | None]]:
    """The engagement's completed imports by file name: (import id, its flow's id)."""
    with uows(tenant) as uow:
        rows = uow.session.execute(
            select(DataImport.filename, DataImport.id, DiscoveryFlow.id)
            .outerjoin(DiscoveryFlow, DiscoveryFlow.data_import_id == DataImport.id)
            .where(DataImport.status == "completed")
            .order_by(DataImport.created_at)
        ).all()
    return {name: (import_id, flow_id) for name, import_id, flow_id in rows}


def _asset_count(uows: UnitOfWorkFactory, tenant: Tenant) -> int:
    with uows(tenant) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Asset)) or 0)


def _decide_mappings(uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID, spec: DemoImport) -> None:
    """Suggest, correct and approve the confident columns (one transaction, as the review's use cases)."""
    with uows(tenant) as uow:
        if mapping_counts(uow, import_id).decided:
            return  # decided before (an earlier run)
        # the import stored suggestions already; redo them without the semantic matcher (deterministic)
        rows = suggestions.generate_suggestions(uow, import_id, use_semantic=False)
        by_column = {r.source_field: r for r in rows}
        for column, target in spec.corrections:
            row = by_column[column]
            decisions.modify(
                uow, row.id, row.version, target_field=target, note="set by the consultant", auto_finish=False
            )
        decisions.bulk_approve(uow, import_id, MIN_CONFIDENCE, auto_finish=False)
        uow.commit()


def _finish_mapping(uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID) -> None:
    """`map finish --auto`: decide what is left (free targets approved, the rest unmapped), finish."""
    with uows(tenant) as uow:
        decisions.auto_map_remaining(uow, import_id)
        uow.commit()


def _bring_to_stage(
    uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID, flow_id: uuid.UUID, spec: DemoImport
) -> None:
    """Take the demo flow from where it is to its stage; a flow at or past it, or paused, is left."""
    with uows(tenant) as uow:
        flow = uow.session.get(DiscoveryFlow, flow_id)
        if flow is None or flow.status not in ADVANCEABLE_STATUSES:
            return
        done = len(flow.phases_completed or [])
        mapped = bool(flow.field_mapping_completed)
    if not mapped:
        _decide_mappings(uows, tenant, import_id, spec)
        if spec.through == REVIEW:
            return
        _finish_mapping(uows, tenant, import_id)
        done = len(phases_reached(MAPPED))
    if done < len(phases_reached(spec.through)):
        run_flow(uows, tenant, flow_id, through=spec.through)


def _seed_engagement(
    uows: UnitOfWorkFactory, tenant: Tenant, demo: DemoEngagement, hosts: list[Host], workdir: Path
) -> int:
    """Import the engagement's missing demo files and bring every demo flow to its stage; imports added."""
    imported = _imported(uows, tenant)
    added = 0
    for spec in demo.imports:
        if spec.filename in imported:
            import_id, flow_id = imported[spec.filename]
        else:
            path = write_demo_file(workdir, spec, hosts)
            result = import_file(
                uows,
                tenant,
                path,
                source_system=spec.source,
                flow_name=flow_name(spec.filename),
            )
            import_id, flow_id = result.import_id, result.flow_id
            added += 1
        if flow_id is not None:
            _bring_to_stage(uows, tenant, import_id, flow_id, spec)
    return added


def seed_demo(
    uows: UnitOfWorkFactory, admin_sessions: sessionmaker[Session], *, assets_per_engagement: int = 100
) -> dict[str, int]:
    """Create the demo data where missing; returns counts of what was added.

    `assets_per_engagement` is the size of each engagement's estate: the flows that reach the
    inventory know every machine of it, so that is how many assets each engagement gets.
    """
    added = {"clients": 0, "imports": 0, "flows": 0, "assets": 0}
    with tempfile.TemporaryDirectory(prefix="md-demo-") as tmp:
        for demo in DEMO:
            existing = tenancy.find_engagement(uows.sessions, demo.client, demo.engagement)
            ref = existing or tenancy.ensure_engagement(
                admin_sessions, demo.client, demo.engagement, uows.user_id
            )
            added["clients"] += existing is None
            tenant = uows.tenant_for(ref)
            hosts = demo_hosts(demo, assets_per_engagement)
            before = _asset_count(uows, tenant)
            workdir = Path(tmp) / str(ref.engagement_id)
            workdir.mkdir()
            imports = _seed_engagement(uows, tenant, demo, hosts, workdir)
            added["imports"] += imports
            added["flows"] += imports  # every import makes its discovery flow
            added["assets"] += _asset_count(uows, tenant) - before
    return added
