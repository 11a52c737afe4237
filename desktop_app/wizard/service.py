"""Background functions of the import wizard: read a preview, run the import, suggest mappings.

Why here: the wizard pages only hold widgets; these functions (run in the task manager's workers)
are the only wizard code that calls the core, and they return plain values.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from core.bootstrap import Core
from core.ingest import open_table
from core.services import tenancy
from desktop_app.task_manager import TaskContext

PREVIEW_ROWS = 50


@dataclass(frozen=True)
class ReadOptions:
    """What the user chose (or corrected) about how to read the file."""

    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    skip_bad_rows: bool = False


@dataclass(frozen=True)
class Preview:
    """Detected facts and the first rows, for the preview page."""

    path: str
    format: str
    sheets: list[str]
    sheet: str | None
    encoding: str | None
    delimiter: str | None
    header_row: int | None
    columns: list[str]
    rows: list[list[str]]
    total_rows_estimate: int | None
    notes: list[str] = field(default_factory=list)


def read_preview(path: str, options: ReadOptions) -> Preview:
    """Open the file with the chosen options and read its first rows (no database)."""
    with open_table(
        path,
        sheet=options.sheet,
        encoding=options.encoding,
        delimiter=options.delimiter,
        header_row=options.header_row,
        skip_bad_rows=True,
    ) as table:
        info = table.info
        rows = table.sample(PREVIEW_ROWS)
        return Preview(
            path=str(path),
            format=info.format,
            sheets=list(info.sheets or []),
            sheet=info.sheet,
            encoding=info.encoding,
            delimiter=info.delimiter,
            header_row=info.header_row,
            columns=[c.name for c in info.columns],
            rows=rows,
            total_rows_estimate=info.total_rows_estimate,
            notes=list(info.notes or []),
        )


@dataclass(frozen=True)
class Target:
    """Where the import goes: an existing engagement, or names to create (embedded database)."""

    client_name: str
    engagement_name: str
    ref: tenancy.EngagementRef | None = None
    source_system: str | None = None


@dataclass(frozen=True)
class ImportOutcome:
    ref: tenancy.EngagementRef
    import_id: uuid.UUID
    flow_id: uuid.UUID | None
    rows: int
    filename: str
    suggestions: int
    errors: list[Any] = field(default_factory=list)


def run_import(
    core: Core, ctx: TaskContext, path: str, options: ReadOptions, target: Target
) -> ImportOutcome:
    """Import the file into the engagement (creating it if needed), then suggest mappings."""
    from core import imports

    ref = target.ref or core.engagement(target.client_name, target.engagement_name, create=True)
    tenant = core.tenant_for(ref)
    token = imports.CancelToken()  # the core's token also interrupts a statement in flight
    ctx.cancel.on_cancel(token.cancel)
    result = imports.import_file(
        core,
        tenant,
        path,
        sheet=options.sheet,
        source_system=target.source_system,
        skip_bad_rows=options.skip_bad_rows,
        encoding=options.encoding,
        delimiter=options.delimiter,
        header_row=options.header_row,
        progress=ctx.callback,
        cancel=token,
    )
    ctx.check_cancelled()
    ctx.progress(result.rows, result.rows, "suggesting mappings")
    suggestions = _ensure_suggestions(core, tenant, result.import_id)
    return ImportOutcome(
        ref,
        result.import_id,
        result.flow_id,
        result.rows,
        result.filename,
        suggestions,
        [b.reason for b in result.bad_rows],
    )


def _ensure_suggestions(core: Core, tenant: Any, import_id: Any) -> int:
    from core import mapping_review

    with core.uow(tenant) as uow:
        existing = mapping_review.mapping_counts(uow, import_id)
        if existing.total:
            return existing.total
        rows = mapping_review.generate_suggestions(uow, import_id)
        return len(rows) if rows is not None else 0
