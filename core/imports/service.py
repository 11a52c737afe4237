"""Importing one file: raw rows, the data import and its discovery flow, in one transaction.

Everything an import writes (the `data_imports` row, its master and discovery flow, every raw
record, the `data_import_completed` flag) commits together or not at all: after a crash, a kill
or a cancel the import is absent, never half there. A failure is then recorded as a `failed`
`data_imports` row in a second, short transaction, so the consultant sees what went wrong.
Once the import is stored its mapping suggestions are made in a transaction of their own (they
read only the first records); if the suggester fails the import stands, with a warning.

An interruption (Ctrl-C, a cancel, a lost connection) once COMMIT has been sent leaves the client
unable to tell whether the server carried it out. The import is then looked up by its id in a new
transaction (a lost connection is replaced by the pool): when it is stored and complete that is
the result (with a warning saying the interruption came after it was stored); when it is absent
the failure is recorded as usual; when the server cannot be reached the error says the outcome
is unknown and how to check. A failure record is never written for an import that exists, nor
for a consultant who may not write.

Rows reach PostgreSQL through a TEMP stage (see `copy_writer`): for plain CSV the server parses
the file itself (`csv_fastpath`), everything else (and any CSV the fast path is unsure about)
streams through the `core.ingest` reader. Either way the result is the same: every data cell as
text under the file's header, empty columns and rows dropped and counted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from core.changes import NOTHING, OpChanges, ids
from core.db.models import DataImport
from core.errors import MigrationDiscoveryError, OperationCancelled, UserInputError
from core.flows import create_discovery_flow, mark_import_completed
from core.imports import copy_writer, csv_fastpath, duplicates
from core.imports import rvtools as rvtools_details
from core.imports.copy_writer import RecordIndexing, UnstorableValue
from core.ingest import BadRow, Table, TableInfo, open_table
from core.ingest.rvtools import RVToolsExport
from core.mapping.kind import check_kind, detect_kind
from core.mapping_review import memory
from core.mapping_review.samples import SAMPLE_RECORDS
from core.mapping_review.suggestions import Precomputed, generate_suggestions, precompute
from core.progress import CancelToken, ProgressFn, ProgressReporter
from core.uow import Tenant, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_LISTED_BAD_ROWS = 1000
CANCELLED = "the import was cancelled; nothing was stored"
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
    warnings: list[str] = field(default_factory=list)  # to check: encoding guesses, replaced bytes
    changes: OpChanges = NOTHING
    """What the import's commit changed (its import, flow and mapping suggestions), for the screens."""
    mappings_suggested: int = 0
    """Columns given a stored mapping suggestion right after the import (0: the suggester failed)."""
    mappings_with_target: int = 0
    """Of those, the columns whose suggestion names a target field."""
    duplicate_of: tuple[uuid.UUID, ...] = ()
    """Earlier completed imports of the same file, newest first (only with `allow_duplicate`)."""
    rvtools: dict[str, Any] | None = None
    """A whole RVTools export (`rvtools=True`): version, vCenter(s), rows stored per detail sheet."""
    kind: str = "assets"
    """`assets` (an inventory) or `connections` (a dependency export): given, or recognised."""

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
            "warnings": self.warnings,
            "mappings_suggested": self.mappings_suggested,
            "mappings_with_target": self.mappings_with_target,
            "duplicate_of": [str(i) for i in self.duplicate_of],
            "kind": self.kind,
            **({"rvtools": self.rvtools} if self.rvtools is not None else {}),
        }


class WriteRefused(UserInputError):
    """The consultant may not add imports to the engagement (viewer, or not a member): no failure
    record is written either, since row-level security would refuse it too."""


class ImportOutcomeUnknown(MigrationDiscoveryError):
    """COMMIT was sent, then the connection was lost (or the user interrupted) and the database could
    not be reached to look the import up: it may or may not be stored. Nothing was recorded."""

    def __init__(self, message: str, pending: ImportResult) -> None:
        super().__init__(message)
        self.pending = pending

    def to_json(self) -> dict[str, Any]:
        """The CLI's import shape with `status: "unknown"` and the ids to look up."""
        return {
            **{k: self.pending.to_json()[k] for k in ("import_id", "flow_id", "master_flow_id", "rows")},
            "status": "unknown",
            "errors": [{"message": str(self)}],
        }


