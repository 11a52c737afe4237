"""Export of the asset inventory, its quality reports and its conflicts to XLSX or CSV.

Safe against formula injection (OWASP "CSV injection"): a text value starting with `=`, `+`,
`-`, `@`, tab, CR or LF (after any spaces or quotes, which a spreadsheet's "trim spaces" and quote
handling remove) is
- in CSV written with a leading `'`, so a spreadsheet shows it as text and never evaluates it.
  The same holds for each part of a value after a `,`, `;`, tab or line break: a spreadsheet that
  opens the file with another list separator (`;` in many locales) splits the text there, and
  the file's quotes do not protect a field that does not start the line, so `x;=1+1` is written
  `x;'=1+1`. Every text field is quoted (numbers are not), so a reader using the file's own
  separator gets each value back whole;
- in XLSX written as an inline *string* cell (data type `s`, never `f`), so it cannot evaluate
  while the exact text is kept.
Typed values stay typed in XLSX: numbers as numbers, timestamps as dates (UTC), booleans as
booleans; headers carry units (`memory_gb (GB)`). XLSX has one sheet per view — Assets, Quality,
Conflicts — written with openpyxl's write-only (streaming) workbook. CSV writes the assets to the
given file and the two other views next to it (`NAME.quality.csv`, `NAME.conflicts.csv`).
"""

from __future__ import annotations

import csv
import json
import math
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import select

from core.cleansing.fields import asset_fields
from core.cleansing.service import quality_reports
from core.db.models import Asset
from core.errors import UserInputError
from core.inventory.query import AssetFilters, asset_conditions, count_assets
from core.inventory.service import CANONICAL
from core.progress import CancelToken, ProgressFn, ProgressReporter
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory

CANCELLED = "the export was cancelled; no file was written"
#: asset rows between two progress reports (and cancellation checks)
ROWS_PER_REPORT = 2000

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: what a spreadsheet may skip before a trigger: spaces (trimmed on import) and quote characters
_SKIPPED = ' \u00a0"'
#: a list separator or line break (where another program may start a new cell), then a trigger
_INNER_TRIGGER = re.compile(r"([,;\t\r\n])(?=[ \u00a0\"]*[=+\-@])")
FORMATS = ("xlsx", "csv")
ASSET_COLUMNS: tuple[str, ...] = ("id", *CANONICAL, "identity_key", "source_records", "conflicting_fields")
QUALITY_HEADER = ("file", "import_id", "section", "item", "value", "detail")
CONFLICT_HEADER = (
    "asset_id",
    "asset_name",
    "field",
    "chosen",
    "value",
    "source_kind",
    "file",
    "row",
    "record_id",
)
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
PAGE = 2000


@dataclass
class ExportResult:
    """Files written and the number of rows of each view."""

    files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "rows": self.rows}


def is_dangerous(text: str) -> bool:
    """Would a spreadsheet take this cell for a formula (once it trims spaces and quotes)?"""
    return text.lstrip(_SKIPPED).startswith(FORMULA_TRIGGERS)


def csv_safe(text: str) -> str:
    """Text a spreadsheet opening the CSV shows literally, whatever list separator it splits at:
    a `'` before the value and after each separator when a formula trigger follows."""
    text = _INNER_TRIGGER.sub(r"\1'", text)
    return "'" + text if is_dangerous(text) else text


def asset_headers() -> list[str]:
    specs = asset_fields()
    return [specs[c].header if c in specs else c for c in ASSET_COLUMNS]


# ----------------------------------------------------------------------------- the three views


def _asset_rows(
    uow: UnitOfWork, filters: AssetFilters | None, reporter: ProgressReporter, total: int | None
) -> Iterator[list[Any]]:
    cols = ["id", *CANONICAL, "identity_key"]
    extra = "source_record_ids", "field_conflicts"
    for n, asset in enumerate(_with_provenance(uow, cols, extra, filters)):
        if n % ROWS_PER_REPORT == 0:
            reporter.report("Assets", n, total)
        row = [asset[c] for c in cols]
        row.append(len(asset["source_record_ids"] or []))
        row.append(", ".join(sorted(asset["field_conflicts"] or {})))
        yield row


