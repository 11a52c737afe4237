"""Store the suggester's proposal for every column of an import as `import_field_mappings` rows.

`generate_suggestions` is idempotent: the first run creates one row per source column (status
`suggested`, in file order); later runs refresh rows nobody decided yet (new learned memory, a
newer suggester) and keep every decided row exactly as it is.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.changes import OpChanges, ids
from core.db.models import DataImport, ImportFieldMapping
from core.mapping_review import memory, samples, store
from core.mapping_review.errors import MappingDecisionError
from core.mapping_review.types import LearnedEntry, MappingRow
from core.uow import UnitOfWork

SUGGESTERS = ("rules", "ai_agent")


def _as_rules(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    rules = dict(value)
    return rules or None


def _proposal(suggestion: Any, fingerprint: str, suggested_by: str) -> dict[str, Any]:
    """The suggester's answer for one column as stored in `ImportFieldMapping.suggestion`."""
    confidence = float(getattr(suggestion, "confidence", 0.0) or 0.0)
    return {
        "target_field": getattr(suggestion, "target_field", None),
        "confidence": min(max(confidence, 0.0), 1.0),
        "match_type": str(getattr(suggestion, "match_type", "none") or "none"),
        "transformation_rules": _as_rules(getattr(suggestion, "transformation_rules", None)),
        "explanation": getattr(suggestion, "explanation", None),
        "suggested_by": suggested_by,
        "value_fingerprint": fingerprint,
        "alternatives": [
            {"target_field": a.target_field, "confidence": a.confidence}
            for a in getattr(suggestion, "alternatives", ()) or ()
        ],
    }


def apply_proposal(row: ImportFieldMapping, proposal: dict[str, Any]) -> None:
    """Make an undecided row show `proposal` (assigning only what differs: no empty version bumps)."""
    values = {
        "target_field": proposal.get("target_field"),
        "confidence_score": proposal.get("confidence", 0.0),
        "match_type": proposal.get("match_type", "none"),
        "transformation_rules": proposal.get("transformation_rules"),
        "explanation": proposal.get("explanation"),
        "suggested_by": proposal.get("suggested_by", "rules"),
        "suggestion": proposal,
    }
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _learned_rules(
    learned_rules: dict[tuple[str, str, str], dict[str, Any]], proposal: dict[str, Any], header: str
) -> None:
    """A learned match brings back the rules the consultants settled on for that pairing."""
    if proposal["match_type"] != "learned" or not proposal["target_field"]:
        return
    rules = learned_rules.get((header, proposal["value_fingerprint"], proposal["target_field"]))
    if rules:
        proposal["transformation_rules"] = dict(rules)


def _taught(teachers: list[LearnedEntry], proposal: dict[str, Any], header: str) -> None:
    """A learned match says first who taught it and when ("taught by X on DATE: approved …")."""
    if proposal["match_type"] != "learned" or not proposal["target_field"]:
        return
    entry = memory.teacher_of(teachers, header, proposal["target_field"])
    if entry is not None:
        text = memory.taught_text(entry)
        proposal["explanation"] = f"{text}: {proposal['explanation']}" if proposal["explanation"] else text


def _run_suggester(
    columns: Sequence[str],
    column_samples: Sequence[Sequence[str]],
    learned: list[memory.LearnedDecision],
    use_semantic: bool | None,
    kind: str = "assets",
) -> tuple[list[Any], list[str]]:
    """The suggester on the import's columns: onto asset fields, or connection fields for a
    connection export (`core.mapping.kind`)."""
    from core.mapping import suggest_mappings, value_fingerprint

    pairs = list(zip(columns, column_samples, strict=True))
    if kind == "connections":
        from core.mapping.kind import suggest_for_schema

        suggestions = suggest_for_schema(pairs, learned=learned)
    else:
        suggestions = suggest_mappings(pairs, learned=learned, use_semantic=use_semantic)
    if len(suggestions) != len(columns):
        raise RuntimeError(f"the suggester answered {len(suggestions)} columns for {len(columns)}")
    return list(suggestions), [value_fingerprint(s) for s in column_samples]


