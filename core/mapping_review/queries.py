"""Reads for the review grid, the transformation preview, the cleansing phase and the CLI.

Every read is bounded: one query for the mapping rows (with the deciders' names), one index
range scan over the first few hundred raw records for the sample values — never a scan of an
import's rows, so 200 columns × 1,000,000 rows reads as fast as a small file.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core.db.models import DiscoveryFlow, ImportFieldMapping, User
from core.mapping_review import fit as fitting
from core.mapping_review import samples as sampling
from core.mapping_review import store
from core.mapping_review.errors import MappingDecisionError, MappingNotFoundError
from core.mapping_review.types import ACCEPTED, EffectiveMapping, MappingCounts, MappingRow, PreviewPair
from core.uow import UnitOfWork

GRID_SAMPLES = 5
"""Distinct sample values shown per column in the grid."""


def _schema() -> Any:
    """Every target a mapping row may name: asset fields and connection fields."""
    from core.mapping.schema import load_any_schema

    return load_any_schema()


def mapping_rows(
    uow: UnitOfWork,
    import_id: uuid.UUID | str,
    *,
    samples: int = GRID_SAMPLES,
    sample_records: int = sampling.SAMPLE_RECORDS,
) -> list[MappingRow]:
    """The review grid of an import, in column order; `samples` distinct values per column."""
    imp = store.load_import(uow, import_id)
    s = uow.session
    decider = aliased(User)
    found = s.execute(
        select(ImportFieldMapping, decider.display_name)
        .outerjoin(decider, decider.id == ImportFieldMapping.approved_by)
        .where(ImportFieldMapping.data_import_id == imp.id)
        .order_by(ImportFieldMapping.source_position, ImportFieldMapping.source_field)
        .execution_options(populate_existing=True)
    ).all()
    records = sampling.first_records(s, imp.id, sample_records) if found else []
    columns = list(imp.columns or [])
    position_of = {name: i for i, name in enumerate(columns)}
    schema = _schema()
    out: list[MappingRow] = []
    for row, decided_by in found:
        pos = position_of.get(row.source_field, row.source_position)
        column = sampling.column_values(records, pos) if records else []
        values = sampling.distinct_values(column, samples) if column and samples > 0 else []
        target = schema.get(row.target_field) if row.target_field else None
        fit = fitting.fit_of(row.target_field, row.transformation_rules, column) if target else None
        out.append(
            MappingRow(
                id=row.id,
                import_id=imp.id,
                source_field=row.source_field,
                position=row.source_position,
                samples=values,
                target_field=row.target_field,
                target_description=target.description if target else None,
                target_unit=target.unit if target else None,
                target_type=target.type if target else None,
                confidence=row.confidence_score,
                match_type=row.match_type,
                suggested_by=row.suggested_by,
                status=row.status,
                explanation=row.explanation,
                transformation_rules=row.transformation_rules,
                version=row.version,
                approved_by=decided_by,
                approved_by_id=row.approved_by,
                approved_at=row.approved_at,
                suggested_target=(row.suggestion or {}).get("target_field"),
                alternatives=_alternatives(row.suggestion),
                preview_failing=bool(fit and fit.failing),
                preview_problem=fit.describe() if fit and fit.failing else None,
                decided_via=row.decided_via,
            )
        )
    return out


def _alternatives(suggestion: dict[str, Any] | None) -> tuple[tuple[str, float], ...]:
    found = (suggestion or {}).get("alternatives") or []
    return tuple((str(a["target_field"]), float(a["confidence"])) for a in found if a.get("target_field"))


def mapping_row(uow: UnitOfWork, mapping_id: uuid.UUID | str) -> MappingRow:
    """One grid row (e.g. to refresh it after a decision or a conflict)."""
    tenant = store.require_tenant(uow)
    mid = store.as_uuid(mapping_id, "mapping")
    row = store.mapping_of_import(uow.session, tenant, mid)
    if row is None:
        raise MappingNotFoundError(message=f"no column mapping {mid} in this engagement")
    return next(r for r in mapping_rows(uow, row.data_import_id) if r.id == mid)


def mapping_counts(uow: UnitOfWork, import_id: uuid.UUID | str) -> MappingCounts:
    imp = store.load_import(uow, import_id)
    return store.counts_of(uow.session, imp.id)


def effective_mappings(uow: UnitOfWork, import_id: uuid.UUID | str) -> list[EffectiveMapping]:
    """Accepted (approved or modified) mappings in column order: what cleansing applies.

    Rejected and undecided columns are unmapped. `target_type` is the rules' `data_type`
    override when there is one, else the target's schema type — pass it to `apply_rules`.
    """
    imp = store.load_import(uow, import_id)
    schema = _schema()
    rows = uow.session.scalars(
        select(ImportFieldMapping)
        .where(ImportFieldMapping.data_import_id == imp.id, ImportFieldMapping.status.in_(ACCEPTED))
        .order_by(ImportFieldMapping.source_position)
    )
    out = []
    for row in rows:
        if not row.target_field or row.target_field not in schema:
            continue
        out.append(
            EffectiveMapping(
                mapping_id=row.id,
                source_field=row.source_field,
                position=row.source_position,
                target_field=row.target_field,
                target_type=target_type(row.target_field, row.transformation_rules),
                transformation_rules=row.transformation_rules,
            )
        )
    return out


def target_type(target_field: str, rules: dict[str, Any] | None) -> str:
    """The type a column is parsed as: the rules' `data_type` override, else the target's."""
    return fitting.target_type(target_field, rules)


def preview_transformation(
    uow: UnitOfWork,
    mapping_id: uuid.UUID | str,
    n: int = 20,
    *,
    rules: dict[str, Any] | None = None,
    target_field: str | None = None,
) -> list[PreviewPair]:
    """Up to `n` distinct raw values of the column and what the rules make of them.

    Uses the row's stored target and rules unless `rules` / `target_field` are given (to preview
    an edit before saving it). Values that do not fit come back with their error, not dropped.
    """
    tenant = store.require_tenant(uow)
    mid = store.as_uuid(mapping_id, "mapping")
    row = store.mapping_of_import(uow.session, tenant, mid)
    if row is None:
        raise MappingNotFoundError(message=f"no column mapping {mid} in this engagement")
    target = target_field or row.target_field
    if not target:
        return [PreviewPair(raw=v, value=None, error=None) for v in _raw_values(uow, row, n)]
    if target not in _schema():
        raise MappingDecisionError(message=f"unknown target field {target!r}", column=row.source_field)
    use_rules = row.transformation_rules if rules is None else rules
    # The value pipeline's coercer, as cleansing uses it: the preview shows what cleansing will store.
    imp = store.load_import(uow, row.data_import_id)
    position = _position(imp, row)
    order = None
    if fitting.target_type(target, use_rules) == "datetime" and not (use_rules or {}).get("date_order"):
        order = sampling.column_date_order(uow.session, imp.id, position)  # as cleansing decides it
    coerce = fitting.coercer(target, use_rules, date_order=order)
    out = []
    for raw in _raw_values(uow, row, n):
        value, problem = coerce(raw)
        if problem is not None:  # kept and reported, never dropped
            out.append(PreviewPair(raw=raw, value=raw, error=problem.message))
        else:
            out.append(PreviewPair(raw=raw, value=value, error=None))
    return out


def _position(imp: Any, row: ImportFieldMapping) -> int:
    """The column's position in the stored header (by name first, as cleansing finds it)."""
    columns = list(imp.columns or [])
    return columns.index(row.source_field) if row.source_field in columns else row.source_position


def _raw_values(uow: UnitOfWork, row: ImportFieldMapping, n: int) -> list[str]:
    imp = store.load_import(uow, row.data_import_id)
    pos = _position(imp, row)
    records = sampling.first_records(uow.session, imp.id, max(sampling.SAMPLE_RECORDS, n))
    return sampling.distinct_values(sampling.column_values(records, pos), n)


def import_for_flow(uow: UnitOfWork, flow_id: uuid.UUID | str) -> tuple[uuid.UUID, uuid.UUID | None]:
    """(flow id, its data import id or None) for a flow of this engagement."""
    tenant = store.require_tenant(uow)
    fid = store.as_uuid(flow_id, "flow")
    found = uow.session.execute(
        select(DiscoveryFlow.id, DiscoveryFlow.data_import_id).where(
            DiscoveryFlow.id == fid,
            DiscoveryFlow.client_account_id == tenant.client_account_id,
            DiscoveryFlow.engagement_id == tenant.engagement_id,
        )
    ).first()
    if found is None:
        raise MappingNotFoundError(message=f"no discovery flow {fid} in this engagement")
    return found[0], found[1]
