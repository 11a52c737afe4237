"""Importing one file: raw rows, the data import and its discovery flow, in one transaction.

Everything an import writes (the `data_imports` row, its master and discovery flow, every raw
record, the `data_import_completed` flag) commits together or not at all: after a crash, a kill
or a cancel the import is absent, never half there. A failure is then recorded as a `failed`
`data_imports` row in a second, short transaction, so the consultant sees what went wrong.

Rows reach PostgreSQL through a TEMP stage (see `copy_writer`): for plain CSV the server parses
the file itself (`csv_fastpath`), everything else (and any CSV the fast path is unsure about)
streams through the `core.ingest` reader. Either way the result is the same: every data cell as
text under the file's header, empty columns and rows dropped and counted.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy.exc import DBAPIError

from core.db.models import DataImport
from core.errors import MigrationDiscoveryError, OperationCancelled, UserInputError
from core.flows import create_discovery_flow, mark_import_completed
from core.imports import copy_writer, csv_fastpath
from core.imports.copy_writer import RecordIndexing, UnstorableValue
from core.imports.progress import CancelToken, ProgressCallback, ProgressReporter
from core.ingest import BadRow, Table, TableInfo, open_table
from core.uow import Tenant

if TYPE_CHECKING:
    from core.bootstrap import Core

log = logging.getLogger(__name__)

MAX_LISTED_BAD_ROWS = 1000
"""Bad rows listed individually in the metadata and the result (all are counted)."""


@dataclass(frozen=True)
class ImportResult:
    """What an import stored; `to_json()` is the CLI contract's shape (plus extras)."""

    import_id: uuid.UUID
    flow_id: uuid.UUID
    master_flow_id: uuid.UUID
    rows: int
    status: str
    filename: str
    sheet: str | None
    columns: list[str]
    total_records: int
    empty_rows_dropped: int
    empty_columns_dropped: list[str]
    bad_rows: list[BadRow]
    bad_row_count: int
    write_path: str
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Rows left out (only with skip_bad_rows), one entry each."""
        return [
            {"row": b.row, "message": b.reason, "field_count": b.field_count, "expected": b.expected}
            for b in self.bad_rows
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "import_id": str(self.import_id),
            "flow_id": str(self.flow_id),
            "master_flow_id": str(self.master_flow_id),
            "rows": self.rows,
            "status": self.status,
            "errors": self.errors,
            "file": self.filename,
            "sheet": self.sheet,
            "columns": len(self.columns),
            "empty_rows_dropped": self.empty_rows_dropped,
            "empty_columns_dropped": self.empty_columns_dropped,
            "bad_rows": self.bad_row_count,
            "write_path": self.write_path,
            "seconds": round(self.seconds, 3),
            "timings": self.timings,
        }


@dataclass
class _Staged:
    """The stage is filled: how many rows, how to index them, what the reader saw."""

    rows: int
    indexing: RecordIndexing
    drop_blank_rows: bool
    empty_rows: int
    bad_rows: list[BadRow]
    sha256: str
    write_path: str
    notes: list[str]
    filled: list[bool] | None = None  # known already (wide tables): which columns hold values


def import_file(
    core: Core,
    tenant: Tenant,
    path: str | Path,
    *,
    sheet: str | None = None,
    source_system: str | None = None,
    skip_bad_rows: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    flow_name: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    fast_path: bool = True,
) -> ImportResult:
    """Import `path` into the tenant's engagement as a new data import with its discovery flow.

    Raises the reader's `UserInputError` unchanged for bad files, `UserInputError` for a full
    disk or a read-only membership, `OperationCancelled` when `cancel` fires; in every failure
    case nothing of the import is kept and a `failed` data import records the reason (its id is
    on the exception as `import_id`). `fast_path=False` forces the reader path (for comparison).
    """
    reporter = ProgressReporter(progress, cancel)
    path = Path(path)
    display = path.name or str(path)
    try:
        reporter.report("opening", 0, None, force=True)
        with open_table(
            path,
            sheet=sheet,
            encoding=encoding,
            delimiter=delimiter,
            header_row=header_row,
            skip_bad_rows=skip_bad_rows,
        ) as table:
            return _import_table(
                core,
                tenant,
                table,
                display=display,
                source_system=source_system,
                flow_name=flow_name,
                reporter=reporter,
                fast_path=fast_path,
            )
    except BaseException as exc:
        error = _translate(exc, display, sheet, reporter.cancel)
        failed_id = _record_failure(core, tenant, path, sheet, source_system, error)
        if failed_id is not None:
            error.import_id = failed_id  # type: ignore[attr-defined]
        if error is exc:
            raise
        raise error from exc


def _import_table(
    core: Core,
    tenant: Tenant,
    table: Table,
    *,
    display: str,
    source_system: str | None,
    flow_name: str | None,
    reporter: ProgressReporter,
    fast_path: bool,
) -> ImportResult:
    info = table.info
    width = len(info.columns)
    import_id = uuid.uuid4()
    with core.uow(tenant) as uow:
        pg = uow.session.connection().connection.driver_connection
        assert isinstance(pg, psycopg.Connection)
        with reporter.cancel.on_cancel(pg.cancel_safe):
            _require_write_access(pg, display)
            staged = _stage(pg, table, display=display, reporter=reporter, fast_path=fast_path)
            cur = pg.cursor()
            nonempty = staged.filled or copy_writer.nonempty_columns(
                cur, width, skip_blank_rows=staged.drop_blank_rows
            )
            keep = [i for i, filled in enumerate(nonempty) if filled]
            dropped = [info.columns[i] for i in range(width) if not nonempty[i]]
            metadata = _metadata(info, staged, dropped)
            record = DataImport(
                id=import_id,
                client_account_id=tenant.client_account_id,
                engagement_id=tenant.engagement_id,
                filename=display[:1000],
                file_size=info.file_size,
                file_sha256=staged.sha256,
                mime_type=info.mime_type[:200] if info.mime_type else None,
                source_system=source_system[:200] if source_system else None,
                sheet_name=info.sheet[:300] if info.sheet else None,
                status="processing",
                columns=[info.columns[i].name for i in keep],
                import_metadata=metadata,
                total_records=0,
                processed_records=0,
                failed_records=0,
                imported_by=tenant.user_id,
            )
            uow.session.add(record)
            uow.session.flush()
            name = flow_name or f"Import of {display}" + (f" ({info.sheet})" if info.sheet else "")
            flow = create_discovery_flow(uow, data_import_id=import_id, flow_name=name[:300])
            partition = copy_writer.create_partition(cur, import_id)
            rows = copy_writer.insert_records(
                cur,
                partition=partition,
                import_id=import_id,
                client_account_id=tenant.client_account_id,
                engagement_id=tenant.engagement_id,
                width=width,
                keep=keep,
                indexing=staged.indexing,
                drop_blank_rows=staged.drop_blank_rows,
                staged_rows=staged.rows,
                reporter=reporter,
                wide=staged.filled is not None,
            )
            empty_rows = staged.empty_rows + (staged.rows - rows)
            bad_count = len(staged.bad_rows)
            if rows == 0:
                raise UserInputError(
                    "has no data rows to import"
                    + (f": {empty_rows:,} empty row(s)" if empty_rows else "")
                    + (f", {bad_count:,} bad row(s) left out" if bad_count else ""),
                    file=display,
                    sheet=info.sheet if info.format != "csv" else None,
                    row=info.header_row,
                    hint="check that you picked the right file" + (" and sheet" if info.sheets else ""),
                )
            reporter.report("finishing", rows, rows, force=True)
            copy_writer.attach_partition(cur, import_id)
            mark_import_completed(uow, flow.id)
            # a new dict: the JSONB attribute does not track in-place changes
            record.import_metadata = {
                **metadata,
                "empty_rows_dropped": empty_rows,
                "seconds": round(reporter.elapsed, 3),
            }
            record.status = "completed"
            record.total_records = rows + bad_count
            record.processed_records = rows
            record.failed_records = bad_count
            record.completed_at = datetime.now(UTC)
            uow.session.flush()
            reporter.cancel.raise_if_cancelled()
            uow.commit()
    reporter.mark(None)
    log.info(
        "imported %s: %d rows via %s in %.1fs (%s)",
        display,
        rows,
        staged.write_path,
        reporter.elapsed,
        ", ".join(f"{phase} {seconds:.2f}s" for phase, seconds in reporter.timings.items()),
    )
    return ImportResult(
        import_id=import_id,
        flow_id=flow.id,
        master_flow_id=flow.master_flow_id,
        rows=rows,
        status="completed",
        filename=display,
        sheet=info.sheet,
        columns=[info.columns[i].name for i in keep],
        total_records=rows + bad_count,
        empty_rows_dropped=empty_rows,
        empty_columns_dropped=[c.name for c in dropped],
        bad_rows=staged.bad_rows[:MAX_LISTED_BAD_ROWS],
        bad_row_count=bad_count,
        write_path=staged.write_path,
        seconds=reporter.elapsed,
        timings=dict(reporter.timings),
        notes=staged.notes,
    )


def _require_write_access(pg: psycopg.Connection, display: str) -> None:
    """Refuse before reading the file when row-level security would refuse the rows anyway."""
    row = pg.execute("SELECT md_tenant_role()").fetchone()
    role = row[0] if row else None
    if role in ("lead", "member"):
        return
    raise UserInputError(
        "you cannot import into this engagement: "
        + ("your membership is read-only (viewer)" if role else "you are not a member of it"),
        file=display,
        hint="ask the engagement lead to make you a member",
    )


def _stage(
    pg: psycopg.Connection,
    table: Table,
    *,
    display: str,
    reporter: ProgressReporter,
    fast_path: bool,
) -> _Staged:
    """Fill the stage: PostgreSQL's CSV parser when it is safe, else the reader."""
    info = table.info
    width = len(info.columns)
    notes: list[str] = []
    why = csv_fastpath.ineligible(info) if fast_path else "disabled"
    if why is None:
        # A plain SQL savepoint on the same connection: only the stage lives inside it, no ORM state.
        pg.execute("SAVEPOINT md_import_fast_path")
        try:
            fast = csv_fastpath.stage_csv(pg, info, width, reporter)
        except csv_fastpath.FastPathRejected as exc:
            pg.execute("ROLLBACK TO SAVEPOINT md_import_fast_path")
            notes.append(f"server-side CSV parsing not used: {exc}")
            log.info("%s: %s; reading it in Python", display, exc)
        else:
            pg.execute("RELEASE SAVEPOINT md_import_fast_path")
            kind = "ord+breaks" if fast.has_breaks else "ord"
            return _Staged(
                rows=fast.rows,
                indexing=RecordIndexing(kind, offset=fast.first_line - 1),
                drop_blank_rows=True,
                empty_rows=fast.blank_rows_skipped,
                bad_rows=[],
                sha256=fast.sha256,
                write_path="csv-copy",
                notes=notes,
            )
    cur = pg.cursor()
    filled: list[bool] | None = None
    try:
        if width > copy_writer.MAX_STAGE_COLUMNS:
            rows, filled = copy_writer.copy_rows_wide(
                cur, table.iter_rows(), width, reporter, info.total_rows_estimate
            )
        else:
            rows = copy_writer.copy_rows(cur, table.iter_rows(), width, reporter, info.total_rows_estimate)
    except UnstorableValue as exc:
        raise _unstorable(table, display, exc.record_index) from None
    except (psycopg.errors.CharacterNotInRepertoire, psycopg.errors.UntranslatableCharacter):
        raise _unstorable(table, display, None) from None
    return _Staged(
        rows=rows,
        indexing=RecordIndexing("rec"),
        drop_blank_rows=False,
        empty_rows=table.empty_rows_dropped,
        bad_rows=table.bad_rows,
        sha256=_sha256(info.path),
        write_path="reader-copy",
        notes=notes,
        filled=filled,
    )


