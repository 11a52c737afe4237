"""The data-cleansing phase: every raw record of an import through its approved mappings.

For each record the phase writes `cleansed_data` (canonical field -> typed, JSON-safe value),
`is_valid` and `validation_errors` (a list of `{field, value, rule, message, source_column}`):
an invalid value is never dropped silently — its raw text stays in the error and in the raw cells.
Keys of `cleansed_data` that start with `_` are metadata, not fields: `_derived` says which fields
were filled from another one (`{"hostname": "fqdn"}`).

Lineage is decided here, with the value, and stored in `cleansed_lineage`: `row` (the record
index: CSV line or sheet row) and `position` (field -> the position, in `DataImport.columns` and in
the record's own lossless `cells`, of the cell each kept value was read from: the source column,
and `cells[position]` is the raw value), and only when needed `derived_from` (field -> the field
a derived value was filled from; the position is that field's cell) and `merged` (`{"tags":
[position, ...]}`, the further columns whose tags were merged in). Positions rather than copies of
column names and raw cells (the header and the row's own cells hold them), and flat objects: this is
written for every record and parsed back by every inventory run; the copies made the benchmark's
rows 16 % larger and cleansing slower, an object or list per value made parsing 1.5-3.5x slower.
The inventory copies it; nothing downstream re-derives which column a value came from.

Speed: records are read with a server-side cursor in batches, coerced in Python with per-column
caches, COPYed into a temporary table and written back with one set-based `UPDATE ... FROM`, all in
the caller's transaction (a cancelled or failed run leaves nothing behind).

The per-import quality report (completeness per field, invalid counts by rule and field, duplicate
candidates, worst records, and the mapping snapshot the run used) is stored in
`import_quality_reports`; `quality_report(uow, import_id)` reads it.
"""

from __future__ import annotations

import heapq
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from core.cleansing.coerce import FieldCoercer, derive_fields
from core.cleansing.fields import asset_fields
from core.db.models import DataImport, ImportFieldMapping, ImportQualityReport
from core.errors import UserInputError
from core.mapping_review.queries import effective_mappings
from core.mapping_review.samples import column_date_order
from core.progress import CancelToken, ProgressFn, ProgressReporter
from core.uow import UnitOfWork

WORST_RECORDS = 25
DUPLICATE_EXAMPLES = 25
#: fields whose repeated values inside one import point at duplicate rows
DUPLICATE_KEYS = ("external_id", "serial_number", "fqdn", "hostname", "vm_id")
#: one encoder for every record's lineage (`json.dumps` with options builds a new one per call)
_lineage_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class SourceColumn:
    """One decided mapping as the cleansing run used it."""

    field: str
    source_column: str
    position: int
    rules: dict[str, Any]
    coercer: FieldCoercer


@dataclass
class _Stats:
    total: int = 0
    valid: int = 0
    filled: Counter[str] = field(default_factory=Counter)
    invalid_by_field: Counter[str] = field(default_factory=Counter)
    invalid_by_rule: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    worst: list[tuple[int, int, str, list[str]]] = field(default_factory=list)
    keys: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )


CANCELLED = "cancelled by the user; nothing of this run was kept"
"""What a cancelled cleansing or inventory run says (its transaction rolls back)."""


STAGE = "data_cleansing"


def phase_reporter(progress: ProgressFn | None, cancel: CancelToken | None) -> ProgressReporter:
    """The core's progress/cancel protocol for a phase run (records as the unit)."""
    return ProgressReporter(progress, cancel, unit="records", cancelled_message=CANCELLED)


def pending_mappings(uow: UnitOfWork, import_id: uuid.UUID) -> list[str]:
    """Source columns whose mapping still waits for a decision (the phase refuses to run then)."""
    return list(
        uow.session.scalars(
            select(ImportFieldMapping.source_field)
            .where(ImportFieldMapping.data_import_id == import_id, ImportFieldMapping.status == "suggested")
            .order_by(ImportFieldMapping.source_position)
        )
    )


