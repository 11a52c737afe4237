"""The answers the tasks must give, as Pydantic models: validated before anything is used.

The models are flat and closed (no free-form objects), so their JSON schema is short enough to
put in the task's text (`format_instructions`): that, not a `json_schema` response format, is how
the model learns the shape, so servers without structured-output support work too.
`validate_answer` is the one check: JSON (optionally in a code fence) that fits the model, plus
the rules a schema cannot say (columns the task asked about, targets the schema has). A task whose
answer fails it is asked once more, then the run fails as malformed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

Severity = Literal["low", "medium", "high"]
Dimension = Literal["completeness", "accuracy", "consistency", "uniqueness"]


class ColumnAnalysis(BaseModel):
    column: str
    inferred_type: str
    key_candidate: bool
    observations: list[str] = Field(description="quality observations, one sentence each")
    challenges: list[str] = Field(description="migration challenges, one sentence each")


class SchemaAnalysis(BaseModel):
    """Schema analysis: per column inferred type, key candidates, observations, challenges."""

    columns: list[ColumnAnalysis]
    summary: str


class QualityFinding(BaseModel):
    column: str | None = Field(description="the column, or null for a finding across columns")
    dimension: Dimension
    severity: Severity
    rows_affected: int = Field(ge=0)
    description: str
    recommendation: str = Field(description="the cleansing recommendation")


class QualityReport(BaseModel):
    """Data quality: findings with severity and the rows affected, cleansing recommendations."""

    findings: list[QualityFinding]
    summary: str


class MappingProposal(BaseModel):
    column: str
    target_field: str | None = Field(description="a target field name from the schema, or null: none fits")
    confidence: float = Field(ge=0.0, le=1.0)
    reasoning: str


class MappingReview(BaseModel):
    """Field mapping: a proposed target with reasons for each column under review."""

    proposals: list[MappingProposal]


class MalformedAnswer(ValueError):
    """An answer that is no valid instance of its model (the message says what is wrong)."""


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse(text: str, model: type[BaseModel]) -> BaseModel:
    """`text` (JSON, maybe fenced) as `model`; MalformedAnswer says why not."""
    raw = text.strip()
    fenced = _FENCE.match(raw)
    if fenced:
        raw = fenced.group(1)
    try:
        return model.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"the answer is not JSON ({exc.msg} at character {exc.pos})") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise MalformedAnswer(f"the answer does not fit {model.__name__}: {problems}") from exc


def format_instructions(model: type[BaseModel]) -> str:
    """What the task's text says about the answer's shape: `model`'s JSON schema, compact."""
    schema = json.dumps(model.model_json_schema(), separators=(",", ":"))
    return (
        "Your final answer is one JSON object and nothing else (no code fence, no comment), fitting this "
        f"JSON schema: {schema}"
    )


def validate_answer(
    text: str,
    model: type[BaseModel],
    *,
    columns: Collection[str] = (),
    targets: Collection[str] = (),
) -> BaseModel:
    """`parse`, then the cross-checks: every column named is one asked about, every target exists."""
    answer = parse(text, model)
    asked = set(columns)
    named: list[str] = []
    if isinstance(answer, SchemaAnalysis):
        named = [c.column for c in answer.columns]
    elif isinstance(answer, QualityReport):
        named = [f.column for f in answer.findings if f.column]
    elif isinstance(answer, MappingReview):
        named = [p.column for p in answer.proposals]
        unknown_targets = sorted({p.target_field for p in answer.proposals if p.target_field} - set(targets))
        if unknown_targets:
            raise MalformedAnswer(f"no such target field(s): {', '.join(unknown_targets)}")
    unknown = sorted(set(named) - asked) if asked else []
    if unknown:
        raise MalformedAnswer(f"not a column under review: {', '.join(unknown)}")
    return answer
