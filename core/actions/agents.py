"""Use case: run an AI crew on a discovery flow's import (issue 16).

`run_crew` reads what the tools may show (one read-only unit of work, then the column profiler),
runs the crew outside any transaction (it may take minutes), then stores everything in one
transaction: the `crew_outputs` row, the mapping crew's proposals as `ai_agent` suggestions on
undecided rows, a `crew_completed` flow event — or nothing of that when anything failed. A failure
(timeout, HTTP 4xx/5xx, refused, malformed answer, cancel) is recorded in a transaction of its own:
a `crew_outputs` row with status failed/cancelled, the error and its recovery hint, and a
`crew_failed` event with the error code and class of the flow error path; then it is raised as a
`CrewFailed` (a `PhaseError`). The flow's status is left as it is: the crews are an addition on
top of the deterministic engine and never block it; `flow status` shows the failure as
`ai_crew_error` until that crew runs successfully.

Which columns: the consultant may name them (`columns`, `agents run --column NAME`); otherwise the
first `budget.MAX_COLUMNS` candidates (every column for schema/quality, the unsure undecided ones
for mapping) in file order. Either way the result names the columns reviewed and the candidates
left out, so the cap is never silent.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence
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
    columns_reviewed: list[str] = field(default_factory=list)
    columns_left_out: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The contract's keys, plus `columns`: which were reviewed and which candidates left out."""
        return {
            "crew": self.crew,
            "model": self.model,
            "tasks": [{k: t[k] for k in ("name", "status", "tokens")} for t in self.tasks],
            "suggestions": self.suggestions,
            "findings": self.findings,
            "columns": self.columns_dict(),
        }

    def columns_dict(self) -> dict[str, Any]:
        return {
            "reviewed": len(self.columns_reviewed),
            "left_out": len(self.columns_left_out),
            "reviewed_columns": list(self.columns_reviewed),
            "left_out_columns": list(self.columns_left_out),
            "kept_decided_columns": list(self.skipped_decided),
            "limit": budget.MAX_COLUMNS,
        }


@dataclass(frozen=True)
class _Prepared:
    inputs: CrewInputs
    left_out: list[str]
    decided: list[str]  # named with --column but already decided: kept, not sent


def _check_named(requested: Sequence[str], columns: list[str], flow_id: object) -> None:
    unknown = [c for c in requested if c not in columns]
    if unknown:
        close = {c: difflib.get_close_matches(c, columns, n=3) for c in unknown}
        near = "; ".join(f"{c!r}: did you mean {', '.join(map(repr, m))}?" for c, m in close.items() if m)
        raise UserInputError(
            f"the import has no column {', '.join(map(repr, unknown))}",
            hint=(near + "; " if near else "")
            + f"name columns exactly as `migration-discovery map list {flow_id}` shows them",
        )


