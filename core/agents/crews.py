"""The three agents, their tasks and the crews that chain them (plain data: no crewai here).

- `schema` analyst: per column the inferred type, key candidates, quality observations and
  migration challenges (`SchemaAnalysis`);
- `quality` analyst: completeness, accuracy, consistency and uniqueness findings with severity,
  rows affected and a cleansing recommendation (`QualityReport`);
- `mapping` reviewer: for the columns the rules suggester left unmapped or below
  `tools.LOW_CONFIDENCE`, a target from the schema (or none) with its reasoning (`MappingReview`).

Crews run their tasks in sequence, each later task getting the earlier answers as context:
`schema` = schema analysis; `quality` = schema analysis → data quality; `mapping` = schema
analysis → field mapping. The texts carry the bounded column summaries of `CrewInputs`; details
come through the tools.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from core.agents import budget
from core.agents.outputs import MappingReview, QualityReport, SchemaAnalysis
from core.agents.tools import CrewInputs

CREW_NAMES = ("schema", "quality", "mapping")


@dataclass(frozen=True)
class AgentSpec:
    role: str
    goal: str
    backstory: str
    tools: tuple[str, ...]  # CrewInputs method names


@dataclass(frozen=True)
class TaskSpec:
    name: str
    agent: str
    output: type[BaseModel]
    describe: Callable[[CrewInputs], str]
    expected: str
    # which columns the answer may name (for validation): all under review, or the mapping's
    columns: Callable[[CrewInputs], list[str]]


AGENTS: dict[str, AgentSpec] = {
    "schema": AgentSpec(
        role="Schema analyst",
        goal="Describe what each column of an inventory export really holds, for a cloud migration.",
        backstory="You analyse CMDB and discovery-tool exports. You rely on the profile tools, never guess "
        "values you have not seen, and keep every statement short.",
        tools=("profile_column", "sample_values"),
    ),
    "quality": AgentSpec(
        role="Data quality analyst",
        goal="Find the data-quality problems that would hurt a migration and say how to cleanse them.",
        backstory="You assess completeness, accuracy, consistency and uniqueness from column profiles and "
        "count the affected rows from the profile, not from guesses.",
        tools=("profile_column", "sample_values"),
    ),
    "mapping": AgentSpec(
        role="Field mapping reviewer",
        goal="Propose the target field for source columns the deterministic engine could not map surely.",
        backstory="You know the target asset schema. You check a candidate with test_transformation before "
        "proposing it, and you propose no target rather than a wrong one.",
        tools=("target_schema", "sample_values", "test_transformation", "profile_column"),
    ),
}


def mapping_columns(inputs: CrewInputs) -> list[str]:
    """Undecided columns the rules left unmapped or below LOW_CONFIDENCE, in file order."""
    from core.agents.tools import LOW_CONFIDENCE

    out = []
    for name in inputs.columns:
        row = inputs.rules.get(name)
        if row is None or row.status != "suggested":
            continue
        if not row.target_field or row.confidence < LOW_CONFIDENCE:
            out.append(name)
    return out


def _header(inputs: CrewInputs) -> str:
    p = inputs.profile
    scope = f"the first {p.records} of {p.of} records" if p.sampled else f"all {p.records} records"
    more = (
        f" (the first {len(inputs.columns)} of its {inputs.all_columns} columns)"
        if inputs.all_columns > len(inputs.columns)
        else ""
    )
    return f"Import {inputs.filename!r}{more}, profiled over {scope}."


def _schema_text(inputs: CrewInputs) -> str:
    lines = "\n".join(inputs.column_line(c) for c in inputs.columns)
    return budget.clip(
        f"{_header(inputs)}\nColumns:\n{lines}\n\nFor every column give its inferred type, whether it is a "
        "key candidate, quality observations and migration challenges. Use profile_column or "
        "sample_values for details.",
        budget.MAX_TASK_CHARS,
    )


def _quality_text(inputs: CrewInputs) -> str:
    checks = inputs.profile.checks
    keys = "; ".join("+".join(k.columns) for k in checks.candidate_keys[:5]) or "none"
    return budget.clip(
        f"{_header(inputs)}\nColumns: {', '.join(repr(c) for c in inputs.columns)}\n"
        f"Candidate keys: {keys}. Duplicate records: {checks.duplicate_rows}.\n\n"
        "Report completeness, accuracy, consistency and uniqueness findings: column (or null), dimension, "
        "severity, rows affected (from the profile), description and a cleansing recommendation.",
        budget.MAX_TASK_CHARS,
    )


def _mapping_text(inputs: CrewInputs) -> str:
    review = mapping_columns(inputs)
    lines = "\n".join(f"{inputs.column_line(c)}\n  {inputs.rules_line(c).lstrip('- ')}" for c in review)
    targets = ", ".join(inputs.schema.names)
    return budget.clip(
        f"{_header(inputs)}\nColumns to review:\n{lines}\n\nTarget fields: {targets}.\n"
        "For each column propose one target field from that list, or null when none fits, with a confidence "
        "between 0 and 1 and your reasoning in one or two sentences. Use target_schema for descriptions and "
        "test_transformation to check that the values convert.",
        budget.MAX_TASK_CHARS,
    )


TASKS: dict[str, TaskSpec] = {
    "schema_analysis": TaskSpec(
        "schema_analysis",
        "schema",
        SchemaAnalysis,
        _schema_text,
        "JSON: one entry per column and a one-paragraph summary",
        lambda i: list(i.columns),
    ),
    "data_quality": TaskSpec(
        "data_quality",
        "quality",
        QualityReport,
        _quality_text,
        "JSON: the findings and a one-paragraph summary",
        lambda i: list(i.columns),
    ),
    "field_mapping": TaskSpec(
        "field_mapping",
        "mapping",
        MappingReview,
        _mapping_text,
        "JSON: one proposal per column under review",
        mapping_columns,
    ),
}

CREWS: dict[str, tuple[str, ...]] = {
    "schema": ("schema_analysis",),
    "quality": ("schema_analysis", "data_quality"),
    "mapping": ("schema_analysis", "field_mapping"),
}