@dataclass
class _CommitAttempt:
    """Filled just before COMMIT: what the import is if the server carried the COMMIT out."""

    pending: ImportResult | None = None


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
    first_rows: list[list[str]] | None = None  # reader path: the first records' cells, as stored


def import_file(
    uows: UnitOfWorkFactory,
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
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    fast_path: bool = True,
    allow_duplicate: bool = False,
    rvtools: bool = False,
    kind: str | None = None,
) -> ImportResult:
    """Import `path` into the tenant's engagement as a new data import with its discovery flow.

    Raises the reader's `UserInputError` unchanged for bad files, `UserInputError` for a full
    disk or a read-only membership, `OperationCancelled` when `cancel` fires; in every failure
    case nothing of the import is kept and a `failed` data import records the reason (its id is
    on the exception as `import_id`). `fast_path=False` forces the reader path (for comparison).

    A file (and sheet) that a completed import of this engagement already holds — same SHA-256 —
    is refused with `duplicates.DuplicateImport` before its rows are read, naming the earlier
    import; nothing is recorded then. `allow_duplicate=True` imports it again (the import's
    metadata names the earlier ones under `duplicate_of`).

    `rvtools=True`: `path` must be a whole RVTools export; its `vInfo` is the import's table and the
    rows of its detail sheets are stored with it, in the same transaction (`core.imports.rvtools`).
    Its source system defaults to the RVTools version and vCenter of `vMetaData`.

    `kind` (`assets` | `connections`) overrides the kind recognised from the columns
    (`core.mapping.kind.detect_kind`); both are kept in `import_metadata` (`kind`, `kind_detected`).
    """
    kind = check_kind(kind)
    reporter = ProgressReporter(progress, cancel, cancelled_message=CANCELLED)
    path = Path(path)
    display = path.name or str(path)
    attempt = _CommitAttempt()
    try:
        reporter.report("opening", 0, None, force=True)
        export: RVToolsExport | None = None
        if rvtools:
            export = rvtools_details.recognised_export(path, display, sheet)
            sheet, source_system = export.main_sheet, source_system or export.source_system
        warm = _WarmUp()
        with open_table(
            path,
            sheet=sheet,
            encoding=encoding,
            delimiter=delimiter,
            header_row=header_row,
            skip_bad_rows=skip_bad_rows,
            while_parsing=warm.start,  # a workbook's sheet is parsed without the GIL: warm up then
        ) as table:
            return _import_table(
                uows,
                tenant,
                table,
                display=display,
                source_system=source_system,
                flow_name=flow_name,
                reporter=reporter,
                fast_path=fast_path,
                attempt=attempt,
                allow_duplicate=allow_duplicate,
                rvtools=export,
                kind=kind,
                warm=warm,
            )
    except BaseException as exc:
        if attempt.pending is not None:  # COMMIT was sent: what did the server do?
            stored = _settle_after_commit(uows, tenant, attempt.pending, exc, reporter.cancel)
            if stored is not None:
                return stored
        error = _translate(exc, display, sheet, reporter.cancel)
        failed_id = _record_failure(uows, tenant, path, sheet, source_system, error)
        if failed_id is not None:
            error.import_id = failed_id  # type: ignore[attr-defined]
        if error is exc:
            raise
        raise error from exc


