"""What the AI crews left for the screens: the newest quality crew's findings on an import.

Reads `crew_outputs` only (never imports crewai); every finding is marked `source: ai_agent` with
its model, so the quality report shows them apart from what the deterministic engine measured.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from core.db.models import CrewOutput
from core.uow import UnitOfWork

AI_SOURCE = "ai_agent"


def ai_findings(uow: UnitOfWork, import_id: uuid.UUID) -> dict[str, Any] | None:
    """{"model", "finished_at", "summary", "findings": [...]} of the newest completed quality crew."""
    row = uow.session.scalar(
        select(CrewOutput)
        .where(
            CrewOutput.data_import_id == import_id,
            CrewOutput.crew == "quality",
            CrewOutput.status == "completed",
        )
        .order_by(CrewOutput.finished_at.desc().nulls_last(), CrewOutput.created_at.desc())
        .limit(1)
    )
    if row is None:
        return None
    answer = (row.output or {}).get("data_quality") or {}
    findings = [
        {**f, "source": AI_SOURCE, "model": row.model}
        for f in answer.get("findings") or []
        if isinstance(f, dict)
    ]
    return {
        "model": row.model,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "summary": answer.get("summary"),
        "findings": findings,
        "source": AI_SOURCE,
    }
