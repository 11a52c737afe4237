"""`import FILE --client NAME --engagement NAME [--sheet NAME] --json`: one file into a new import.

Prints the contract's `{"import_id", "flow_id", "master_flow_id", "rows", "status", "errors"}`
(with `--json`, also for a failed import, before the error goes to stderr with exit code 2/1).
A progress bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from core.errors import MigrationDiscoveryError
from desktop_app.cli.context import CommandContext

if TYPE_CHECKING:
    from core.imports import ImportProgress, ImportResult

# core.imports (SQLAlchemy, readers) is imported inside the handler: `--help` stays fast.

_PHASES = {
    "opening": "Opening",
    "reading": "Reading rows",
    "storing": "Storing rows",
    "finishing": "Finishing",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import a file into a new data import with its discovery flow")
    p.add_argument("file", metavar="FILE", help="CSV/TSV, Excel .xlsx, JSON, or a ZIP of CSV files")
    p.add_argument("--client", required=True, metavar="NAME", help="client account (created on first use)")
    p.add_argument("--engagement", required=True, metavar="NAME", help="engagement (created on first use)")
    p.add_argument("--sheet", default=None, metavar="NAME", help="worksheet, ZIP member or JSON array")
    p.add_argument("--source-system", default=None, metavar="S", help="e.g. RVTools, ServiceNow")
    p.add_argument(
        "--skip-bad-rows", action="store_true", help="leave out rows that do not fit the header and list them"
    )
    p.add_argument("--encoding", default=None, help="text encoding (default: detected)")
    p.add_argument("--delimiter", default=None, help="CSV delimiter (default: detected)")
    p.add_argument("--header-row", type=int, default=None, metavar="N", help="1-based header row")
    p.add_argument(
        "--reader-path",
        action="store_true",
        help="parse CSV in Python even when PostgreSQL could (slower; for comparison)",
    )
    p.add_argument("--json", action="store_true", help="print the contract's JSON object")
    p.set_defaults(handler=run_import)


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[ImportProgress], None] | None]:
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

    def update(p: ImportProgress) -> None:
        bar.update(
            task,
            description=_PHASES.get(p.phase, p.phase),
            completed=p.rows_done,
            total=p.rows_total,
            rate=p.rate,
        )

    with bar:
        yield update


def _failure_json(exc: BaseException) -> dict[str, Any]:
    from core.errors import UserInputError
    from core.imports import failed_import_id

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
    if result.empty_columns_dropped:
        lines.append(f"  empty columns dropped: {', '.join(result.empty_columns_dropped)}")
    if result.empty_rows_dropped:
        lines.append(f"  empty rows dropped: {result.empty_rows_dropped:,}")
    if result.bad_row_count:
        lines.append(f"  bad rows left out: {result.bad_row_count:,}")
        lines += [f"    row {b.row}: {b.reason}" for b in result.bad_rows[:20]]
        if result.bad_row_count > 20:
            lines.append(f"    … and {result.bad_row_count - 20:,} more")
    return "\n".join(lines)


def run_import(ctx: CommandContext) -> int:
    from core.imports import import_file

    args = ctx.args
    try:
        core = ctx.core()
        ref = core.engagement(args.client, args.engagement, create=True)
        with _progress_bar(sys.stderr.isatty()) as on_progress:
            result = import_file(
                core,
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
            )
    except MigrationDiscoveryError as exc:
        if args.json:
            _print_json(_failure_json(exc))
        raise
    if args.json:
        _print_json(result.to_json())
    else:
        print(_summary(result))
    return 0
