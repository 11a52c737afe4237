"""What the data-quality view shows, computed from a stored quality report (plain values).

Why separate from the widget: the numbers behind each bar (completeness per field, invalid values
per rule, the worst records) are what tests check; the widget only paints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor

from desktop_app.screens.assets.charts import Bar
from desktop_app.screens.assets.columns import header
from desktop_app.theme import colors

HIGH, MID = 95.0, 70.0


@dataclass(frozen=True)
class QualitySummary:
    filename: str
    total: int
    valid: int
    invalid: int
    duplicate_groups: int
    duplicate_records: int
    generated_at: str

    @property
    def valid_pct(self) -> float:
        return 100.0 * self.valid / self.total if self.total else 0.0


@dataclass(frozen=True)
class Offender:
    """One of the records with the most invalid values."""

    row: int
    errors: int
    fields: tuple[str, ...]


def summary(report: dict[str, Any]) -> QualitySummary:
    dup = report.get("duplicate_candidates") or {}
    return QualitySummary(
        filename=str(report.get("filename") or ""),
        total=int(report.get("total_records") or 0),
        valid=int(report.get("valid_records") or 0),
        invalid=int(report.get("invalid_records") or 0),
        duplicate_groups=int(dup.get("groups") or 0),
        duplicate_records=int(dup.get("records") or 0),
        generated_at=str(report.get("generated_at") or "")[:16].replace("T", " "),
    )


def completeness_colour(pct: float) -> QColor:
    c = colors()
    return c.bar_high if pct >= HIGH else (c.bar_mid if pct >= MID else c.bar_low)


def completeness_bars(report: dict[str, Any]) -> list[Bar]:
    """Per mapped (or derived) field, the share of records with a value; least complete first."""
    total = int(report.get("total_records") or 0)
    bars: list[tuple[float, str, Bar]] = []
    for name, info in (report.get("fields") or {}).items():
        pct = float(info.get("completeness") or 0.0)
        filled = int(info.get("filled") or 0)
        sources = ", ".join(info.get("source_columns") or []) or "derived from another field"
        invalid = int(info.get("invalid") or 0)
        label = header(name) + (" (derived)" if info.get("derived") else "")
        tip = (
            f"{header(name)}: {filled:,} of {total:,} records have a value ({pct:g} %)\n"
            f"source: {sources}" + (f"\n{invalid:,} invalid value(s) not kept" if invalid else "")
        )
        bars.append((pct, name, Bar(label, pct, 100.0, f"{pct:.0f} %", completeness_colour(pct), tip)))
    bars.sort(key=lambda b: (b[0], b[1]))
    return [b for _pct, _name, b in bars]


def invalid_rule_bars(report: dict[str, Any]) -> list[Bar]:
    """Invalid values per validation rule, most frequent first, with examples in the tooltip."""
    by_rule: dict[str, int] = report.get("invalid_by_rule") or {}
    examples: dict[str, list[dict[str, Any]]] = report.get("invalid_examples") or {}
    top = max(by_rule.values(), default=0)
    out: list[Bar] = []
    for rule, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        lines = [
            f"row {e.get('record_index')}: {header(str(e.get('field')))} {e.get('message') or ''}".rstrip()
            for e in examples.get(rule, [])[:5]
        ]
        tip = f"rule “{rule}”: {n:,} invalid value(s)" + ("\n" + "\n".join(lines) if lines else "")
        out.append(Bar(rule, float(n), float(top), f"{n:,}", colors().bar_low, tip))
    return out


def invalid_field_bars(report: dict[str, Any]) -> list[Bar]:
    """Invalid values per field, most frequent first."""
    by_field: dict[str, int] = report.get("invalid_by_field") or {}
    top = max(by_field.values(), default=0)
    return [
        Bar(header(name), float(n), float(top), f"{n:,}", colors().bar_mid, f"{header(name)}: {n:,} invalid")
        for name, n in sorted(by_field.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def worst_offenders(report: dict[str, Any], limit: int = 25) -> list[Offender]:
    return [
        Offender(int(w.get("record_index") or 0), int(w.get("errors") or 0), tuple(w.get("fields") or ()))
        for w in (report.get("worst_records") or [])[:limit]
    ]


@dataclass(frozen=True)
class AiFinding:
    """A finding of the AI quality crew (issue 16): a second opinion, shown apart and marked as AI."""

    column: str | None
    dimension: str
    severity: str
    rows_affected: int
    description: str
    recommendation: str
    model: str


def ai_findings(report: dict[str, Any]) -> list[AiFinding]:
    """The AI crew's findings stored with the report (`ai_findings`), most severe first."""
    ai = report.get("ai_findings") or {}
    rank = {"high": 0, "medium": 1, "low": 2}
    found = [
        AiFinding(
            f.get("column"),
            str(f.get("dimension") or ""),
            str(f.get("severity") or ""),
            int(f.get("rows_affected") or 0),
            str(f.get("description") or ""),
            str(f.get("recommendation") or ""),
            str(f.get("model") or ai.get("model") or ""),
        )
        for f in ai.get("findings") or []
    ]
    return sorted(found, key=lambda f: (rank.get(f.severity, 3), f.column or ""))
