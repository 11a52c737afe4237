"""Where a crew's results go: `crew_outputs`, AI mapping suggestions, the flow's audit log.

Helpers for `core.actions.agents` (they never commit). AI mapping proposals become suggestions only:
a row a consultant decided (approved, rejected, modified) is never touched, the status stays
`suggested` (never approved by the crew), `suggested_by` is `ai_agent`, and `suggestion` keeps the
model, its reasoning and the rules suggester's proposal it replaced (`previous`), so `revert` and
the grid can show both.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from core.agents.outputs import MappingReview, QualityReport
from core.agents.runtime import CrewRun
from core.changes import OpChanges, ids
from core.db.models import CrewOutput, DiscoveryFlow
from core.flows.store import record_event
from core.mapping_review import store as mapping_store
from core.mapping_review.suggestions import apply_proposal
from core.uow import UnitOfWork

AI_SUGGESTER = "ai_agent"


def apply_mapping_review(
    uow: UnitOfWork, import_id: uuid.UUID, review: MappingReview, model: str
) -> tuple[int, list[str]]:
    """Store the proposals with a target on undecided rows; (stored, columns skipped as decided)."""
    s = uow.session
    mapping_store.lock_import(s, import_id)
    rows = {r.source_field: r for r in mapping_store.rows_of_import(s, import_id, lock=True)}
    stored = 0
    skipped: list[str] = []
    touched: set[uuid.UUID] = set()
    for proposal in review.proposals:
        row = rows.get(proposal.column)
        if row is None or not proposal.target_field:
            continue
        if row.status != "suggested":  # a consultant decided it: never overwritten
            skipped.append(proposal.column)
            continue
        previous = dict(row.suggestion or {})
        previous.pop("previous", None)
        apply_proposal(
            row,
            {
                "target_field": proposal.target_field,
                "confidence": proposal.confidence,
                "match_type": "ai",
                "transformation_rules": None,
                "explanation": f"AI ({model}): {proposal.reasoning}",
                "suggested_by": AI_SUGGESTER,
                "model": model,
                "reasoning": proposal.reasoning,
                "value_fingerprint": previous.get("value_fingerprint"),
                "alternatives": [],
                "previous": previous or None,
            },
        )
        stored += 1
        touched.add(row.id)
    s.flush()
    if touched:
        uow.note(OpChanges(mappings=True, import_ids=ids(import_id), mapping_ids=frozenset(touched)))
    return stored, skipped


def record_run(
    uow: UnitOfWork,
    flow: DiscoveryFlow,
    run: CrewRun,
    *,
    suggestions: int = 0,
    error: str | None = None,
    hint: str | None = None,
    details: dict[str, Any] | None = None,
) -> CrewOutput:
    """One `crew_outputs` row for the run and a `crew_completed` / `crew_failed` flow event."""
    findings = 0
    quality = run.outputs.get("data_quality")
    if isinstance(quality, QualityReport):
        findings = len(quality.findings)
    row = CrewOutput(
        discovery_flow_id=flow.id,
        data_import_id=flow.data_import_id,
        crew=run.crew,
        model=run.model,
        endpoint=run.endpoint,
        status=run.status,
        tasks=[t.to_dict() for t in run.tasks],
        output={name: answer.model_dump(mode="json") for name, answer in run.outputs.items()}
        | ({"tool_calls": run.tool_calls[:200]} if run.tool_calls else {}),
        suggestions=suggestions,
        findings=findings,
        prompt_tokens=run.prompt_tokens,
        completion_tokens=run.completion_tokens,
        requests=run.requests,
        prompt_bytes=run.prompt_bytes,
        duration_s=round(run.seconds, 3),
        error=error,
        hint=hint,
        started_by=uow.tenant.user_id if uow.tenant else None,
        finished_at=datetime.now(UTC),
        client_account_id=flow.client_account_id,
        engagement_id=flow.engagement_id,
    )
    uow.session.add(row)
    uow.session.flush()
    data = {
        "crew": run.crew,
        "model": run.model,
        "crew_output_id": str(row.id),
        "suggestions": suggestions,
        "findings": findings,
        "tokens": run.prompt_tokens + run.completion_tokens,
        **(details or {}),
    }
    if error:
        data |= {"message": error, "recovery_hint": hint}
    record_event(uow, flow, "crew_failed" if error else "crew_completed", phase=flow.current_phase, data=data)
    return row
