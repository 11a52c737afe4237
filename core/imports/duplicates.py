"""Has this file been imported into this engagement before? Its SHA-256 fingerprint says.

Consultants receive the same export twice (mailed again, downloaded again under another name); a
second import of it would put every server into the inventory's sources twice without anyone
noticing. So the import use case refuses a file whose fingerprint (`data_imports.file_sha256`,
stored with every import) and sheet match a *completed* import of the same engagement, unless it
is told `allow_duplicate`: the CLI then says so with `--allow-duplicate`, the wizard asks. A
failed earlier import stored no rows, so it does not count; another sheet of the same workbook is
another table, so it does not count either.

The check costs one indexed query for a new file: the file is hashed before reading only when an
earlier import of the same size and sheet exists. After the rows are staged (the fingerprint is
then known anyway) the check is repeated under a transaction-scoped advisory lock on the
fingerprint, so two imports of one file started at the same moment cannot both pass.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from core.db.models import DataImport
from core.errors import UserInputError
from core.uow import UnitOfWork

MAX_NAMED = 20
"""Earlier imports listed in an error's details (all are counted)."""


@dataclass(frozen=True)
class EarlierImport:
    """A completed import of the same file into the same engagement."""

    import_id: uuid.UUID
    filename: str
    sheet: str | None
    completed_at: datetime | None
    rows: int

    def when(self) -> str:
        """The completion time in UTC, to the minute: what the CLI's message shows."""
        if self.completed_at is None:
            return "an unknown date"
        return self.completed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    def to_dict(self) -> dict[str, Any]:
        return {
            "import_id": str(self.import_id),
            "filename": self.filename,
            "sheet": self.sheet,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "rows": self.rows,
        }


@dataclass
class DuplicateImport(UserInputError):
    """The file was imported into this engagement before; nothing was imported (nor recorded)."""

    earlier: list[EarlierImport] = field(default_factory=list)


def fingerprint(path: str | Path) -> str:
    """The file's SHA-256 as hex, as `data_imports.file_sha256` stores it."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def earlier_imports(
    uow: UnitOfWork,
    *,
    sha256: str | None = None,
    file_size: int | None = None,
    sheet: str | None = None,
) -> list[EarlierImport]:
    """Completed imports of the unit of work's engagement with this fingerprint (or, as a cheap
    pre-filter, this file size) and sheet, newest first."""
    assert uow.tenant is not None, "earlier imports are looked up for one engagement"
    query = select(
        DataImport.id,
        DataImport.filename,
        DataImport.sheet_name,
        DataImport.completed_at,
        DataImport.processed_records,
    ).where(
        DataImport.engagement_id == uow.tenant.engagement_id,
        DataImport.status == "completed",
        DataImport.sheet_name.is_not_distinct_from(sheet[:300] if sheet else None),
    )
    if sha256 is not None:
        query = query.where(DataImport.file_sha256 == sha256)
    if file_size is not None:
        query = query.where(DataImport.file_size == file_size)
    rows = uow.session.execute(query.order_by(DataImport.completed_at.desc().nulls_last())).all()
    return [EarlierImport(*row) for row in rows]


def earlier_imports_of_file(
    uow: UnitOfWork, path: str | Path, *, sheet: str | None = None
) -> list[EarlierImport]:
    """Completed imports of exactly this file (and sheet) in the unit of work's engagement, newest first.

    Hashes the file only when an earlier import has its size.
    """
    p = Path(path)
    if not earlier_imports(uow, file_size=p.stat().st_size, sheet=sheet):
        return []
    return earlier_imports(uow, sha256=fingerprint(p), sheet=sheet)


def lock_fingerprint(uow: UnitOfWork, sha256: str, sheet: str | None) -> None:
    """Serialise imports of one file (and sheet) into one engagement until this transaction ends."""
    assert uow.tenant is not None
    key = f"md:import:{uow.tenant.engagement_id}:{sha256}:{sheet or ''}"
    uow.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def duplicate_error(
    display: str, sheet: str | None, sha256: str, earlier: list[EarlierImport]
) -> DuplicateImport:
    """The refusal: names the latest earlier import (date, file name, id) and how to import anyway."""
    last = earlier[0]
    more = len(earlier) - 1
    again = f" (and {more} more time{'s' if more != 1 else ''} before)" if more else ""
    as_sheet = f", sheet {last.sheet!r}" if last.sheet else ""
    return DuplicateImport(
        "was already imported into this engagement (same content, by its SHA-256 fingerprint); "
        "nothing was imported",
        file=display,
        sheet=sheet,
        hint=f"it was imported on {last.when()} as {last.filename}{as_sheet} (import {last.import_id}, "
        f"{last.rows:,} rows){again}; to import it again as a new import anyway, use --allow-duplicate "
        "(in the app: answer “Import again”)",
        details={
            "sha256": sha256,
            "earlier_imports": [e.to_dict() for e in earlier[:MAX_NAMED]],
            "earlier_import_count": len(earlier),
        },
        earlier=list(earlier),
    )


def refuse_if_imported(uow: UnitOfWork, display: str, sheet: str | None, sha256: str) -> None:
    """Raise `DuplicateImport` when a completed import of this engagement has this fingerprint and sheet."""
    earlier = earlier_imports(uow, sha256=sha256, sheet=sheet)
    if earlier:
        raise duplicate_error(display, sheet, sha256, earlier)
