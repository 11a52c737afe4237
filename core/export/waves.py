"""The wave plan to XLSX/CSV (one row per asset with its Wave), and an edited sheet read back.

Written with the inventory export's safe writers (`core.export.inventory`): text that a spreadsheet
would take for a formula is a string cell in XLSX and gets a leading `'` in CSV; numbers stay
numbers. Reading back (`read_wave_sheet`) takes the `Asset ID` and `Wave` columns and undoes the
CSV quote, so a consultant can change the Wave column in Excel and re-import the file; what the
changes mean (manual placements) is decided in `core.actions.planning.apply_wave_sheet`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from core.analysis.waves import StoredPlan
from core.errors import UserInputError
from core.export.inventory import FORMATS, _csv_file, _xlsx_sheet, is_dangerous

SHEET = "Waves"
HEADER = (
    "Wave",
    "Order",
    "Locked",
    "Application",
    "Asset",
    "Asset ID",
    "Environment",
    "Criticality",
    "Storage GB",
)
WAVE_COLUMN, ID_COLUMN = "Wave", "Asset ID"


def _rows(plan: StoredPlan) -> list[list[Any]]:
    servers = plan.estate.servers
    out = []
    for w in plan.waves:
        ids = sorted(plan.members.get(w.id, []), key=lambda i: (servers[i].label.casefold(), i))
        for sid in ids:
            s = servers[sid]
            out.append(
                [
                    w.name,
                    w.ordinal,
                    w.locked,
                    "; ".join(s.applications) or None,
                    s.label,
                    sid,
                    s.environment,
                    s.criticality,
                    s.storage_gb,
                ]
            )
    return out


def write_wave_sheet(plan: StoredPlan, out: str | Path, fmt: str | None = None) -> dict[str, Any]:
    """Write the plan, one row per placed asset; `{"files": [...], "rows": n}`."""
    path = Path(out)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise UserInputError(f"unknown export format {fmt!r}", file=str(path), hint="use .xlsx or .csv")
    if not path.parent.exists():
        raise UserInputError(f"folder {path.parent} does not exist", file=str(path))
    rows = _rows(plan)
    tmp = path.with_name(path.name + ".part")
    try:
        if fmt == "xlsx":
            wb = Workbook(write_only=True)
            _xlsx_sheet(wb, SHEET, list(HEADER), rows)
            wb.save(tmp)
        else:
            _csv_file(tmp, list(HEADER), rows)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return {"files": [str(path)], "rows": len(rows)}


@dataclass(frozen=True)
class SheetRow:
    row: int
    """the row number as the spreadsheet shows it (header is row 1)"""
    asset_id: str
    wave: str


def _text(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text.startswith("'") and is_dangerous(text[1:]):  # the CSV writer's formula guard
        text = text[1:]
    return text


def read_wave_sheet(path: str | Path) -> tuple[str, list[SheetRow]]:
    """The `Asset ID` and `Wave` of every filled row; the sheet's name (or None for CSV) first."""
    p = Path(path)
    if not p.exists():
        raise UserInputError("file not found", file=str(p))
    fmt = p.suffix.lstrip(".").lower()
    if fmt == "xlsx":
        wb = load_workbook(p, read_only=True, data_only=True)
        try:
            ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
            sheet = ws.title
            table = [list(r) for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    elif fmt == "csv":
        sheet = ""
        with p.open(newline="", encoding="utf-8-sig") as fh:
            table = list(csv.reader(fh))
    else:
        raise UserInputError(f"cannot read {fmt or 'this'} files here", file=str(p), hint="use .xlsx or .csv")
    if not table:
        raise UserInputError("the file is empty", file=str(p), sheet=sheet or None)
    header = [_text(h) for h in table[0]]
    missing = [c for c in (ID_COLUMN, WAVE_COLUMN) if c not in header]
    if missing:
        raise UserInputError(
            f"no {' or '.join(repr(m) for m in missing)} column in the header row",
            file=str(p),
            sheet=sheet or None,
            row=1,
            hint="re-import a file written by `plan export` (its header row is unchanged)",
        )
    i_id, i_wave = header.index(ID_COLUMN), header.index(WAVE_COLUMN)
    rows = []
    for n, cells in enumerate(table[1:], start=2):
        asset = _text(cells[i_id]) if i_id < len(cells) else ""
        wave = _text(cells[i_wave]) if i_wave < len(cells) else ""
        if not asset and not wave:
            continue
        rows.append(SheetRow(n, asset, wave))
    return sheet, rows
