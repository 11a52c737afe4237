"""Small helpers shared by the mapping tests."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from core.mapping import FieldMappingSuggestion, suggest_mappings

CASES = Path(__file__).parent / "cases"
SHARED_CASES = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "mapping" / "cases"


def suggest(
    columns: Sequence[tuple[str, Sequence[str]]], **kwargs: object
) -> dict[str, FieldMappingSuggestion]:
    """Suggestions keyed by header (semantic evidence off unless asked for)."""
    kwargs.setdefault("use_semantic", False)
    return {s.source_field: s for s in suggest_mappings(columns, **kwargs)}  # type: ignore[arg-type]


def read_case(csv_path: Path) -> list[tuple[str, list[str]]]:
    """A case CSV as (header, values) columns; the delimiter is sniffed."""
    text = csv_path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    rows = list(csv.reader(text.splitlines(), dialect))
    header, data = rows[0], rows[1:201]
    return [(h, [r[i] if i < len(r) else "" for r in data]) for i, h in enumerate(header)]


def score_dir(directory: Path, **kwargs: object) -> dict[str, float]:
    """The benchmark metrics (as in score.py) of the engine over a directory of cases."""
    n = ok = mappable = mappable_ok = nulls = false_maps = units = units_ok = 0
    for truth_file in sorted(directory.glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        got = suggest(
            read_case(truth_file.with_name(truth_file.name.replace(".truth.json", ".csv"))), **kwargs
        )
        for header, t in truth["columns"].items():
            m = got[header]
            right = m.target_field in t["accept"]
            n += 1
            ok += right
            if any(a is not None for a in t["accept"]):
                mappable += 1
                mappable_ok += right
            else:
                nulls += 1
                false_maps += m.target_field is not None
            if (t.get("scale") or t.get("invert")) and right and m.target_field is not None:
                units += 1
                rules = m.transformation_rules or {}
                if t.get("invert"):
                    units_ok += bool(rules.get("invert"))
                else:
                    s = rules.get("scale")
                    units_ok += isinstance(s, int | float) and abs(s - t["scale"]) <= 0.02 * abs(t["scale"])
    return {
        "columns": n,
        "accuracy": ok / max(1, n),
        "mappable": mappable_ok / max(1, mappable),
        "false_maps": false_maps / max(1, nulls),
        "units": units_ok / max(1, units),
    }
