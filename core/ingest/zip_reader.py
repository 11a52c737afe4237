"""ZIP archives of CSV files (RVTools "Export all to CSV"): one member is read as a table.

Members are streamed straight out of the archive, never extracted to disk; the archive passes
the zip-bomb checks first.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from core.errors import UserInputError
from core.ingest.csv_reader import open_csv
from core.ingest.safety import check_archive
from core.ingest.table import Table

CSV_MEMBER_SUFFIXES = (".csv", ".tsv", ".tab")


def _is_data_member(info: zipfile.ZipInfo) -> bool:
    if info.is_dir():
        return False
    path = PurePosixPath(info.filename)
    if path.parts and path.parts[0] == "__MACOSX":
        return False
    if path.name.startswith((".", "~$")):
        return False
    return path.suffix.lower() in CSV_MEMBER_SUFFIXES


def csv_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Delimited-text members in archive order, skipping macOS metadata and lock files."""
    return [info for info in zf.infolist() if _is_data_member(info)]


def _choose(
    members: list[zipfile.ZipInfo], requested: str | None, display: str
) -> tuple[zipfile.ZipInfo, str]:
    if requested is not None:
        wanted = requested.strip()
        for test in (
            lambda i: i.filename == wanted,
            lambda i: i.filename.casefold() == wanted.casefold(),
            lambda i: PurePosixPath(i.filename).name.casefold() == wanted.casefold(),
            lambda i: PurePosixPath(i.filename).stem.casefold() == wanted.casefold(),
        ):
            found = [i for i in members if test(i)]
            if found:
                return found[0], f"member {found[0].filename!r} (given)"
        raise UserInputError(
            f"the archive has no CSV file {requested!r}",
            file=display,
            hint="choose one of: " + ", ".join(repr(i.filename) for i in members[:20]),
        )
    for info in members:
        if "vinfo" in PurePosixPath(info.filename).name.casefold():
            return info, f"member {info.filename!r} (RVTools vInfo)"
    largest = max(members, key=lambda i: i.file_size)
    return largest, f"member {largest.filename!r} (largest CSV in the archive)"


def open_zip(
    path: Path,
    *,
    display: str,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    skip_bad_rows: bool = False,
) -> Table:
    """Open one CSV member of a ZIP (default: `*vInfo*.csv`, else the largest)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise UserInputError(
            "is not a readable ZIP archive (damaged or incomplete)",
            file=display,
            hint="download or export it again",
        ) from None
    try:
        check_archive(zf, display)
        members = csv_members(zf)
        if not members:
            others = [i.filename for i in zf.infolist() if not i.is_dir()][:10]
            found = ", ".join(others) if others else "nothing"
            raise UserInputError(
                f"the ZIP archive contains no CSV file (found: {found})",
                file=display,
                hint="zip the CSV exports themselves, or extract the archive and import the file inside",
            )
        info, note = _choose(members, sheet, display)
        if info.flag_bits & 0x1:
            raise UserInputError(
                "the ZIP archive is password-protected",
                file=display,
                sheet=info.filename,
                hint="extract it with the password and import the CSV inside",
            )

        def opener() -> BinaryIO:
            try:
                return zf.open(info)  # type: ignore[return-value]
            except NotImplementedError:
                raise UserInputError(
                    "the archive uses a compression method that cannot be read (e.g. Deflate64)",
                    file=display,
                    sheet=info.filename,
                    hint="extract it and import the CSV directly, or zip it again",
                ) from None

        return open_csv(
            path,
            opener,
            display=display,
            data_size=info.file_size,
            fmt="zip",
            member=info.filename,
            members=[i.filename for i in members],
            encoding=encoding,
            delimiter=delimiter,
            header_row=header_row,
            skip_bad_rows=skip_bad_rows,
            notes=[note],
            on_close=[zf.close],
        )
    except BaseException:
        zf.close()
        raise