def _with_provenance(
    uow: UnitOfWork, cols: list[str], extra: tuple[str, ...], filters: AssetFilters | None
) -> Iterator[dict[str, Any]]:
    """Assets (first column must be `id`) with their JSON provenance columns, keyset-paged by id."""
    names = [*cols, *extra]
    conditions = asset_conditions(AssetFilters.of(filters))
    after: uuid.UUID | None = None
    while True:
        stmt = select(*(getattr(Asset, c) for c in names)).where(*conditions)
        if after is not None:
            stmt = stmt.where(Asset.id > after)
        rows = uow.session.execute(stmt.order_by(Asset.id).limit(PAGE)).all()
        for row in rows:
            yield dict(zip(names, row, strict=True))
        if len(rows) < PAGE:
            return
        after = rows[-1][0]


def _quality_rows(uow: UnitOfWork, import_ids: Iterable[uuid.UUID] | None) -> Iterator[list[Any]]:
    """The engine's numbers of each cleansed import, then the AI quality crew's findings of every
    import it ran on (cleansed or not), each in section `ai_quality_finding` marked as AI."""
    from core.queries.crew_results import ai_quality_by_import

    ids = list(import_ids) if import_ids is not None else None
    yield from _engine_quality_rows(uow, ids)
    for iid, filename, ai in ai_quality_by_import(uow, ids):
        yield from _ai_quality_rows(filename, iid, ai)


def _ai_quality_rows(filename: str, import_id: uuid.UUID, ai: Mapping[str, Any]) -> Iterator[list[Any]]:
    """One row per AI finding: item = column and dimension, value = rows affected, detail says AI."""
    rank = {"high": 0, "medium": 1, "low": 2}
    findings = sorted(
        ai.get("findings") or [], key=lambda f: (rank.get(f.get("severity"), 3), f.get("column") or "")
    )
    when = str(ai.get("finished_at") or "")[:16].replace("T", " ")
    for f in findings:
        mark = f"AI ({f.get('model') or ai.get('model')}, {when} UTC)"
        yield [
            filename,
            str(import_id),
            "ai_quality_finding",
            f"{f.get('column') or 'across columns'}: {f.get('dimension')}",
            f.get("rows_affected"),
            f"{mark} · {f.get('severity')}: {f.get('description')}"
            f" — recommendation: {f.get('recommendation')}",
        ]


def _engine_quality_rows(uow: UnitOfWork, import_ids: list[uuid.UUID] | None) -> Iterator[list[Any]]:
    for rep in quality_reports(uow, import_ids):
        f, iid = rep.get("filename"), rep.get("import_id")
        for key in ("total_records", "valid_records", "invalid_records"):
            yield [f, iid, "summary", key, rep.get(key), None]
        dup = rep.get("duplicate_candidates") or {}
        yield [
            f,
            iid,
            "summary",
            "duplicate_candidate_groups",
            dup.get("groups", 0),
            f"{dup.get('records', 0)} record(s)",
        ]
        for name, info in (rep.get("fields") or {}).items():
            source = ", ".join(info.get("source_columns") or []) or ("derived" if info.get("derived") else "")
            yield [
                f,
                iid,
                "completeness_pct",
                name,
                info.get("completeness"),
                f"{info.get('filled')} filled; source: {source}",
            ]
        for name, n in (rep.get("invalid_by_field") or {}).items():
            yield [f, iid, "invalid_by_field", name, n, None]
        examples = rep.get("invalid_examples") or {}
        for rule, n in (rep.get("invalid_by_rule") or {}).items():
            first = (examples.get(rule) or [{}])[0]
            yield [f, iid, "invalid_by_rule", rule, n, first.get("message")]
        for d in dup.get("examples") or []:
            rows = ", ".join(str(i) for i in d.get("record_indexes") or [])
            yield [
                f,
                iid,
                "duplicate_candidate",
                f"{d.get('key')}={d.get('value')}",
                len(d.get("record_indexes") or []),
                f"rows {rows}",
            ]
        for w in rep.get("worst_records") or []:
            yield [
                f,
                iid,
                "worst_record",
                f"row {w.get('record_index')}",
                w.get("errors"),
                ", ".join(w.get("fields") or []),
            ]


def _conflict_rows(uow: UnitOfWork, filters: AssetFilters | None) -> Iterator[list[Any]]:
    flt = AssetFilters.of(filters)
    flt = AssetFilters(flt.search, flt.equals, flt.ranges, True, flt.data_import_id)
    for asset in _with_provenance(uow, ["id", "asset_name"], ("field_conflicts",), flt):
        for name, conflict in sorted((asset["field_conflicts"] or {}).items()):
            chosen = conflict.get("chosen")
            for v in conflict.get("values") or []:
                yield [
                    asset["id"],
                    asset["asset_name"],
                    name,
                    _jsonish(chosen),
                    _jsonish(v.get("value")),
                    v.get("source_kind"),
                    v.get("filename"),
                    v.get("record_index"),
                    v.get("record_id"),
                ]