def _inputs(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    crew: str,
    mask: bool,
    requested: Sequence[str] | None = None,
) -> _Prepared:
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
    requested = list(dict.fromkeys(requested or []))
    _check_named(requested, columns, flow_id)
    decided: list[str] = []
    if crew == "mapping":
        with_rows = [c for c in columns if c in rules]
        probe = CrewInputs(import_id, filename, kind, with_rows, len(columns), None, {}, rules, None)  # type: ignore[arg-type]
        candidates = mapping_columns(probe)
        if requested:
            missing = [c for c in requested if c not in rules]
            if missing:
                raise UserInputError(
                    f"column {', '.join(map(repr, missing))} has no suggested mapping yet",
                    hint=f"make the suggestions first: `migration-discovery map generate {flow_id}`",
                )
            decided = [c for c in requested if rules[c].status != "suggested"]
            requested = [c for c in requested if c not in decided]
            if not requested:  # every named column is decided: nothing is sent
                return _Prepared(_empty(import_id, filename, kind, len(columns), rules, mask), [], decided)
    else:
        candidates = columns
    choice = budget.choose_columns(candidates, requested or None)
    chosen = choice.reviewed
    profile = column_profiles(uows, tenant, import_id, columns=chosen) if chosen else None
    sample_map = {
        c: samples.distinct_values(values[i], budget.MAX_SAMPLE_VALUES)
        for i, c in enumerate(columns)
        if c in chosen
    }
    inputs = CrewInputs(
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
    return _Prepared(inputs, choice.left_out, decided)


def _empty(
    import_id: uuid.UUID, filename: str, kind: Any, all_columns: int, rules: dict[str, RulesRow], mask: bool
) -> CrewInputs:
    """Inputs with no column to review (no request is made)."""
    from core.mapping.schema import schema_for_kind

    schema = schema_for_kind(kind)
    return CrewInputs(import_id, filename, kind, [], all_columns, None, {}, rules, schema, mask)  # type: ignore[arg-type]


def run_crew(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    flow_id: uuid.UUID | str,
    crew: str,
    settings: LLMSettings,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    columns: Sequence[str] | None = None,
) -> Outcome[CrewResult]:
    """Run crew `crew` (schema | quality | mapping) on the flow's import; see the module docstring.

    `columns` names the columns to review (at most `budget.MAX_COLUMNS`); None: the first candidates.
    """
    from core.agents import runtime
    from core.agents import store as crew_store
    from core.flows.store import load_flow

    if crew not in CREW_NAMES:
        raise UserInputError(f"no crew {crew!r}", hint=f"choose one of {', '.join(CREW_NAMES)}")
    require_configured(settings)
    prepared = _inputs(uows, tenant, flow_id, crew, settings.mask_pii, columns)
    inputs = prepared.inputs
    scope = {"columns_reviewed": list(inputs.columns), "columns_left_out": list(prepared.left_out)}
    recording = uows.recording()
    if not inputs.columns:  # nothing to ask the model: no request is made
        run = CrewRun(crew, str(settings.model), settings.endpoint, [], status="completed")
        with recording(tenant) as uow:
            flow = load_flow(uow, flow_id, lock=True)
            details = {"note": "no column to review", **scope}
            if prepared.decided:
                details["skipped_decided"] = prepared.decided
            row = crew_store.record_run(uow, flow, run, details=details)
            uow.commit()
        return Outcome(_result(run, 0, row.id, prepared, prepared.decided), recording.changes)
    try:
        run = runtime.run_crew(crew, inputs, settings, progress=progress, cancel=cancel)
    except CrewFailed as failure:
        if _over_budget(failure):  # say how to review fewer: the --column option
            failure.error_code, failure.error_class = "llm_budget", "non_retryable"
            failure.recovery_hint = budget.fewer_columns_hint(flow_id, crew)
        with recording(tenant) as uow:
            flow = load_flow(uow, flow_id, lock=True)
            crew_store.record_run(
                uow,
                flow,
                failure.run,
                error=str(failure),
                hint=failure.recovery_hint,
                details={"error_code": failure.error_code, "error_class": failure.error_class, **scope},
            )
            uow.commit()
        raise attach(failure, recording.changes)  # noqa: B904 - the same exception, with what was committed
    with recording(tenant) as uow:
        flow = load_flow(uow, flow_id, lock=True)
        stored, skipped = 0, []
        review = run.outputs.get("field_mapping")
        if isinstance(review, MappingReview):
            stored, skipped = crew_store.apply_mapping_review(uow, inputs.import_id, review, run.model)
        skipped = list(dict.fromkeys([*prepared.decided, *skipped]))
        details: dict[str, Any] = dict(scope)
        if skipped:
            details["skipped_decided"] = skipped
        row = crew_store.record_run(uow, flow, run, suggestions=stored, details=details)
        uow.commit()
    return Outcome(_result(run, stored, row.id, prepared, skipped), recording.changes)


def _over_budget(failure: CrewFailed) -> bool:
    """A request refused for its size, wherever it sits in the cause chain (the HTTP client wraps it
    in a connection error, so the runtime may have classified it as unreachable)."""
    from core.agents.runtime import BudgetExceeded

    if failure.error_code == "llm_budget":
        return "allowed" not in str(failure)  # a refused host is no size problem
    seen: list[BaseException] = []
    cur: BaseException | None = failure
    while cur is not None and cur not in seen and len(seen) < 20:
        if isinstance(cur, BudgetExceeded) and "over the budget" in str(cur):
            return True
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return False


def _result(
    run: CrewRun, stored: int, row_id: uuid.UUID, prepared: _Prepared, skipped: list[str]
) -> CrewResult:
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
        columns=len(prepared.inputs.columns),
        skipped_decided=skipped,
        columns_reviewed=list(prepared.inputs.columns),
        columns_left_out=list(prepared.left_out),
    )