def _unstorable(table: Table, display: str, record_index: int | None) -> UserInputError:
    """Name the cell PostgreSQL cannot store as text (a NUL byte or a lone surrogate)."""
    info = table.info
    sheet = info.sheet if info.format != "csv" else None
    for idx, cells in table.iter_rows():
        if record_index is not None and idx != record_index:
            continue
        for column, value in zip(info.columns, cells, strict=False):
            if "\x00" in value:
                what = "a NUL character (byte 0)"
            else:
                try:
                    value.encode("utf-8")
                    continue
                except UnicodeEncodeError:
                    what = "an invalid character (a lone UTF-16 surrogate)"
            return UserInputError(
                f"contains {what}, which cannot be stored as text",
                file=display,
                sheet=sheet,
                row=idx,
                column=column.name,
                hint="remove it from the file (it is usually left by a broken export) and import again",
            )
    return UserInputError(
        "contains characters that cannot be stored as text",
        file=display,
        sheet=sheet,
        row=record_index,
        hint="remove NUL bytes and broken characters from the file and import again",
    )


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _metadata(info: TableInfo, staged: _Staged, dropped: list[Any]) -> dict[str, Any]:
    """What the consultant (and later phases) may need to know about how the file was read."""
    return {
        "format": info.format,
        "sheet": info.sheet,
        "sheets": list(info.sheets),
        "encoding": info.encoding,
        "delimiter": info.delimiter,
        "quotechar": info.quotechar,
        "header_row": info.header_row,
        "has_bom": info.has_bom,
        "line_terminator": info.line_terminator,
        "original_headers": [c.original for c in info.columns],
        "renamed_headers": [{"original": o, "name": n} for o, n in info.renamed_headers],
        "dropped_empty_columns": [
            {"name": c.name, "original": c.original, "position": c.position} for c in dropped
        ],
        "empty_columns_dropped": len(dropped),
        "empty_rows_dropped": staged.empty_rows,
        "bad_rows": [
            {"row": b.row, "reason": b.reason, "field_count": b.field_count, "expected": b.expected}
            for b in staged.bad_rows[:MAX_LISTED_BAD_ROWS]
        ],
        "bad_rows_count": len(staged.bad_rows),
        "staged_rows": staged.rows,
        "write_path": staged.write_path,
        "notes": [n for n in (*info.notes, *staged.notes) if n],
    }


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _translate(exc: BaseException, display: str, sheet: str | None, cancel: CancelToken) -> BaseException:
    """One clear error for the user; the reader's own `UserInputError`s pass through unchanged."""
    if isinstance(exc, MigrationDiscoveryError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return exc
    orig: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(orig, psycopg.errors.DiskFull):
        return UserInputError(
            "the disk holding the database is full, so the import was rolled back and nothing of it was kept",
            file=display,
            sheet=sheet,
            hint="free disk space on the drive of the data directory (an import needs about three "
            "times the file's size while it runs), then import again",
            details={"sqlstate": orig.sqlstate, "server_message": _first_line(orig)},
        )
    if isinstance(orig, psycopg.errors.QueryCanceled):
        if cancel.cancelled:
            return OperationCancelled("the import was cancelled; nothing was stored")
        return MigrationDiscoveryError(f"the database stopped the import: {_first_line(orig)}")
    if isinstance(orig, psycopg.errors.InsufficientPrivilege):
        return UserInputError(
            "you may not add imports to this engagement (read-only membership)",
            file=display,
            hint="ask the engagement lead to make you a member",
        )
    if isinstance(orig, psycopg.OperationalError):
        return MigrationDiscoveryError(
            f"lost the connection to the database during the import (nothing was kept): {_first_line(orig)}"
        )
    if isinstance(orig, psycopg.Error):
        return MigrationDiscoveryError(f"storing the import failed (nothing was kept): {_first_line(orig)}")
    if isinstance(orig, OSError):
        return UserInputError(
            f"cannot read the file ({orig.strerror or orig})",
            file=display,
            hint="check that it still exists, is readable and is not open exclusively in another program",
        )
    return exc


def _record_failure(
    core: Core,
    tenant: Tenant,
    path: Path,
    sheet: str | None,
    source_system: str | None,
    error: BaseException,
) -> uuid.UUID | None:
    """Write the `failed` data import in its own transaction; never masks the original error."""
    cancelled = isinstance(error, (OperationCancelled, KeyboardInterrupt))
    if isinstance(error, UserInputError):
        message = error.describe()
        details: dict[str, Any] = {"kind": "user_input", **error.to_dict()}
    elif cancelled:
        message = "cancelled by the user; nothing was stored"
        details = {"kind": "cancelled"}
    else:
        message = str(error) or type(error).__name__
        details = {"kind": "error", "type": type(error).__name__}
    try:
        size = path.stat().st_size
    except OSError:
        size = None
    failed_id = uuid.uuid4()
    try:
        with core.uow(tenant) as uow:
            uow.session.add(
                DataImport(
                    id=failed_id,
                    client_account_id=tenant.client_account_id,
                    engagement_id=tenant.engagement_id,
                    filename=(path.name or str(path))[:1000],
                    file_size=size,
                    sheet_name=sheet[:300] if sheet else None,
                    source_system=source_system[:200] if source_system else None,
                    status="failed",
                    columns=[],
                    import_metadata={},
                    total_records=0,
                    processed_records=0,
                    failed_records=0,
                    error_message=message,
                    error_details=details,
                    completed_at=datetime.now(UTC),
                    imported_by=tenant.user_id,
                )
            )
            uow.commit()
    except Exception:
        log.warning("could not record the failed import of %s", path, exc_info=True)
        return None
    return failed_id


def failed_import_id(exc: BaseException) -> uuid.UUID | None:
    """The `failed` data import recorded for an exception raised by `import_file`, if any."""
    value = getattr(exc, "import_id", None)
    return value if isinstance(value, uuid.UUID) else None
