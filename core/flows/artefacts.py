"""What the stored data says about a flow's phases, independent of its flags.

Used by write-through reads (`derived.py`) and by reconciliation: a phase counts as done when its
artefacts are in the database — an import with raw records, every mapping decided, every raw
record cleansed, assets of the flow, dependency and tech-debt analyses.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from core.db.models import (
    Asset,
    AssetDependency,
    DataImport,
    DiscoveryFlow,
    ImportFieldMapping,
    RawImportRecord,
)
from core.flows.phases import PHASES
from core.uow import UnitOfWork


@dataclass(frozen=True)
class Evidence:
    """Whether the artefacts of one phase are present, and why (for reports and events)."""

    phase: str
    present: bool
    reason: str


def import_evidence(uow: UnitOfWork, flow: DiscoveryFlow) -> Evidence:
    """data_import is done when the flow's import has raw records and did not fail."""
    phase = "data_import"
    if flow.data_import_id is None:
        return Evidence(phase, False, "the flow has no data import")
    row = uow.session.execute(
        select(DataImport.status, DataImport.error_message).where(DataImport.id == flow.data_import_id)
    ).first()
    if row is None:
        return Evidence(phase, False, "the data import is missing")
    if row.status == "failed" or row.error_message:
        return Evidence(phase, False, f"the data import {row.status} with an error")
    records = uow.session.scalar(
        select(func.count())
        .select_from(RawImportRecord)
        .where(RawImportRecord.data_import_id == flow.data_import_id)
    )
    if not records:
        return Evidence(phase, False, "the data import has no raw records")
    return Evidence(phase, True, f"the data import has {records} raw record(s)")


def _stored_connections(uow: UnitOfWork, flow: DiscoveryFlow) -> int | None:
    """How many connections a connection import's inventory phase stored (None: not one, or not yet)."""
    if flow.data_import_id is None:
        return None
    imp = uow.session.get(DataImport, flow.data_import_id)
    meta = imp.import_metadata if imp is not None and isinstance(imp.import_metadata, dict) else {}
    summary = meta.get("connections") if meta.get("kind") == "connections" else None
    if not isinstance(summary, dict) or not summary.get("stored"):
        return None
    return int(summary.get("connections") or 0)


def phase_evidence(uow: UnitOfWork, flow: DiscoveryFlow) -> dict[str, Evidence]:
    """Evidence for every phase, in canonical order."""
    s = uow.session
    out = {"data_import": import_evidence(uow, flow)}
    raw_total = processed = mappings = undecided = 0
    if flow.data_import_id is not None:
        raw_total, processed = s.execute(
            select(func.count(), func.count().filter(RawImportRecord.is_processed)).where(
                RawImportRecord.data_import_id == flow.data_import_id
            )
        ).one()
        mappings, undecided = s.execute(
            select(func.count(), func.count().filter(ImportFieldMapping.status == "suggested")).where(
                ImportFieldMapping.data_import_id == flow.data_import_id
            )
        ).one()
    if mappings and not undecided:
        out["field_mapping"] = Evidence("field_mapping", True, f"all {mappings} mapping(s) are decided")
    else:
        why = f"{undecided} of {mappings} mapping(s) undecided" if mappings else "no mappings"
        out["field_mapping"] = Evidence("field_mapping", False, why)
    if raw_total and processed == raw_total:
        out["data_cleansing"] = Evidence("data_cleansing", True, f"all {raw_total} raw record(s) cleansed")
    else:
        out["data_cleansing"] = Evidence(
            "data_cleansing", False, f"{processed} of {raw_total} raw record(s) cleansed"
        )
    assets = s.scalar(select(func.count()).select_from(Asset).where(Asset.discovery_flow_id == flow.id)) or 0
    out["asset_inventory"] = Evidence(
        "asset_inventory", bool(assets), f"{assets} asset(s) belong to the flow" if assets else "no assets"
    )
    stored = _stored_connections(uow, flow)
    if stored is not None:  # a connection export's inventory phase stores connections, not assets
        out["asset_inventory"] = Evidence(
            "asset_inventory", True, f"{stored} connection(s) of the export are stored"
        )
    deps = 0
    if assets:
        deps = (
            s.scalar(
                select(func.count())
                .select_from(AssetDependency)
                .join(Asset, AssetDependency.source_asset_id == Asset.id)
                .where(Asset.discovery_flow_id == flow.id)
            )
            or 0
        )
    has_analysis = isinstance(flow.dependencies, dict) and bool(flow.dependencies)
    if deps or has_analysis:
        why = f"{deps} dependenc(ies) recorded" if deps else "a dependency analysis is stored"
        out["dependency_analysis"] = Evidence("dependency_analysis", True, why)
    else:
        out["dependency_analysis"] = Evidence("dependency_analysis", False, "no dependency analysis")
    debt = isinstance(flow.tech_debt_analysis, dict) and bool(flow.tech_debt_analysis)
    out["tech_debt_assessment"] = Evidence(
        "tech_debt_assessment",
        debt,
        "a tech-debt assessment is stored" if debt else "no tech-debt assessment",
    )
    return {phase: out[phase] for phase in PHASES}
