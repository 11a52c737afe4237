"""The mapping suggester: one suggestion per source column, solved for the whole table.

Pipeline per column: normalise the header, profile the values, collect name / value / context
/ semantic / learned evidence, check each candidate against units, statistics, quantities and
values; then assign targets globally and explain every result in one line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from core.mapping.assignment import assign
from core.mapping.evidence import (
    Candidate,
    ColumnEvidence,
    apply_context,
    check_candidate,
    name_candidates,
    value_candidates,
)
from core.mapping.learned import coerce_decisions, hints_for
from core.mapping.models import Alternative, FieldMappingSuggestion
from core.mapping.normalize import normalize
from core.mapping.phrases import match_names
from core.mapping.schema import TargetSchema, load_target_schema
from core.mapping.transforms import build_rules
from core.mapping.values import MAX_SAMPLES, profile_values, value_fingerprint
from core.mapping.vocabulary import Vocabulary, load_vocabulary

ACCEPT = 0.5
LEARNED_BONUS = 1.0
NAME_TYPES = frozenset({"exact", "synonym", "fuzzy"})


def _samples(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for v in values:
        if len(out) >= MAX_SAMPLES:
            break
        out.append("" if v is None else str(v))
    return out


def _semantic_wanted(use_semantic: bool | None) -> bool:
    if use_semantic is not None:
        return use_semantic
    if os.environ.get("MD_NO_SEMANTIC", "").strip() not in ("", "0", "false", "no"):
        return False
    from core.mapping import semantic

    return semantic.available()


def _weight(c: Candidate) -> float:
    """Assignment weight: the squared margin above the acceptance line, so that two weak
    matches never outweigh one strong one; learned decisions come first."""
    margin = c.score - ACCEPT + 0.01
    return margin * margin + (LEARNED_BONUS if c.match_type == "learned" else 0.0)


def _collect(pos: int, header: str, samples: list[str], schema: TargetSchema) -> ColumnEvidence:
    form = normalize(header)
    profile = profile_values(samples)
    col = ColumnEvidence(pos, header, form, profile)
    matches = match_names(form, schema=schema) if (form.core or form.compact) else {}
    cands, none_match = name_candidates(header, form, profile, matches, schema)
    for c in value_candidates(profile, schema, cands):
        if not header.strip():
            c.add(-0.05, "header is empty")
        cands[c.target] = c
    col.candidates = cands
    col.no_target = none_match
    return col


def _name_best(col: ColumnEvidence) -> float:
    return max((c.name_score for c in col.candidates.values() if c.match_type in NAME_TYPES), default=0.0)


def _add_semantic(columns: Sequence[ColumnEvidence], schema: TargetSchema, vocab: Vocabulary) -> None:
    """Meaning-based candidates for columns whose names the vocabulary does not cover well.

    Only those headers go through the encoder (the costly part): a header the vocabulary reads
    with confidence, or that names a known no-target concept, gains nothing from it.
    """
    from core.mapping import semantic

    matcher = semantic.get_matcher()
    if matcher is None:
        return
    wanted = [
        c
        for c in columns
        if c.form.core and _name_best(c) < 0.8 and not (c.no_target is not None and c.no_target.score >= 0.8)
    ]
    if not wanted:
        return
    for col, ranking in zip(wanted, matcher.rank([c.header for c in wanted]), strict=True):
        none_cos = max((cos for t, cos in ranking if t.startswith("none:")), default=0.0)
        words = [t for t in col.form.core if t not in vocab.soft_tokens]
        floor = semantic.MIN_COSINE_ONE_WORD if len(words) <= 1 else semantic.MIN_COSINE
        for rank, (target, cos) in enumerate(ranking):
            if target.startswith("none:") or target not in schema:
                continue
            if cos < floor or cos < none_cos + semantic.MARGIN_OVER_NONE:
                continue
            score = semantic.score_from_cosine(cos) - 0.03 * rank
            existing = col.candidates.get(target)
            if score < ACCEPT or (existing is not None and existing.score >= score):
                continue
            field = schema[target]
            reason = f"'{col.header}' means about the same as '{field.description}' (similarity {cos:.2f})"
            col.candidates[target] = Candidate(target, score, "semantic", [reason], name_score=score)


def _resolve_no_target(col: ColumnEvidence) -> None:
    """A header that names a known no-target concept stays unmapped unless a field name beats it."""
    none = col.no_target
    if none is None:
        return
    best_name = max(
        (c.name_score for c in col.candidates.values() if c.match_type in NAME_TYPES), default=0.0
    )
    if none.score >= best_name and none.score >= 0.6:
        col.candidates.clear()
        concept = none.target.split(":", 1)[1]
        col.note = f"'{col.header}' is {concept} (as '{none.phrase.text}'): no target field holds it"


def _apply_learned(
    col: ColumnEvidence, decisions: list[Any], schema: TargetSchema, vocab: Vocabulary
) -> None:
    if not decisions:
        return
    fingerprint = value_fingerprint(col.profile_samples)  # type: ignore[attr-defined]
    hint, rejected = hints_for(col.header, fingerprint, decisions)
    for t in rejected:
        if t in col.candidates:
            del col.candidates[t]
    if rejected:
        col.note = col.note or f"rejected before: {', '.join(sorted(rejected))}"
    if hint is None:
        return
    col.learned = hint
    if hint.target is None:
        col.candidates.clear()
        col.note = f"left unmapped {hint.count} time(s) before for this header"
        return
    if hint.target not in schema:
        return
    how = "with values of the same shape" if hint.same_values else "(values look different now)"
    cand = Candidate(
        hint.target,
        hint.score,
        "learned",
        [f"approved {hint.count} time(s) before for '{col.header}' {how}"],
        invert=(col.candidates.get(hint.target) or Candidate(hint.target, 0, "none")).invert,
    )
    check_candidate(cand, schema[hint.target], col.form, col.profile, vocab, schema)
    cand.score = hint.score  # consultants' decisions outrank the checks; the checks still give units
    cand.veto = None
    col.candidates[hint.target] = cand


def _unmapped(
    col: ColumnEvidence,
    taken: tuple[str, int] | None,
    columns: Sequence[ColumnEvidence],
    ranked: list[Candidate],
) -> tuple[str, float]:
    if col.note and not ranked:
        conf = col.no_target.score if col.no_target is not None else 0.8
        return col.note, conf
    if taken is not None:
        target, owner = taken
        mine = col.candidates[target].score
        theirs = columns[owner].candidates[target].score
        return (
            f"best field {target} goes to '{columns[owner].header}' ({theirs:.2f} vs {mine:.2f}); "
            f"no other field fits"
        ), max(0.3, 1 - mine)
    if ranked:
        top = ranked[0]
        if top.veto:
            return f"closest field {top.target} rejected: {top.veto}", max(0.3, min(0.95, 1 - top.score))
        first = top.reasons[0] if top.reasons else "-"
        conf = max(0.3, min(0.95, 1 - top.score))
        return f"closest field {top.target} is too weak ({top.score:.2f}): {first}", conf
    if not col.header.strip():
        return "empty header and no telling values", 0.6
    return f"no field matches '{col.header}' by name or values", 0.7


def suggest_mappings(
    columns: Sequence[tuple[str, Sequence[str]]],
    *,
    learned: Iterable[Any] | None = None,
    use_semantic: bool | None = None,
    schema: TargetSchema | None = None,
) -> list[FieldMappingSuggestion]:
    """Suggest a target field (or none) for every (header, sample values) column, in input order.

    `schema`: the targets to suggest (the asset target schema when None; a connection import passes
    `load_connection_schema()`). The semantic matcher's index covers the asset schema only.
    """
    if schema is not None and schema is not load_target_schema():
        use_semantic = False
    schema = schema or load_target_schema()
    vocab = load_vocabulary()
    decisions = coerce_decisions(learned)
    cols: list[ColumnEvidence] = []
    for pos, (header, values) in enumerate(columns):
        samples = _samples(values)
        col = _collect(pos, "" if header is None else str(header), samples, schema)
        col.profile_samples = samples  # type: ignore[attr-defined]
        cols.append(col)
    if cols and _semantic_wanted(use_semantic):
        _add_semantic(cols, schema, vocab)
    apply_context(cols, vocab, schema)
    for col in cols:
        for cand in col.candidates.values():
            check_candidate(cand, schema[cand.target], col.form, col.profile, vocab, schema)
        _resolve_no_target(col)
        _apply_learned(col, decisions, schema, vocab)
    scores = {
        col.position: {t: _weight(c) for t, c in col.candidates.items() if c.score >= ACCEPT} for col in cols
    }
    list_like = frozenset(f.name for f in schema.fields if f.list_like)
    result = assign(scores, list_like=list_like, threshold=0.0)
    out: list[FieldMappingSuggestion] = []
    for col in cols:
        ranked = col.ranked()
        target = result.targets.get(col.position)
        alternatives = tuple(
            Alternative(target_field=c.target, confidence=round(max(0.0, min(1.0, c.score)), 3))
            for c in ranked
            if c.target != target and c.score >= 0.35
        )[:3]
        if target is None:
            text, conf = _unmapped(col, result.taken_by.get(col.position), cols, ranked)
            out.append(
                FieldMappingSuggestion(
                    source_field=col.header,
                    target_field=None,
                    confidence=round(conf, 3),
                    match_type="none",
                    transformation_rules=None,
                    explanation=text,
                    alternatives=alternatives,
                    position=col.position,
                )
            )
            continue
        cand = col.candidates[target]
        field = schema[target]
        rules = build_rules(field, cand.unit, cand.invert, col.profile, col.profile_samples, vocab)  # type: ignore[attr-defined]
        reasons = list(dict.fromkeys(cand.reasons))
        if cand.invert and cand.match_type != "learned":
            reasons.append("flipped: invert")
        explanation = "; ".join(reasons[:4]) or f"maps to {target}"
        out.append(
            FieldMappingSuggestion(
                source_field=col.header,
                target_field=target,
                confidence=round(max(0.0, min(0.99, cand.score)), 3),
                match_type=cand.match_type,
                transformation_rules=rules,
                explanation=explanation,
                data_type=field.type,
                alternatives=alternatives,
                position=col.position,
            )
        )
    return out
