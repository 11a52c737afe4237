"""`import FILE --client NAME --engagement NAME [--sheet NAME] --json`: one file into a new import.

Prints the contract's `{"import_id", "flow_id", "master_flow_id", "rows", "status", "errors"}`
(with `--json`, also for a failed import, before the error goes to stderr with exit code 2/1).
A file this engagement already imported (same content) is refused with exit code 2 and a hint
naming the earlier import, unless `--allow-duplicate` is given. `--rvtools` imports a whole RVTools
workbook as one import: vInfo plus the rows of its detail sheets (the JSON adds `rvtools`: version,
vCenters, rows per sheet); without it a workbook imports one sheet, as before.
A progress bar goes to stderr when it is a terminal; warnings (a low-confidence encoding guess,
bytes replaced by `--encoding utf-8-replace`) go to stderr as `warning: …` lines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from core.errors import MigrationDiscoveryError
from desktop_app.cli.context import CommandContext
from desktop_app.cli.output import print_json

if TYPE_CHECKING:
    from core.imports import ImportResult
    from core.progress import Progress as ImportSnapshot

# core.imports (SQLAlchemy, readers) is imported inside the handler: `--help` stays fast.

_PHASES = {
    "opening": "Opening",
    "reading": "Reading rows",
    "storing": "Storing rows",
    "details": "Detail sheets",
    "finishing": "Finishing",
    "suggesting": "Suggesting",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import a file into a new data import with its discovery flow")
    p.add_argument(
        "file", metavar="FILE", help="CSV/TSV, Excel .xlsx, JSON, JSON Lines (.jsonl), or a ZIP of CSV files"
    )
    p.add_argument("--client", required=True, metavar="NAME", help="client account (created on first use)")
    p.add_argument("--engagement", required=True, metavar="NAME", help="engagement (created on first use)")
    p.add_argument("--sheet", default=None, metavar="NAME", help="worksheet, ZIP member or JSON array")
    p.add_argument("--source-system", default=None, metavar="S", help="e.g. RVTools, ServiceNow")
    p.add_argument(
        "--skip-bad-rows", action="store_true", help="leave out rows that do not fit the header and list them"
    )
    p.add_argument(
        "--encoding",
        default=None,
        metavar="NAME",
        help="text encoding (default: detected), e.g. utf-8, cp1252; utf-8-replace reads UTF-8 and "
        "replaces invalid byte sequences with U+FFFD (counted in the import's warnings)",
    )
    p.add_argument("--delimiter", default=None, help="CSV delimiter (default: detected)")
    p.add_argument("--header-row", type=int, default=None, metavar="N", help="1-based header row")
    p.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="import the file even when this engagement already has a completed import of the same file "
        "(same SHA-256 content); without it such an import is refused with exit code 2",
    )
    p.add_argument(
        "--rvtools",
        action="store_true",
        help="FILE is a whole RVTools export: import vInfo together with vDisk, vPartition, vNetwork, "
        "vSnapshot, vTools, vHost and vCluster as one import (source system from vMetaData unless "
        "--source-system is given); refused with exit code 2 for a file that is not one",
    )
    p.add_argument(
        "--kind",
        choices=("assets", "connections"),
        default=None,
        help="what the file is: an inventory of assets or a connection/dependency export (default: "
        "recognised from its columns); decides the fields the mapping review suggests",
    )
    p.add_argument(
        "--reader-path",
        action="store_true",
        help="parse CSV in Python even when PostgreSQL could (slower; for comparison)",
    )
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.set_defaults(handler=run_import)


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[ImportSnapshot], None] | None]:
    """A rich progress bar on stderr (only for a terminal: logs and pipes stay clean)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description:<13}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:>12,.0f} rows  {task.fields[rate]:>9,.0f} rows/s"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(_PHASES["opening"], total=None, rate=0.0)

    def update(p: ImportSnapshot) -> None:
        bar.update(
            task,
            description=_PHASES.get(p.stage, p.stage),
            completed=p.done,
            total=p.total,
            rate=p.rate,
        )

    with bar:
        yield update