def load_sources(uow: UnitOfWork, imp: DataImport) -> list[SourceColumn]:
    """The import's accepted mappings (`core.mapping_review.effective_mappings`), in column order."""
    fields = asset_fields()
    columns = list(imp.columns or [])
    lowered = {c.strip().casefold(): i for i, c in enumerate(columns)}
    sources: list[SourceColumn] = []
    for m in effective_mappings(uow, imp.id):
        spec = fields.get(m.target_field)
        if spec is None:
            continue
        if m.target_type != spec.type:  # the rules' data_type override
            spec = replace(spec, type=m.target_type)  # keeps the field's declared range
        pos = m.position
        if not (0 <= pos < len(columns) and columns[pos] == m.source_field):
            found = lowered.get(m.source_field.strip().casefold())
            if found is None:
                raise UserInputError(
                    f"mapped column {m.source_field!r} is not a column of the import",
                    file=imp.filename,
                    column=m.source_field,
                    hint="re-run the mapping review for this import",
                )
            pos = found
        rules = dict(m.transformation_rules or {})
        order = rules.get("date_order") or (
            column_date_order(uow.session, imp.id, pos) if spec.type == "datetime" else None
        )
        coercer = FieldCoercer(spec, rules, date_order=order)
        sources.append(SourceColumn(spec.name, m.source_field, pos, rules, coercer))
    return sources


