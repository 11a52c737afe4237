"""Reads of what the AI crews stored in `crew_outputs`, for the screens and the export (issue 16).

Why a module of its own: the mapping review's Profile pane shows the schema analysis of a column,
the quality report and its export show the quality crew's findings, and all of them must say that
an AI model (which one, when) produced them. Only completed runs count; never imports crewai.

Every crew starts with the schema analysis task (`core.agents.crews`), so a column's analysis is
taken from the newest completed run of any crew that analysed it: a run on other columns (the
`--column` option, the column cap) does not hide an earlier analysis of this one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db.models import CrewOutput, DataImport
from core.queries.agents import AI_SOURCE, ai_findings
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory

#: how many completed runs of an import are read to find each column's newest analysis
RUNS_READ = 50


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def schema_analysis(uow: UnitOfWork, import_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """{column: {inferred_type, key_candidate, observations, challenges, model, finished_at, crew,
    source: "ai_agent"}} — the newest completed analysis of each column of the import."""
    rows = uow.session.scalars(
        select(CrewOutput)
        .where(CrewOutput.data_import_id == import_id, CrewOutput.status == "completed")
        .order_by(CrewOutput.finished_at.desc().nulls_last(), CrewOutput.created_at.desc())
        .limit(RUNS_READ)
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        answer = (row.output or {}).get("schema_analysis") or {}
        for c in answer.get("columns") or []:
            if not isinstance(c, dict) or not c.get("column") or c["column"] in out:
                continue
            out[str(c["column"])] = {
                "column": str(c["column"]),
                "inferred_type": str(c.get("inferred_type") or ""),
                "key_candidate": bool(c.get("key_candidate")),
                "observations": [str(o) for o in c.get("observations") or []],
                "challenges": [str(o) for o in c.get("challenges") or []],
                "model": row.model,
                "finished_at": _when(row.finished_at),
                "crew": row.crew,
                "source": AI_SOURCE,
            }
    return out


def column_analysis(
    uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID
) -> dict[str, dict[str, Any]]:
    """The Profile pane's read: `schema_analysis` of the import in its own read-only unit of work."""
    with uows(tenant) as uow:
        return schema_analysis(uow, import_id)


def ai_quality_by_import(
    uow: UnitOfWork, import_ids: Iterable[uuid.UUID] | None = None
) -> list[tuple[uuid.UUID, str, dict[str, Any]]]:
    """(import id, filename, `ai_findings`) of each import (default: all) whose quality crew ran,
    oldest import first — the export's AI rows, cleansed or not."""
    stmt = (
        select(DataImport.id, DataImport.filename)
        .where(
            DataImport.id.in_(
                select(CrewOutput.data_import_id).where(
                    CrewOutput.crew == "quality", CrewOutput.status == "completed"
                )
            )
        )
        .order_by(DataImport.created_at, DataImport.id)
    )
    if import_ids is not None:
        stmt = stmt.where(DataImport.id.in_(list(import_ids)))
    out: list[tuple[uuid.UUID, str, dict[str, Any]]] = []
    for iid, filename in uow.session.execute(stmt).all():
        found = ai_findings(uow, iid)
        if found is not None:
            out.append((iid, filename, found))
    return out