def _failure_json(exc: BaseException) -> dict[str, Any]:
    from core.errors import UserInputError
    from core.imports import failed_import_id
    from core.imports.service import ImportOutcomeUnknown

    if isinstance(exc, ImportOutcomeUnknown):  # maybe stored: the ids to look up, status "unknown"
        return exc.to_json()
    failed = failed_import_id(exc)
    error = exc.to_dict() if isinstance(exc, UserInputError) else {"message": str(exc)}
    return {
        "import_id": str(failed) if failed else None,
        "flow_id": None,
        "master_flow_id": None,
        "rows": 0,
        "status": "failed",
        "errors": [error],
    }


def _summary(result: ImportResult) -> str:
    lines = [
        f"imported {result.rows:,} rows of {result.filename}"
        + (f" ({result.sheet})" if result.sheet else "")
        + f" in {result.seconds:.1f}s",
        f"  import {result.import_id}",
        f"  flow   {result.flow_id} (master {result.master_flow_id})",
        f"  {len(result.columns)} columns",
    ]
    if result.duplicate_of:
        lines.append(f"  imported again: this engagement already had it as import {result.duplicate_of[0]}")
    if result.empty_columns_dropped:
        lines.append(f"  empty columns dropped: {', '.join(result.empty_columns_dropped)}")
    if result.empty_rows_dropped:
        lines.append(f"  empty rows dropped: {result.empty_rows_dropped:,}")
    if result.mappings_suggested:
        lines.append(
            f"  mapping suggested for {result.mappings_suggested} column(s), "
            f"{result.mappings_with_target} with a target: review with "
            f"`migration-discovery map list {result.flow_id}`"
        )
    if result.rvtools is not None:
        lines += _rvtools_lines(result.rvtools)
    if result.bad_row_count:
        lines.append(f"  bad rows left out: {result.bad_row_count:,}")
        lines += [f"    row {b.row}: {b.reason}" for b in result.bad_rows[:20]]
        if result.bad_row_count > 20:
            lines.append(f"    … and {result.bad_row_count - 20:,} more")
    return "\n".join(lines)


def _rvtools_lines(summary: dict[str, Any]) -> list[str]:
    """What a whole RVTools export brought besides vInfo."""
    lines = [f"  {summary['source_system']}: {summary['detail_rows']:,} detail rows"]
    for sheet in summary["sheets"]:
        lines.append(
            f"    {sheet['sheet']}: {sheet['rows']:,} rows"
            + (f" ({sheet['skipped']})" if sheet["skipped"] else "")
        )
        if sheet["missing_columns"]:
            lines.append(f"      no column for {', '.join(sheet['missing_columns'])}")
    if summary["missing_sheets"]:
        lines.append(f"    not in the workbook: {', '.join(summary['missing_sheets'])}")
    lines.append("    joined to their VMs when the inventory runs (`migration-discovery flow run`)")
    return lines


def run_import(ctx: CommandContext) -> int:
    from core.imports import import_file

    args = ctx.args
    try:
        core = ctx.core()
        ref = core.engagement(args.client, args.engagement, create=True)
        with _progress_bar(sys.stderr.isatty()) as on_progress:
            result = import_file(
                core.uows,
                core.tenant_for(ref),
                args.file,
                sheet=args.sheet,
                source_system=args.source_system,
                skip_bad_rows=args.skip_bad_rows,
                encoding=args.encoding,
                delimiter=args.delimiter,
                header_row=args.header_row,
                progress=on_progress,
                fast_path=not args.reader_path,
                allow_duplicate=args.allow_duplicate,
                rvtools=args.rvtools,
                kind=args.kind,
            )
    except MigrationDiscoveryError as exc:
        if args.json:
            print_json(_failure_json(exc))
        raise
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print_json(result.to_json())
    else:
        print(_summary(result))
    return 0