def _import_table(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    table: Table,
    *,
    display: str,
    source_system: str | None,
    flow_name: str | None,
    reporter: ProgressReporter,
    fast_path: bool,
    attempt: _CommitAttempt,
    allow_duplicate: bool,
    rvtools: RVToolsExport | None = None,
    kind: str | None = None,
    warm: _WarmUp | None = None,
) -> ImportResult:
    info = table.info
    width = len(info.columns)
    import_id = uuid.uuid4()
    with uows(tenant) as uow:
        pg = uow.session.connection().connection.driver_connection
        assert isinstance(pg, psycopg.Connection)
        with reporter.cancel.on_cancel(pg.cancel_safe):
            _require_write_access(pg, display)
            if not allow_duplicate and duplicates.earlier_imports(
                uow, file_size=info.file_size, sheet=info.sheet
            ):
                # same size as an earlier import: hash now, so a duplicate is refused before reading
                duplicates.refuse_if_imported(uow, display, info.sheet, duplicates.fingerprint(info.path))
            warm = warm or _WarmUp()
            warm.start()  # while the server reads and stores the rows (if the reader has not yet)
            staged = _stage(pg, table, display=display, reporter=reporter, fast_path=fast_path)
            if allow_duplicate:
                again = duplicates.earlier_imports(uow, sha256=staged.sha256, sheet=info.sheet)
                staged.notes.extend(_imported_again(again))
            else:  # again, by the fingerprint of what was read, and serialised with a concurrent import
                again = []
                duplicates.lock_fingerprint(uow, staged.sha256, info.sheet)
                duplicates.refuse_if_imported(uow, display, info.sheet, staged.sha256)
            cur = pg.cursor()
            nonempty = staged.filled or copy_writer.nonempty_columns(
                cur, width, skip_blank_rows=staged.drop_blank_rows
            )
            keep = [i for i, filled in enumerate(nonempty) if filled]
            dropped = [info.columns[i] for i in range(width) if not nonempty[i]]
            metadata = _metadata(info, staged, dropped)
            guess = detect_kind(info.columns[i].name for i in keep)
            metadata["kind"] = kind or ("assets" if rvtools is not None else guess.kind)
            metadata["kind_detected"] = guess.to_dict()
            if again:
                metadata["duplicate_of"] = [e.to_dict() for e in again[: duplicates.MAX_NAMED]]
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
            early = _EarlySuggestions.start(uow, staged, info, keep, metadata["kind"], warm)
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
            details = None
            if rvtools is not None:  # the detail sheets' rows, in this same transaction
                details = rvtools_details.store_details(
                    pg, path=info.path, export=rvtools, import_id=import_id, tenant=tenant, reporter=reporter
                )
                metadata = {**metadata, "rvtools": details.to_json()}
                metadata["notes"] = [*metadata["notes"], *details.notes()]
                staged.notes.extend(details.notes())
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
            reporter.cancel.raise_if_cancelled(CANCELLED)
            pending = ImportResult(
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
                warnings=list(info.warnings),
                duplicate_of=tuple(e.import_id for e in again),
                rvtools=details.to_json() if details is not None else None,
                kind=metadata["kind"],
            )
            attempt.pending = pending
            uow.note(
                OpChanges(
                    imports=True,
                    flows=True,
                    mappings=True,
                    import_ids=ids(import_id),
                    flow_ids=ids(flow.id),
                    count=rows,
                )
            )
            try:
                uow.commit()
            except BaseException:
                # Whatever state the interrupted commit left: close without a rollback, so the
                # original error (not a second one about the session) reaches import_file.
                uow.session.close()
                raise
    suggested = _suggest(uows, tenant, pending, reporter, warm, early)
    reporter.mark(None)
    log.info(
        "imported %s: %d rows via %s in %.1fs (%s)",
        display,
        rows,
        staged.write_path,
        reporter.elapsed,
        ", ".join(f"{phase} {seconds:.2f}s" for phase, seconds in reporter.timings.items()),
    )
    return dataclasses.replace(
        suggested.result,
        seconds=reporter.elapsed,
        timings=dict(reporter.timings),
        changes=uow.committed_changes.merged(suggested.changes),
    )


@dataclass(frozen=True)
class _Suggested:
    """The import's result with its suggestion counts (or a warning), and what the suggestions changed."""

    result: ImportResult
    changes: OpChanges = NOTHING