def cleanse_record(
    cells: list[str | None], by_field: dict[str, list[SourceColumn]], row: int | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Typed values, validation errors and the lineage of each kept value of one raw record.

    `row` is the record's index (CSV line / sheet row), stored as the lineage's `row`.
    """
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    positions: dict[str, int] = {}
    lineage: dict[str, Any] = {"row": row, "position": positions}
    n = len(cells)
    for name, sources in by_field.items():
        for src in sources:
            raw = cells[src.position] if src.position < n else None
            value, problem = src.coercer(raw)
            if problem is not None:
                errors.append(
                    {
                        "field": name,
                        "value": raw,
                        "rule": problem.rule,
                        "message": problem.message,
                        "source_column": src.source_column,
                    }
                )
                continue
            if value is None:
                continue
            if name == "tags" and isinstance(value, dict) and isinstance(values.get("tags"), dict):
                values["tags"] = {**values["tags"], **value}  # several tag columns merge
                lineage.setdefault("merged", {}).setdefault("tags", []).append(src.position)
            elif name not in values:
                values[name] = value
                positions[name] = src.position
    derived = derive_fields(values)
    if derived:
        values["_derived"] = derived
        _derive_lineage(lineage, derived, values)
    return values, errors, lineage


def _derive_lineage(lineage: dict[str, Any], derived: dict[str, str], values: dict[str, Any]) -> None:
    """A derived value's cell is the one of the field it was derived from (as read, before derivation)."""
    positions: dict[str, int] = lineage["position"]
    origin = {name: positions[via] for name, via in derived.items() if via in positions}
    positions.update(origin)
    if origin:
        lineage["derived_from"] = {name: derived[name] for name in origin}
    for name in set(derived.values()):  # only a field derived from can have gone
        if name in positions and name not in values:
            del positions[name]  # e.g. a short name in the FQDN column became the host name


def cleanse_import(
    uow: UnitOfWork,
    import_id: uuid.UUID,
    *,
    flow_id: uuid.UUID | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    batch_size: int = 5000,
    on_batch: Callable[[int, int, int], None] | None = None,
) -> dict[str, Any]:
    """Cleanse every raw record of the import in the caller's transaction; returns the report.

    Progress and cancellation follow `core.progress`: a `Progress("data_cleansing", done, total)` after
    each batch, and the token is checked between batches (`OperationCancelled`). Refuses while
    mappings are still pending.
    """
    s = uow.session
    imp = s.get(DataImport, import_id)
    if imp is None:
        raise UserInputError(f"no data import {import_id} in this engagement")
    pending = pending_mappings(uow, import_id)
    if pending:
        raise UserInputError(
            f"{len(pending)} mapping(s) still pending review: {', '.join(pending[:10])}",
            file=imp.filename,
            hint="approve, modify or reject them first (e.g. `migration-discovery map accept`)",
        )
    sources = load_sources(uow, imp)
    by_field: dict[str, list[SourceColumn]] = defaultdict(list)
    for src in sources:
        by_field[src.field].append(src)
    total = (
        s.scalar(text("SELECT count(*) FROM raw_import_records WHERE data_import_id = :i"), {"i": import_id})
        or 0
    )
    reporter = phase_reporter(progress, cancel)
    reporter.report(STAGE, 0, total, force=True)

    conn = s.connection()
    pg = conn.connection.driver_connection
    assert pg is not None
    with pg.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS md_cleansed (id uuid PRIMARY KEY, cleansed_data jsonb,"
            " is_valid boolean, validation_errors jsonb, cleansed_lineage jsonb) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE md_cleansed")

    stats = _Stats(total=total)
    done = 0
    rows = s.execute(
        text(
            "SELECT id, record_index, cells FROM raw_import_records"
            " WHERE data_import_id = :i ORDER BY record_index"
        ).execution_options(yield_per=batch_size),
        {"i": import_id},
    )
    for batch in rows.partitions():
        reporter.check()
        out: list[tuple[Any, ...]] = []
        for rid, index, cells in batch:
            values, errors, lineage = cleanse_record(cells or [], by_field, index)
            _account(stats, rid, index, values, errors)
            out.append(
                (
                    rid,
                    json.dumps(values, ensure_ascii=False),
                    not errors,
                    json.dumps(errors, ensure_ascii=False) if errors else None,
                    _lineage_json(lineage),
                )
            )
        with (
            pg.cursor() as cur,
            cur.copy(
                "COPY md_cleansed (id, cleansed_data, is_valid, validation_errors, cleansed_lineage)"
                " FROM STDIN"
            ) as copy,
        ):
            for row in out:
                copy.write_row(row)
        done += len(batch)
        if on_batch is not None:
            on_batch(done, total, len(out) - sum(1 for r in out if r[2]))
        reporter.report(STAGE, done, total, force=done == total)
    reporter.check()
    s.execute(
        text(
            """
            UPDATE raw_import_records r
               SET cleansed_data = t.cleansed_data, cleansed_lineage = t.cleansed_lineage,
                   is_valid = t.is_valid, validation_errors = t.validation_errors, is_processed = true,
                   processed_at = now(), updated_at = now()
              FROM md_cleansed t
             WHERE r.id = t.id
            """
        )
    )
    report = _report(imp, sources, stats)
    _store_report(uow, imp, flow_id, report)
    return report


def _account(
    stats: _Stats, rid: uuid.UUID, index: int, values: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    for name in values:
        if name[0] != "_":
            stats.filled[name] += 1
    for key in DUPLICATE_KEYS:
        v = values.get(key)
        if v:
            stats.keys[key][str(v).casefold()].append(index)
    if not errors:
        stats.valid += 1
        return
    for e in errors:
        stats.invalid_by_field[e["field"]] += 1
        stats.invalid_by_rule[e["rule"]] += 1
        ex = stats.examples[e["rule"]]
        if len(ex) < 5:
            ex.append(
                {"record_index": index, "field": e["field"], "value": e["value"], "message": e["message"]}
            )
    item = (len(errors), -index, str(rid), sorted({e["field"] for e in errors}))
    if len(stats.worst) < WORST_RECORDS:
        heapq.heappush(stats.worst, item)
    elif item > stats.worst[0]:
        heapq.heapreplace(stats.worst, item)


def _report(imp: DataImport, sources: list[SourceColumn], stats: _Stats) -> dict[str, Any]:
    total = stats.total or 0
    mapped: dict[str, list[SourceColumn]] = defaultdict(list)
    for src in sources:
        mapped[src.field].append(src)
    reported = list(dict.fromkeys([*mapped, *(f for f in stats.filled if f not in mapped)]))
    fields_out: dict[str, Any] = {}
    for name in reported:
        filled = stats.filled.get(name, 0)
        fields_out[name] = {
            "source_columns": [s.source_column for s in mapped.get(name, [])],
            "derived": name not in mapped,
            "filled": filled,
            "completeness": round(100.0 * filled / total, 2) if total else 0.0,
            "invalid": stats.invalid_by_field.get(name, 0),
        }
    duplicates: list[dict[str, Any]] = []
    dup_groups = 0
    dup_records: set[int] = set()
    for key in DUPLICATE_KEYS:
        for value, indexes in stats.keys.get(key, {}).items():
            if len(indexes) > 1:
                dup_groups += 1
                dup_records.update(indexes)
                if len(duplicates) < DUPLICATE_EXAMPLES:
                    duplicates.append({"key": key, "value": value, "record_indexes": indexes[:20]})
    worst = [
        {"record_id": rid, "record_index": -neg, "errors": n, "fields": fields}
        for n, neg, rid, fields in sorted(stats.worst, reverse=True)
    ]
    return {
        "import_id": str(imp.id),
        "filename": imp.filename,
        "source_system": imp.source_system,
        "generated_at": datetime.now(UTC).isoformat(),
        "total_records": total,
        "valid_records": stats.valid,
        "invalid_records": total - stats.valid,
        "fields": fields_out,
        "invalid_by_rule": dict(stats.invalid_by_rule.most_common()),
        "invalid_by_field": dict(stats.invalid_by_field.most_common()),
        "invalid_examples": dict(stats.examples),
        "duplicate_candidates": {"groups": dup_groups, "records": len(dup_records), "examples": duplicates},
        "worst_records": worst,
        "field_sources": {
            name: [
                {
                    "source_column": s.source_column,
                    "position": s.position,
                    "rules": s.rules,
                    "rule": s.coercer.label,
                }
                for s in srcs
            ]
            for name, srcs in mapped.items()
        },
    }


def _store_report(
    uow: UnitOfWork, imp: DataImport, flow_id: uuid.UUID | None, report: dict[str, Any]
) -> None:
    values = {
        "id": uuid.uuid4(),
        "client_account_id": imp.client_account_id,
        "engagement_id": imp.engagement_id,
        "data_import_id": imp.id,
        "discovery_flow_id": flow_id,
        "total_records": report["total_records"],
        "valid_records": report["valid_records"],
        "invalid_records": report["invalid_records"],
        "report": report,
    }
    stmt = insert(ImportQualityReport).values(**values)
    update = {k: stmt.excluded[k] for k in ("total_records", "valid_records", "invalid_records", "report")}
    update["updated_at"] = text("now()")  # type: ignore[assignment]
    if flow_id is not None:
        update["discovery_flow_id"] = stmt.excluded["discovery_flow_id"]
    uow.session.execute(stmt.on_conflict_do_update(index_elements=["data_import_id"], set_=update))


def quality_report(uow: UnitOfWork, import_id: uuid.UUID) -> dict[str, Any] | None:
    """The stored quality report of an import's last cleansing run (None before the first run)."""
    return uow.session.scalar(
        select(ImportQualityReport.report).where(ImportQualityReport.data_import_id == import_id)
    )


def quality_reports(uow: UnitOfWork, import_ids: Iterable[uuid.UUID] | None = None) -> list[dict[str, Any]]:
    """Reports of several (default: all) imports of the engagement, oldest import first."""
    stmt = (
        select(ImportQualityReport.report)
        .join(DataImport, DataImport.id == ImportQualityReport.data_import_id)
        .order_by(DataImport.created_at, DataImport.id)
    )
    if import_ids is not None:
        stmt = stmt.where(ImportQualityReport.data_import_id.in_(list(import_ids)))
    return list(uow.session.scalars(stmt))
