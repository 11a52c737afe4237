"""Use case: run an AI crew on a discovery flow's import (issue 16).

`run_crew` reads what the tools may show (one read-only unit of work, then the column profiler),
runs the crew outside any transaction (it may take minutes), then stores everything in one
transaction: the `crew_outputs` row, the mapping crew's proposals as `ai_agent` suggestions on
undecided rows, a `crew_completed` flow event — or nothing of that when anything failed. A failure
(timeout, HTTP 4xx/5xx, refused, malformed answer, cancel) is recorded in a transaction of its own:
a `crew_outputs` row with status failed/cancelled, the error and its recovery hint, and a
`crew_failed` event with the error code and class of the flow error path; then it is raised as a
`CrewFailed` (a `PhaseError`). The flow's status is left as it is: the crews are an addition on
top of the deterministic engine and never block it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from core.actions.outcome import Outcome
from core.agents import budget
from core.agents.crews import CREW_NAMES, mapping_columns
from core.agents.outputs import MappingReview
from core.agents.runtime import CrewFailed, CrewRun
from core.agents.settings import LLMSettings, require_configured
from core.agents.tools import CrewInputs, RulesRow
from core.changes import attach
from core.errors import UserInputError
from core.progress import CancelToken, ProgressFn
from core.uow import Tenant, UnitOfWorkFactory


@dataclass(frozen=True)
class CrewResult:
    """What `agents run --json` prints (`to_dict`), plus the stored row's id and skipped columns."""

    crew: str
    model: str
    tasks: list[dict[str, Any]]
    suggestions: int
    findings: int
    crew_output_id: uuid.UUID | None
    seconds: float
    requests: int
    prompt_bytes: int
    columns: int
    skipped_decided: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "crew": self.crew,
            "model": self.model,
            "tasks": [{k: t[k] for k in ("name", "status", "tokens")} for t in self.tasks],
            "suggestions": self.suggestions,
            "findings": self.findings,
        }


def _inputs(uows: UnitOfWorkFactory, tenant: Tenant, flow_id: uuid.UUID | str, crew: str, mask: bool) -> Any:
    from core.flows.store import load_flow
    from core.mapping.kind import import_kind
    from core.mapping.schema import schema_for_kind
    from core.mapping_review import samples
    from core.mapping_review import store as mapping_store
    from core.queries.profiles import column_profiles

    with uows(tenant) as uow:
        flow = load_flow(uow, flow_id)
        if flow.data_import_id is None:
            raise UserInputError(
                f"flow {flow.id} has no data import for the AI crew to look at",
                hint="import a file first: `migration-discovery import FILE --client NAME --engagement NAME`",
            )
        imp = mapping_store.load_import(uow, flow.data_import_id)
        columns = list(imp.columns or [])
        rules = {
            r.source_field: RulesRow(
                r.source_field, r.target_field, r.confidence_score, r.status, r.explanation
            )
            for r in mapping_store.rows_of_import(uow.session, imp.id)
        }
        values = samples.columns_samples(uow.session, imp.id, columns)
        kind = import_kind(imp.import_metadata)
        filename, import_id = imp.filename, imp.id
    if crew == "mapping":
        undecided = [c for c in columns if c in rules]
        probe = CrewInputs(import_id, filename, kind, undecided, len(columns), None, {}, rules, None)  # type: ignore[arg-type]
        chosen = mapping_columns(probe)[: budget.MAX_COLUMNS]
    else:
        chosen = columns[: budget.MAX_COLUMNS]
    profile = column_profiles(uows, tenant, import_id, columns=chosen) if chosen else None
    sample_map = {
        c: samples.distinct_values(values[i], budget.MAX_SAMPLE_VALUES)
        for i, c in enumerate(columns)
        if c in chosen
    }
    return CrewInputs(
        import_id=import_id,
        filename=filename,
        kind=kind,
        columns=chosen,
        all_columns=len(columns),
        profile=profile,  # type: ignore[arg-type]
        samples=sample_map,
        rules=rules,
        schema=schema_for_kind(kind),
        mask_pii=mask,
    )


def run_crew(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    crew: str,
    settings: LLMSettings,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Outcome[CrewResult]:
    """Run crew `crew` (schema | quality | mapping) on the flow's import; see the module docstring."""
    from core.agents import runtime
    from core.agents import store as crew_store
    from core.flows.store import load_flow

    if crew not in CREW_NAMES:
        raise UserInputError(f"no crew {crew!r}", hint=f"choose one of {', '.join(CREW_NAMES)}")
    require_configured(settings)
    inputs = _inputs(uows, tenant, flow_id, crew, settings.mask_pii)
    recording = uows.recording()
    if not inputs.columns:  # nothing to ask the model: no request is made
        run = CrewRun(crew, str(settings.model), settings.endpoint, [], status="completed")
        with recording(tenant) as uow:
            flow = load_flow(uow, flow_id, lock=True)
            row = crew_store.record_run(uow, flow, run, details={"note": "no column to review"})
            uow.commit()
        return Outcome(_result(run, 0, row.id, 0, []), recording.changes)
    try:
        run = runtime.run_crew(crew, inputs, settings, progress=progress, cancel=cancel)
    except CrewFailed as failure:
        with recording(tenant) as uow:
            flow = load_flow(uow, flow_id, lock=True)
            crew_store.record_run(
                uow,
                flow,
                failure.run,
                error=str(failure),
                hint=failure.recovery_hint,
                details={"error_code": failure.error_code, "error_class": failure.error_class},
            )
            uow.commit()
        raise attach(failure, recording.changes)  # noqa: B904 - the same exception, with what was committed
    with recording(tenant) as uow:
        flow = load_flow(uow, flow_id, lock=True)
        stored, skipped = 0, []
        review = run.outputs.get("field_mapping")
        if isinstance(review, MappingReview):
            stored, skipped = crew_store.apply_mapping_review(uow, inputs.import_id, review, run.model)
        row = crew_store.record_run(
            uow, flow, run, suggestions=stored, details={"skipped_decided": skipped} if skipped else None
        )
        uow.commit()
    return Outcome(_result(run, stored, row.id, len(inputs.columns), skipped), recording.changes)


def _result(run: CrewRun, stored: int, row_id: uuid.UUID, columns: int, skipped: list[str]) -> CrewResult:
    from core.agents.outputs import QualityReport

    quality = run.outputs.get("data_quality")
    return CrewResult(
        crew=run.crew,
        model=run.model,
        tasks=[t.to_dict() for t in run.tasks],
        suggestions=stored,
        findings=len(quality.findings) if isinstance(quality, QualityReport) else 0,
        crew_output_id=row_id,
        seconds=round(run.seconds, 3),
        requests=run.requests,
        prompt_bytes=run.prompt_bytes,
        columns=columns,
        skipped_decided=skipped,
    )
