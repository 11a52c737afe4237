"""Does a column's data fit the target it is mapped to? The mapping preview over sampled values.

Why: a confident-sounding guess whose values cannot become values of its target (`Network #1` →
`subnet`, a status column → an enum it has no labels of) is a type mismatch. Such a suggestion
is never approved without a person looking at it (bulk approval, auto-finish) and the grid flags
it. The check is the mapping preview itself — the value pipeline's coercer, as cleansing applies
it — over the first distinct values of the column, so what it calls failing is what cleansing
would reject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.mapping_review import samples as sampling
from core.values import FieldCoercer, FieldSpec, asset_fields

FIT_SAMPLES = 20
"""Distinct non-empty values of a column the fit is judged on."""
MOSTLY = 0.5
"""A mapping fails its preview when more than this share of the sampled values do not fit."""


def _schema() -> Any:
    """Every target a mapping row may name: asset fields and connection fields."""
    from core.mapping.schema import load_any_schema

    return load_any_schema()


def target_type(target_field: str, rules: dict[str, Any] | None) -> str:
    """The type a column is parsed as: the rules' `data_type` override, else the target's."""
    override = (rules or {}).get("data_type")
    return str(override) if override else _schema()[target_field].type


def coercer(
    target_field: str, rules: dict[str, Any] | None, *, date_order: str | None = None
) -> FieldCoercer:
    """The value pipeline's coercer for a column mapped onto `target_field` with `rules`.

    `date_order` is the column's evidence for ambiguous dates (`samples.column_date_order`).
    """
    known = asset_fields().get(target_field)
    kind = target_type(target_field, rules)
    spec = replace(known, type=kind) if known else FieldSpec(target_field, kind, None)
    return FieldCoercer(spec, rules, date_order=date_order)


@dataclass(frozen=True)
class Fit:
    """How many sampled values were tried and how many did not fit (with the first failure)."""

    target_field: str
    checked: int = 0
    failed: int = 0
    example: str | None = None

    @property
    def failing(self) -> bool:
        return self.checked > 0 and self.failed > self.checked * MOSTLY

    def describe(self) -> str:
        text = f"the preview fails for {self.failed} of {self.checked} sampled values as {self.target_field}"
        return f"{text} (e.g. {self.example})" if self.example else text


def fit_of(target_field: str, rules: dict[str, Any] | None, values: Sequence[str]) -> Fit:
    """Try the column's distinct values (`values` as read) through the mapping's coercer."""
    if target_field not in _schema():
        return Fit(target_field)
    distinct = sampling.distinct_values(values, FIT_SAMPLES)
    coerce = coercer(target_field, rules)
    failed = 0
    example = None
    for raw in distinct:
        _value, problem = coerce(raw)
        if problem is not None:
            failed += 1
            example = example or f"{raw!r}: {problem.message}"
    return Fit(target_field, len(distinct), failed, example)


def fits_of_columns(
    records: Sequence[Sequence[str]],
    columns: Sequence[tuple[int, str | None, dict[str, Any] | None]],
) -> list[Fit | None]:
    """Per (position, target, rules): its `Fit` over `records`, None where there is no target."""
    return [
        fit_of(target, rules, sampling.column_values(records, position)) if target else None
        for position, target, rules in columns
    ]