class _WarmUp:
    """The suggester's warm-up on a thread, started at most once: by the reader while it parses a
    workbook's sheet (no GIL taken from the import then), else when the rows are staged."""

    def __init__(self) -> None:
        self._thread = threading.Thread(target=_warm_suggester, name="md-suggester-warm-up", daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def join(self) -> None:
        if self._started:
            self._thread.join()


class _EarlySuggestions:
    """The rules suggester run on a thread from the first rows the reader gave, while the server
    stores the rows, builds the indexes and commits (waits that leave the GIL free); after the
    commit `generate_suggestions` uses the result only if the stored records give the same input."""

    def __init__(self, run: Callable[[], Precomputed] | None = None) -> None:
        self._result: Precomputed | None = None
        self._thread = threading.Thread(target=self._run, args=(run,), name="md-suggest-early", daemon=True)
        if run is not None:
            self._thread.start()

    @classmethod
    def start(
        cls, uow: UnitOfWork, staged: _Staged, info: TableInfo, keep: list[int], kind: str, warm: _WarmUp
    ) -> _EarlySuggestions:
        if staged.first_rows is None:  # the server parsed the file: no rows were seen here
            return cls()
        first = staged.first_rows
        columns = [info.columns[i].name for i in keep]
        column_samples = [[r[i] if i < len(r) else "" for r in first] for i in keep]
        learned = memory.learned_for(uow)  # on this thread: the session is not shared

        def run() -> Precomputed:
            warm.join()  # the caches it fills, filled once
            return precompute(columns, column_samples, learned, kind)

        return cls(run)

    def _run(self, run: Callable[[], Precomputed] | None) -> None:
        if run is None:
            return
        try:
            self._result = run()
        except Exception:  # the suggestions after the commit run again and report any problem
            log.debug("suggesting early failed", exc_info=True)

    def result(self) -> Precomputed | None:
        if self._thread.is_alive():
            self._thread.join()
        return self._result


def _warm_suggester() -> None:
    """Load the suggester (its modules, the schema, the vocabulary and their caches) on a thread while
    the rows are stored — mostly a wait on the server — so the suggestions cost only their own work."""
    try:
        from core.mapping import suggest_mappings
        from core.values.fields import asset_fields

        suggest_mappings([("Hostname", ["web01"])], use_semantic=False)
        asset_fields()  # the review grid's preview fit reads the field contract
    except Exception:  # the real run reports any problem
        log.debug("warming up the suggester failed", exc_info=True)


def _suggest(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    stored: ImportResult,
    reporter: ProgressReporter,
    warm: _WarmUp,
    early: _EarlySuggestions,
) -> _Suggested:
    """Mapping suggestions for the import just committed, so every front end (`map list`, the review
    grid, `map finish --auto`) has them as soon as the import is there; they sample only the first
    records, so the import's speed does not depend on them.

    In their own transaction, right after the import's: a suggester failure keeps the import and comes
    back as a warning naming the command that makes them. A cancel or Ctrl-C now reaches
    `import_file` after COMMIT, which reports the stored import. Without the optional semantic
    matcher (its model costs ~230 MB and a second per process, for a marginal gain):
    `migration-discovery map generate` refreshes the undecided rows with it where it is installed.
    """
    reporter.report("suggesting", stored.rows, stored.rows, force=True)
    warm.join()
    try:
        with uows(tenant) as uow:
            rows = generate_suggestions(uow, stored.import_id, use_semantic=False, precomputed=early.result())
            uow.commit()
    except Exception:
        if reporter.cancel.cancelled:
            raise
        log.warning("suggesting mappings for import %s failed", stored.import_id, exc_info=True)
        warning = (
            "no mapping suggestions were made (the log file has the details); make them with "
            f"`migration-discovery map generate {stored.flow_id}` or open the mapping review"
        )
        return _Suggested(dataclasses.replace(stored, warnings=[*stored.warnings, warning]))
    counted = dataclasses.replace(
        stored, mappings_suggested=len(rows), mappings_with_target=sum(1 for r in rows if r.target_field)
    )
    return _Suggested(counted, uow.committed_changes)


def _imported_again(earlier: list[duplicates.EarlierImport]) -> list[str]:
    """The note of an import made again on purpose (`allow_duplicate`)."""
    if not earlier:
        return []
    last = earlier[0]
    return [
        f"imported again on purpose: the same file was imported on {last.when()} as {last.filename} "
        f"(import {last.import_id})" + (f" and {len(earlier) - 1} more time(s)" if len(earlier) > 1 else "")
    ]


def _require_write_access(pg: psycopg.Connection, display: str) -> None:
    """Refuse before reading the file when row-level security would refuse the rows anyway."""
    row = pg.execute("SELECT md_tenant_role()").fetchone()
    role = row[0] if row else None
    if role in ("lead", "member"):
        return
    raise WriteRefused(
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
    first_rows: list[list[str]] = []
    read = _keeping_first(table.iter_rows(), first_rows, SAMPLE_RECORDS)
    try:
        if width > copy_writer.MAX_STAGE_COLUMNS:
            rows, filled = copy_writer.copy_rows_wide(cur, read, width, reporter, info.total_rows_estimate)
        else:
            rows = copy_writer.copy_rows(cur, read, width, reporter, info.total_rows_estimate)
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
        first_rows=first_rows,
    )


def _keeping_first(
    rows: Iterator[tuple[int, list[str]]], first: list[list[str]], n: int
) -> Iterator[tuple[int, list[str]]]:
    """`rows` as they are, the cells of the first `n` appended to `first` on the way."""
    for row in rows:
        first.append(row[1])
        yield row
        if len(first) >= n:
            break
    yield from rows


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
        "encoding_errors": info.encoding_errors,
        "encoding_details": info.encoding_details,
        "warnings": list(info.warnings),
    }


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:  # the driver's words, not SQLAlchemy's wrapper
        exc = exc.orig
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
            return OperationCancelled(CANCELLED)
        return MigrationDiscoveryError(f"the database stopped the import: {_first_line(orig)}")
    if isinstance(orig, psycopg.errors.InsufficientPrivilege):
        return WriteRefused(
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


def _stored_status(uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID) -> str | None:
    """The import's status as the database has it now (None: absent), read in a new transaction."""
    with uows(tenant) as uow:
        return uow.session.scalar(select(DataImport.status).where(DataImport.id == import_id))


def _settle_after_commit(
    uows: UnitOfWorkFactory, tenant: Tenant, pending: ImportResult, exc: BaseException, cancel: CancelToken
) -> ImportResult | None:
    """After an interruption at or after COMMIT: the stored import, or None when it is absent.

    Raises `ImportOutcomeUnknown` when the database cannot be reached to tell (nothing is recorded
    then: a failure record could contradict an import that exists).
    """
    interrupted = isinstance(exc, KeyboardInterrupt | OperationCancelled) or cancel.cancelled
    what = "interrupted" if interrupted else f"the connection to the database was lost ({_first_line(exc)})"
    try:
        status = _stored_status(uows, tenant, pending.import_id)
    except BaseException as lookup:  # a second Ctrl-C or a dead server: both mean "cannot tell"
        log.warning(
            "the import of %s was %s while committing, and looking it up failed",
            pending.filename,
            "interrupted" if interrupted else "cut off",
            exc_info=True,
        )
        raise ImportOutcomeUnknown(
            f"{what} while the import of {pending.filename} was being committed, and the database "
            f"could not be reached to check whether it was stored ({_first_line(lookup)}): the outcome "
            f"is unknown — once the server is back, look for import {pending.import_id} in the import "
            f"list or run `migration-discovery flow status {pending.flow_id}`; import the file again "
            "only if it is not there",
            pending,
        ) from exc
    if status is None:
        log.info("the import of %s was %s before the server committed it", pending.filename, what)
        return None
    if status != "completed":  # one transaction writes it complete: this would be a bug, say what is there
        raise MigrationDiscoveryError(
            f"{what} while the import of {pending.filename} was being committed; import "
            f"{pending.import_id} is stored with status {status!r}"
        ) from exc
    note = f"{what} after the import was stored; it is complete (looked up again after the interruption)"
    log.warning("%s: %s", pending.filename, note, exc_info=exc)
    return dataclasses.replace(
        pending,
        notes=[*pending.notes, note],
        warnings=[*pending.warnings, note],
    )


def _record_failure(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    path: Path,
    sheet: str | None,
    source_system: str | None,
    error: BaseException,
) -> uuid.UUID | None:
    """Write the `failed` data import in its own transaction; never masks the original error.

    Not for a consultant who may not write (row-level security would refuse the record as well).
    """
    if isinstance(error, WriteRefused | duplicates.DuplicateImport):
        return None  # refused before anything was read: not a failed import
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
        with uows(tenant) as uow:
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