def _jsonish(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


# ----------------------------------------------------------------------------- writers


def _plain(value: Any) -> Any:
    """A value as XLSX wants it: naive UTC datetimes, JSON text, str for ids; None for NaN."""
    if value is None:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _xlsx_cell(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, datetime | date):
        cell.number_format = DATE_FORMAT
    return cell


def _xlsx_sheet(wb: Workbook, title: str, header: list[str], rows: Iterable[list[Any]]) -> int:
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for h in header:
        c = WriteOnlyCell(ws, value=h)
        c.data_type = "s"
        c.font = bold
        head.append(c)
    ws.append(head)
    n = 0
    for row in rows:
        ws.append([_xlsx_cell(ws, v) for v in row])
        n += 1
    return n


def _csv_value(value: Any) -> Any:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return csv_safe(ILLEGAL_CHARACTERS_RE.sub("", str(value)) if "\x00" in str(value) else str(value))


def _csv_file(path: Path, header: list[str], rows: Iterable[list[Any]]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_NONNUMERIC)  # every text field quoted, `;` ones too
        w.writerow([csv_safe(h) for h in header])
        for row in rows:
            w.writerow([_csv_value(v) for v in row])
            n += 1
    return n


def export_inventory(
    uow: UnitOfWork,
    out: str | Path,
    fmt: str | None = None,
    *,
    filters: AssetFilters | Mapping[str, Any] | None = None,
    import_ids: Iterable[uuid.UUID] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """Write the engagement's assets (filtered), quality reports and conflicts; see module docstring.

    Progress is the core's protocol: a `Progress` per view ("Assets" every 2,000 rows, of the filtered
    total), and the token is checked at each report; a cancelled export leaves no file behind.
    """
    path = Path(out)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise UserInputError(f"unknown export format {fmt!r}", hint="use xlsx or csv")
    if not path.parent.exists():
        raise UserInputError(f"folder {path.parent} does not exist", file=str(path))
    flt = AssetFilters.of(filters)
    ids = list(import_ids) if import_ids is not None else None
    result = ExportResult()
    reporter = ProgressReporter(progress, cancel, unit="assets", cancelled_message=CANCELLED)
    total = count_assets(uow, flt) if progress is not None else None
    reporter.report("Assets", 0, total, force=True)
    views: list[tuple[str, list[str], Iterable[list[Any]]]] = [
        ("Assets", asset_headers(), _asset_rows(uow, flt, reporter, total)),
        ("Quality", list(QUALITY_HEADER), _quality_rows(uow, ids)),
        ("Conflicts", list(CONFLICT_HEADER), _conflict_rows(uow, flt)),
    ]
    if fmt == "xlsx":
        wb = Workbook(write_only=True)
        for title, header, rows in views:
            result.rows[title] = _xlsx_sheet(wb, title, header, rows)
            _written(reporter, title, result.rows[title])
        tmp = path.with_name(path.name + ".part")
        wb.save(tmp)
        tmp.replace(path)
        result.files.append(str(path))
        return result
    for title, header, rows in views:
        target = path if title == "Assets" else path.with_name(f"{path.stem}.{title.lower()}.csv")
        tmp = target.with_name(target.name + ".part")
        try:
            result.rows[title] = _csv_file(tmp, header, rows)
            _written(reporter, title, result.rows[title])
        except BaseException:
            tmp.unlink(missing_ok=True)
            for done in result.files:  # a cancelled or failed export leaves no partial set of files
                Path(done).unlink(missing_ok=True)
            raise
        tmp.replace(target)
        result.files.append(str(target))
    return result


def _written(reporter: ProgressReporter, view: str, rows: int) -> None:
    reporter.report(view, rows, rows, text=f"{view.lower()} written ({rows:,} rows)", force=True)


def export_assets(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    out: str | Path,
    fmt: str | None = None,
    *,
    filters: AssetFilters | Mapping[str, Any] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """The export action of the CLI and the asset screen: one read-only unit of work, files written."""
    with uows(tenant) as uow:
        return export_inventory(uow, out, fmt, filters=filters, progress=progress, cancel=cancel)