@dataclass(frozen=True)
class Precomputed:
    """Suggestions made before the import was stored (`precompute`), from the rows the reader gave:
    `generate_suggestions` uses them only when its own inputs are exactly these."""

    columns: tuple[str, ...]
    samples: tuple[tuple[str, ...], ...]
    learned: tuple[memory.LearnedDecision, ...]
    kind: str
    suggestions: tuple[Any, ...]
    fingerprints: tuple[str, ...]


def precompute(
    columns: Sequence[str],
    column_samples: Sequence[Sequence[str]],
    learned: Sequence[memory.LearnedDecision],
    kind: str,
) -> Precomputed:
    """The rules suggester's answer for `columns` (no database: safe on a thread of its own)."""
    suggestions, fingerprints = _run_suggester(columns, column_samples, list(learned), False, kind)
    return Precomputed(
        columns=tuple(columns),
        samples=tuple(tuple(c) for c in column_samples),
        learned=tuple(learned),
        kind=kind,
        suggestions=tuple(suggestions),
        fingerprints=tuple(fingerprints),
    )


def _checked_columns(imp: DataImport) -> list[str]:
    columns = list(imp.columns or [])
    if not columns:
        raise MappingDecisionError(
            message=f"import {imp.filename!r} has no columns to map",
            file=imp.filename,
            hint="import the file first: `migration-discovery import FILE --client NAME --engagement NAME`",
        )
    dupes = sorted(c for c, n in Counter(columns).items() if n > 1)
    if dupes:
        raise MappingDecisionError(
            message=f"the import names column(s) {', '.join(map(repr, dupes))} more than once",
            file=imp.filename,
            hint="re-import the file (the reader makes header names unique): `migration-discovery import "
            "FILE --client NAME --engagement NAME`",
        )
    return columns


def generate_suggestions(
    uow: UnitOfWork,
    import_id: uuid.UUID | str,
    *,
    use_semantic: bool | None = None,
    precomputed: Precomputed | None = None,
) -> list[MappingRow]:
    """Suggest a target for every column of the import and store it; returns the grid rows.

    Samples are the first records of the import (bounded), learned memory is the client's
    (`match_type: learned` suggestions also bring back the rules the consultants settled on).
    Writes a `mapping_suggested` flow event. Decided rows are never touched. `precomputed` (rules
    only) stands in for the suggester's run when its columns, samples, learned memory and kind are
    exactly what is read here.
    """
    imp = store.load_import(uow, import_id)
    columns = _checked_columns(imp)
    column_samples = samples.columns_samples(uow.session, imp.id, columns)
    learned = memory.learned_for(uow)
    from core.mapping.kind import import_kind

    kind = import_kind(imp.import_metadata)
    if (
        precomputed is not None
        and use_semantic is False
        and precomputed.columns == tuple(columns)
        and precomputed.samples == tuple(tuple(c) for c in column_samples)
        and precomputed.learned == tuple(learned)
        and precomputed.kind == kind
    ):
        suggestions, fingerprints = list(precomputed.suggestions), list(precomputed.fingerprints)
    else:
        suggestions, fingerprints = _run_suggester(columns, column_samples, learned, use_semantic, kind)
    learned_rules = memory.learned_rules(uow, columns)
    proposals = [
        _proposal(suggestion, fingerprint, "rules")
        for suggestion, fingerprint in zip(suggestions, fingerprints, strict=True)
    ]
    teachers = memory.teachers(uow) if any(p["match_type"] == "learned" for p in proposals) else []
    for column, proposal in zip(columns, proposals, strict=True):
        _learned_rules(learned_rules, proposal, column)
        _taught(teachers, proposal, column)
    return _store(uow, imp, columns, proposals, {"learned_entries": len(learned)})


