"""The agents' tools, backed by core: what an agent sees is what the consultant sees.

`CrewInputs` is read once, before the crew runs, in one read-only unit of work: the column
profiles (`core.queries.profiles.column_profiles`, the profiler the Profile pane and `profile`
show), the first records' values (`core.mapping_review.samples`), the rules suggester's rows and the
target schema (`core.mapping.schema`). The tools answer from it — bounded by `core.agents.budget`,
masked when the setting says so — so a tool call never reads the database from the crew's thread
and no answer carries a whole column, let alone a file. `test_transformation` runs the real
value pipeline (`core.values.rules.apply_rules`) on the samples.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from core.agents import budget
from core.mapping.schema import TargetSchema
from core.profiling.model import ColumnProfile, ImportProfile

LOW_CONFIDENCE = 0.6
"""Rules suggestions below this (or without a target) are what the mapping agent reviews."""


def _haystack(target: Any) -> str:
    return f"{target.name} {target.description} {' '.join(target.synonyms)}".lower()


@dataclass(frozen=True)
class RulesRow:
    """The deterministic engine's row for one column, as the mapping agent reviews it."""

    column: str
    target_field: str | None
    confidence: float
    status: str
    explanation: str | None


@dataclass
class CrewInputs:
    """Everything the tools may show, read before the crew starts."""

    import_id: uuid.UUID
    filename: str
    kind: str
    columns: list[str]  # under review, at most budget.MAX_COLUMNS
    all_columns: int
    profile: ImportProfile
    samples: dict[str, list[str]]
    rules: dict[str, RulesRow]
    schema: TargetSchema
    mask_pii: bool = False
    calls: list[str] = field(default_factory=list)  # tool calls made, for the run's record

    # ------------------------------------------------------------------ summaries in task text

    def column_line(self, name: str) -> str:
        """One line per column for a task's text: type, fill, distinct, first values."""
        col = self.profile.column(name)
        values = ", ".join(repr(budget.value(v, self.mask_pii)) for v in self.samples.get(name, [])[:3])
        if col is None:
            return f"- {name!r}: e.g. {values}"
        return (
            f"- {name!r}: {col.inferred_type} ({col.type_share:.0%} fit), {col.filled}/{col.records} filled, "
            f"{col.distinct} distinct ({col.cardinality}); e.g. {values}"
        )

    def rules_line(self, name: str) -> str:
        row = self.rules.get(name)
        if row is None or not row.target_field:
            return f"- {name!r}: no target suggested"
        why = row.explanation or ""
        return f"- {name!r}: rules suggest {row.target_field} at {row.confidence:.2f} ({why})"

    # ------------------------------------------------------------------------------- the tools

    def profile_column(self, column: str) -> str:
        """The profiler's answer for one column (types, fill, cardinality, patterns, numbers, dates)."""
        self.calls.append(f"profile_column({column!r})")
        col = self.profile.column(column)
        if col is None:
            return self._unknown(column)
        return budget.clip(json.dumps(self._profile_dict(col), ensure_ascii=False), budget.MAX_TOOL_CHARS)

    def sample_values(self, column: str) -> str:
        """Up to MAX_SAMPLE_VALUES distinct values of a column, in file order."""
        self.calls.append(f"sample_values({column!r})")
        if column not in self.samples:
            return self._unknown(column)
        values = [budget.value(v, self.mask_pii) for v in self.samples[column][: budget.MAX_SAMPLE_VALUES]]
        payload = {"column": column, "values": values, "of_records": self.profile.records}
        return budget.clip(json.dumps(payload, ensure_ascii=False), budget.MAX_TOOL_CHARS)

    def target_schema(self, query: str = "") -> str:
        """Target fields (name, type, unit, description) whose name or description mentions `query`."""
        self.calls.append(f"target_schema({query!r})")
        words = [w for w in query.lower().split() if w]
        found = [
            {"name": f.name, "type": f.type, "unit": f.unit, "description": budget.clip(f.description, 160)}
            for f in self.schema.fields
            if not words or any(w in _haystack(f) for w in words)
        ]
        payload = {"fields": found[:40], "matching": len(found), "of": len(self.schema.fields)}
        return budget.clip(json.dumps(payload, ensure_ascii=False), budget.MAX_TOOL_CHARS)

    def test_transformation(self, column: str, target_field: str, rules_json: str = "{}") -> str:
        """`core.values.rules.apply_rules` on the column's samples for a target: value or error each."""
        from core.values.rules import apply_rules

        self.calls.append(f"test_transformation({column!r}, {target_field!r})")
        if column not in self.samples:
            return self._unknown(column)
        target = self.schema.get(target_field)
        if target is None:
            return json.dumps({"error": f"no target field {target_field!r}; use target_schema to find one"})
        try:
            rules = json.loads(rules_json or "{}")
        except ValueError as exc:
            return json.dumps({"error": f"rules_json is not JSON ({exc})"})
        if not isinstance(rules, dict):
            return json.dumps({"error": "rules_json must be a JSON object"})
        results = []
        for raw in self.samples[column][: budget.MAX_SAMPLE_VALUES]:
            value, error = apply_rules(raw, rules, target.type)
            results.append(
                {
                    "raw": budget.value(raw, self.mask_pii),
                    "value": budget.value(value, self.mask_pii) if value is not None else None,
                    "error": error,
                }
            )
        failing = sum(1 for r in results if r["error"])
        payload = {"target": target.name, "type": target.type, "results": results, "failing": failing}
        return budget.clip(json.dumps(payload, ensure_ascii=False, default=str), budget.MAX_TOOL_CHARS)

    # -------------------------------------------------------------------------------- helpers

    def _unknown(self, column: str) -> str:
        return json.dumps({"error": f"no column {column!r} under review", "columns": self.columns[:50]})

    def _profile_dict(self, col: ColumnProfile) -> dict[str, Any]:
        mask = self.mask_pii
        out: dict[str, Any] = {
            "column": col.name,
            "records": col.records,
            "sampled": self.profile.sampled,
            "filled": col.filled,
            "null_share": round(col.null_share, 3),
            "blank_share": round(col.blank_share, 3),
            "inferred_type": col.inferred_type,
            "type_share": round(col.type_share, 3),
            "distinct": col.distinct,
            "cardinality": col.cardinality,
            "top_values": [
                {"value": budget.value(v.value, mask), "count": v.count}
                for v in col.top_values[: budget.MAX_SAMPLE_VALUES]
            ],
            "patterns": [
                {"pattern": p.pattern, "share": round(p.share, 3), "example": budget.value(p.example, mask)}
                for p in col.patterns[:5]
            ],
            "nonconforming": col.nonconforming,
        }
        if col.numeric is not None:
            n = col.numeric
            out["numeric"] = {
                **{k: getattr(n, k) for k in ("min", "q1", "median", "q3", "max", "mean", "std")},
                "iqr_outliers": n.iqr_outliers.count,
                "zscore_outliers": n.zscore_outliers.count,
            }
        if col.dates is not None:
            d = col.dates
            out["dates"] = {"min": d.min, "max": d.max, "count": d.count, "unreadable": d.unreadable}
        keys = [k.columns for k in self.profile.checks.candidate_keys if col.name in k.columns][:3]
        if keys:
            out["candidate_keys"] = keys
        dupes = next((d for d in self.profile.checks.duplicate_keys if d.column == col.name), None)
        if dupes is not None:
            out["duplicates"] = {"values": dupes.duplicate_values, "records": dupes.duplicate_records}
        return out
