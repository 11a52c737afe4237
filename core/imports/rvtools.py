"""A whole RVTools export as one import: the detail sheets' rows stored beside vInfo's records.

`import_file(..., rvtools=True)` imports `vInfo` as the import's table (it goes through field
mapping like any table) and, in the same transaction, calls `store_details`: every row of
`vDisk`, `vPartition`, `vNetwork`, `vSnapshot`, `vTools`, `vHost` and `vCluster` becomes one
`asset_details` row (typed attributes, the source column and raw cell of each, sheet and row).
They are joined to their VM by the inventory (`core.inventory.details`), not here: the raw rows
are what the file said, the join is derived and redone on every inventory run.

Rows reach the table through a TEMP stage and `INSERT … SELECT` (row-level security refuses COPY
into the table itself), streamed sheet by sheet: memory stays flat whatever the export's size.
A sheet that cannot be read fails the whole import (nothing is kept); a missing sheet, a missing
column or a cell that is not a value of its column's type is reported in the import's notes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from core.errors import UserInputError
from core.ingest.rvtools import LAYOUT_BY_SHEET, RVToolsExport, SheetReport, read_detail_sheet, require
from core.progress import ProgressReporter
from core.uow import Tenant

STAGE = "md_detail_stage"
PROGRESS_STAGE = "details"
"""The progress stage (and timing) of reading and storing the detail sheets."""
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass
class StoredDetails:
    """What `store_details` stored: per sheet its report, and the sheets the export lacks."""

    export: RVToolsExport
    sheets: list[SheetReport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.sheets)

    @property
    def rows_by_sheet(self) -> dict[str, int]:
        return {s.sheet: s.rows for s in self.sheets}

    def notes(self) -> list[str]:
        out = [
            f"RVTools export{f' {self.export.version}' if self.export.version else ''}: vInfo with "
            + (", ".join(f"{s.sheet} ({s.rows:,} rows)" for s in self.sheets) or "no detail sheet")
        ]
        if self.export.missing_sheets:
            out.append("RVTools sheets not in the workbook: " + ", ".join(self.export.missing_sheets))
        for sheet in self.sheets:
            out.extend(sheet.notes())
        return out

    def to_json(self) -> dict[str, Any]:
        """Stored in the import's metadata (`import_metadata["rvtools"]`) and printed by the CLI."""
        return {
            "version": self.export.version,
            "servers": list(self.export.servers),
            "source_system": self.export.source_system,
            "detail_rows": self.rows,
            "sheets": [s.to_json() for s in self.sheets],
            "missing_sheets": self.export.missing_sheets,
        }


def recognised_export(path: Path, display: str, sheet: str | None) -> RVToolsExport:
    """The RVTools export to import as a whole, or a `UserInputError` saying why `path` is not one.

    Its main sheet is vInfo: another `sheet` is refused (the detail sheets join to vInfo's VMs).
    """
    export = require(path, display)
    if sheet is not None and sheet.strip().casefold() != export.main_sheet.casefold():
        raise UserInputError(
            f"a whole RVTools export is imported with {export.main_sheet} as its table, not {sheet!r}",
            file=display,
            sheet=sheet,
            hint="leave the sheet out, or import that one sheet on its own without the RVTools option",
        )
    return export


def store_details(
    pg: psycopg.Connection,
    *,
    path: Path,
    export: RVToolsExport,
    import_id: uuid.UUID,
    tenant: Tenant,
    reporter: ProgressReporter,
) -> StoredDetails:
    """Read every detail sheet of the export and store its rows with the import (caller's transaction)."""
    stored = StoredDetails(export)
    sheets = export.detail_sheets
    if not sheets:
        return stored
    cur = pg.cursor()
    cur.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
    cur.execute(
        f"CREATE TEMP TABLE {STAGE} (kind text NOT NULL, sheet text NOT NULL, row_index integer NOT NULL,"
        " attributes text NOT NULL, lineage text NOT NULL, join_keys text NOT NULL) ON COMMIT DROP"
    )
    done = 0
    reporter.report(PROGRESS_STAGE, 0, None, force=True, text=sheets[0])
    for sheet in sheets:
        layout = LAYOUT_BY_SHEET[sheet.casefold()]
        report = SheetReport(sheet, layout.kind)
        with cur.copy(
            f"COPY {STAGE} (kind, sheet, row_index, attributes, lineage, join_keys)"
            " FROM STDIN (FORMAT binary)"
        ) as copy:
            copy.set_types(["text", "text", "int4", "text", "text", "text"])
            for row in read_detail_sheet(path, sheet, layout, report):
                copy.write_row(
                    (
                        row.kind,
                        row.sheet,
                        row.row,
                        _dumps(row.attributes),
                        _dumps(row.lineage),
                        _dumps(row.keys),
                    )
                )
                done += 1
                if not done & 1023:
                    reporter.report(PROGRESS_STAGE, done, None, text=sheet)
        stored.sheets.append(report)
    reporter.report(PROGRESS_STAGE, done, done, force=True)
    cur.execute(
        f"INSERT INTO asset_details (id, client_account_id, engagement_id, data_import_id, kind, sheet,"
        f" row_index, attributes, lineage, join_keys) SELECT gen_random_uuid(), %s, %s, %s, kind, sheet,"
        f" row_index, attributes::jsonb, lineage::jsonb, join_keys::jsonb FROM {STAGE}",
        (tenant.client_account_id, tenant.engagement_id, import_id),
    )
    cur.execute(f"DROP TABLE pg_temp.{STAGE}")
    return stored