def store_suggestions(
    uow: UnitOfWork,
    import_id: uuid.UUID | str,
    suggestions: Sequence[Any],
    *,
    suggested_by: str = "ai_agent",
) -> list[MappingRow]:
    """Store suggestions made elsewhere (an AI crew): one per column, in the import's column
    order, each with target_field, confidence, match_type, transformation_rules, explanation
    (e.g. `core.mapping.models.FieldMappingSuggestion`). Same rules as `generate_suggestions`:
    undecided rows are refreshed, decided rows kept."""
    if suggested_by not in SUGGESTERS:
        raise ValueError(f"suggested_by must be one of {SUGGESTERS}")
    from core.mapping import value_fingerprint

    imp = store.load_import(uow, import_id)
    columns = _checked_columns(imp)
    if len(suggestions) != len(columns):
        raise MappingDecisionError(
            message=f"{len(suggestions)} suggestion(s) for {len(columns)} column(s)",
            file=imp.filename,
            hint="give one suggestion per column, in column order",
        )
    column_samples = samples.columns_samples(uow.session, imp.id, columns)
    proposals = [
        _proposal(sg, value_fingerprint(vals), suggested_by)
        for sg, vals in zip(suggestions, column_samples, strict=True)
    ]
    return _store(uow, imp, columns, proposals, {})


def _store(
    uow: UnitOfWork,
    imp: DataImport,
    columns: list[str],
    proposals: list[dict[str, Any]],
    event_extra: dict[str, Any],
) -> list[MappingRow]:
    """Write one row per column (create / refresh undecided / keep decided) and log it."""
    from core.mapping_review.queries import mapping_rows

    tenant = store.require_tenant(uow)
    s = uow.session
    # lock only to write (the suggester may take seconds): decisions made meanwhile are seen here
    store.lock_import(s, imp.id)
    existing = {row.source_field: row for row in store.rows_of_import(s, imp.id, lock=True)}
    created = refreshed = kept = 0
    matched: Counter[str] = Counter()
    for position, (column, proposal) in enumerate(zip(columns, proposals, strict=True)):
        matched[proposal["match_type"]] += 1
        row = existing.get(column)
        if row is None:
            row = ImportFieldMapping(
                data_import_id=imp.id,
                source_field=column,
                source_position=position,
                status="suggested",
                client_account_id=tenant.client_account_id,
                engagement_id=tenant.engagement_id,
            )
            apply_proposal(row, proposal)
            s.add(row)
            created += 1
            continue
        if row.source_position != position:
            row.source_position = position
        if row.status == "suggested":
            before = (row.target_field, row.confidence_score, row.transformation_rules, row.match_type)
            apply_proposal(row, proposal)
            after = (row.target_field, row.confidence_score, row.transformation_rules, row.match_type)
            refreshed += before != after
        else:
            kept += 1
    s.flush()
    store.record_event(
        uow,
        imp,
        store.flow_for_import(s, tenant, imp.id),
        "mapping_suggested",
        {
            "columns": len(columns),
            "created": created,
            "refreshed": refreshed,
            "kept_decided": kept,
            "with_target": sum(1 for p in proposals if p["target_field"]),
            "match_types": dict(matched),
            "suggested_by": proposals[0]["suggested_by"] if proposals else None,
            **event_extra,
        },
    )
    s.flush()
    rows = mapping_rows(uow, imp.id)
    uow.note(OpChanges(mappings=True, import_ids=ids(imp.id), count=len(rows)))
    return rows


def suggest_after_import(uow: UnitOfWork, import_id: uuid.UUID | str) -> list[MappingRow]:
    """Hook for the import pipeline: suggestions ready before the wizard shows the review grid.

    Runs in the caller's transaction (no commit), so the import and its suggestions become
    visible together.
    """
    return generate_suggestions(uow, import_id)
