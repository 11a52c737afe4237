"""Background functions of the import wizard: read a preview, run the import, suggest mappings.

Why here: the wizard pages only hold widgets; these functions (run in the task manager's workers)
are the only wizard code that calls the core, and they return plain values.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from core import tenancy
from core.bootstrap import Core
from core.changes import NOTHING, OpChanges
from core.errors import UserInputError
from core.ingest import open_table
from core.ingest.encoding import UTF8_REPLACE
from core.ingest.rvtools import is_rvtools_sheet_set, recognise
from core.mapping.kind import ImportKind, KindGuess, detect_kind
from desktop_app.task_manager import TaskContext

PREVIEW_ROWS = 50
KIND_LABELS: dict[ImportKind, str] = {
    "assets": "Inventory (assets)",
    "connections": "Connections (dependencies)",
}
"""How the wizard names each import kind (`core.mapping.kind.KINDS`), in the combo box and the summary."""


def kind_label(kind: str | None) -> str:
    """The wizard's name of an import kind (`assets` for an unknown one, as the core stores it)."""
    return KIND_LABELS["connections" if kind == "connections" else "assets"]


@dataclass(frozen=True)
class ReadOptions:
    """What the user chose (or corrected) about how to read the file."""

    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    skip_bad_rows: bool = False


@dataclass(frozen=True)
class RVToolsFound:
    """A whole RVTools export: offered to import as one (vInfo plus its detail sheets)."""

    source_system: str
    detail_sheets: list[str]
    missing_sheets: list[str]
    main_sheet: str = "vInfo"


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
    warnings: list[str] = field(default_factory=list)
    sheet_rows: dict[str, int] = field(default_factory=dict)
    """Workbooks: used rows (header included) of each sheet, for the sheet list."""
    rvtools: RVToolsFound | None = None
    """The workbook is a whole RVTools export (recognised by its sheet set and vMetaData)."""
    kind: KindGuess | None = None
    """What the columns say the file is (inventory or connections), and why: the wizard preselects it."""


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
        # shown and passed back as the user's choice, so the import reads the file the same way
        encoding = UTF8_REPLACE if info.encoding_errors == "replace" else info.encoding
        notes = list(info.notes or [])
        found = _rvtools(path, list(info.sheets or []), notes) if info.format == "xlsx" else None
        return Preview(
            path=str(path),
            format=info.format,
            sheets=list(info.sheets or []),
            sheet=info.sheet,
            encoding=encoding,
            delimiter=info.delimiter,
            header_row=info.header_row,
            columns=[c.name for c in info.columns],
            rows=rows,
            total_rows_estimate=info.total_rows_estimate,
            notes=notes,
            warnings=list(info.warnings),
            sheet_rows=dict(info.sheet_rows),
            rvtools=found,
            kind=detect_kind(c.name for c in info.columns),
        )


def _rvtools(path: str, sheets: list[str], notes: list[str]) -> RVToolsFound | None:
    """What the workbook is as an RVTools export (only its metadata sheet is read), if it is one."""
    if not is_rvtools_sheet_set(sheets):
        return None
    try:
        export = recognise(path)
    except UserInputError as exc:  # the import says it again if the consultant goes on
        notes.append(f"looks like an RVTools export, but its metadata cannot be read: {exc.message}")
        return None
    if export is None:
        return None
    return RVToolsFound(export.source_system, export.detail_sheets, export.missing_sheets, export.main_sheet)


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
    changes: OpChanges = NOTHING
    """What the core said the import and its suggestions changed (the task manager broadcasts it)."""
    no_target: int = 0
    """Columns (of `suggestions`) the suggester found no target for: counted apart in the summary."""
    details: dict[str, Any] | None = None
    """A whole RVTools export: what was stored per detail sheet (`ImportResult.rvtools`)."""
    kind: str = "assets"
    """What the import was stored as (`ImportResult.kind`): `assets` or `connections`."""

    @property
    def with_target(self) -> int:
        return self.suggestions - self.no_target


def run_import(
    core: Core,
    ctx: TaskContext,
    path: str,
    options: ReadOptions,
    target: Target,
    *,
    allow_duplicate: bool = False,
    rvtools: bool = False,
    kind: str | None = None,
) -> ImportOutcome:
    """Import the file into the engagement (creating it if needed), then suggest mappings.

    A file the engagement already imported is refused by the core (`core.imports.DuplicateImport`,
    naming the earlier import) unless `allow_duplicate`: the wizard asks, then calls again.
    `rvtools`: the file is a whole RVTools export, imported as one (vInfo plus its detail sheets).
    `kind`: `assets` or `connections` as the consultant chose it (None: the core recognises it from
    the columns, as `import` without `--kind` does); the mapping suggestions follow the stored kind.
    """
    from core import imports

    ref = target.ref or core.engagement(target.client_name, target.engagement_name, create=True)
    tenant = core.tenant_for(ref)
    result = imports.import_file(
        core.uows,
        tenant,
        path,
        sheet=options.sheet,
        source_system=target.source_system,
        skip_bad_rows=options.skip_bad_rows,
        encoding=options.encoding,
        delimiter=options.delimiter,
        header_row=options.header_row,
        progress=ctx.report,
        cancel=ctx.cancel,
        allow_duplicate=allow_duplicate,
        rvtools=rvtools,
        kind=kind,
    )
    ctx.check_cancelled()
    ctx.progress(result.rows, result.rows, "suggesting mappings")
    suggested = _ensure_suggestions(core, tenant, result.import_id)
    no_target = _count_no_target(core, tenant, result.import_id)
    return ImportOutcome(
        ref,
        result.import_id,
        result.flow_id,
        result.rows,
        result.filename,
        suggested.value,
        [b.reason for b in result.bad_rows],
        result.changes.merged(suggested.changes),
        no_target,
        result.rvtools,
        result.kind,
    )


def _ensure_suggestions(core: Core, tenant: Any, import_id: Any) -> Any:
    from core.actions.mapping import ensure_suggestions

    return ensure_suggestions(core.uows, tenant, import_id)


def _count_no_target(core: Core, tenant: Any, import_id: Any) -> int:
    """Pending columns the suggester found no target field for."""
    from core.queries.mapping import import_rows

    return sum(1 for r in import_rows(core.uows, tenant, import_id) if r.is_pending and not r.target_field)
