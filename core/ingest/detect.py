"""Decide what kind of file this is from its bytes, not its name.

Consultants receive files renamed, mis-saved and mislabelled: a PDF called `.csv`, an HTML page
called `.xls`, an encrypted workbook. Magic bytes and archive contents decide; the extension only
breaks ties (JSON vs. CSV) and words messages.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

from core.errors import UserInputError
from core.ingest.encoding import bom_of
from core.ingest.model import Format
from core.ingest.safety import OLE2_MAGIC, foreign_file_kind, is_zip, ole2_kind

SUPPORTED = "CSV/TSV, a workbook (.xlsx/.xlsm/.xlsb/.xls/.ods), JSON or a ZIP of CSV files"
_JSON_SUFFIXES = {".json", ".geojson"}
_JSON_LINES_SUFFIXES = {".jsonl", ".ndjson"}
_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xlsb", ".ods"}
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
_JSON_START = re.compile(r"^(?:\[\s*(?:\{|\]|$)|\{\s*(?:\"|\}|$))")


ENCRYPTED_HINT = (
    "open it in Excel, remove the password (File › Info › Protect Workbook › Encrypt with Password, "
    "clear it), save, and import again"
)


def display_name(path: Path) -> str:
    """The name used in messages: the file name, which is what the user recognises."""
    return path.name or str(path)


def _text_head(head: bytes) -> str:
    """Leading bytes as text for sniffing (BOM and UTF-16 NULs handled loosely)."""
    bom = bom_of(head)
    if bom is not None:
        return head[bom[2] :].decode(bom[1], errors="ignore")
    if head[:64].count(0) > 8:
        return head.replace(b"\x00", b"").decode("latin-1")
    return head.decode("latin-1")


_WORKBOOK_TYPES = (
    "spreadsheetml.sheet.main+xml",
    "spreadsheetml.template.main+xml",
    "ms-excel.sheet.macroenabled.main+xml",
    "ms-excel.template.macroenabled.main+xml",
)


def workbook_kind(zf: zipfile.ZipFile) -> str | None:
    """Say "xlsx" or "xlsb" for an Office Open XML workbook package, else None.

    Decided by the package manifest (bounded read), so workbooks whose main part is not at the
    usual `xl/workbook.xml` are still recognised.
    """
    names = set(zf.namelist())
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "[Content_Types].xml" not in names:
        return None
    with zf.open("[Content_Types].xml") as fh:
        manifest = fh.read(256 * 1024).decode("utf-8", "ignore").lower()
    if "ms-excel.sheet.binary.macroenabled.main" in manifest:
        return "xlsb"
    if any(kind in manifest for kind in _WORKBOOK_TYPES):
        return "xlsx"
    return None


def looks_like_json_lines(text: str) -> bool:
    """True when the first two non-blank lines of `text` (a file's head) each start a JSON object and
    the first is one whole object: JSON Lines, whatever the file is called."""
    lines = [line for line in text.split("\n")[:-1] if line.strip()][:2]  # the last may be cut off
    if len(lines) < 2 or not lines[1].lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except ValueError:
        return False


def _zip_kind(path: Path, display: str) -> Format:
    return "xlsx" if _zip_contents(path, display) != "zip" else "zip"


def _zip_contents(path: Path, display: str) -> str:
    """ "xlsx", "xlsm", "xlsb", "ods" or "zip" (of CSVs) for a ZIP-based file, else refuse it."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            workbook = workbook_kind(zf)
            macro = workbook == "xlsx" and _macro_enabled(zf)
            mimetype = ""
            if "mimetype" in names:
                with zf.open("mimetype") as fh:  # bounded read: the archive is not vetted yet
                    mimetype = fh.read(100).decode("ascii", "ignore")
    except (zipfile.BadZipFile, OSError, EOFError, KeyError):
        if path.suffix.lower() in _WORKBOOK_SUFFIXES:
            raise UserInputError(
                f"is not a readable Excel workbook (damaged, incomplete or not really {path.suffix.lower()})",
                file=display,
                hint="open it in Excel and save it again as .xlsx, or export CSV",
            ) from None
        raise UserInputError(
            "is not a readable ZIP archive (damaged or incomplete)",
            file=display,
            hint="download or export it again",
        ) from None
    if workbook == "xlsx":
        return "xlsm" if macro else "xlsx"
    if workbook == "xlsb":
        return "xlsb"
    if "word/document.xml" in names:
        raise UserInputError(
            "is a Word document, not an inventory table",
            file=display,
            hint="export the inventory as CSV or .xlsx",
        )
    if "ppt/presentation.xml" in names:
        raise UserInputError(
            "is a PowerPoint presentation, not an inventory table",
            file=display,
            hint="export the inventory as CSV or .xlsx",
        )
    if mimetype.startswith(ODS_MIME) and "content.xml" in names:
        return "ods"
    if mimetype.startswith(ODS_MIME):
        raise UserInputError(
            "is not a readable OpenDocument spreadsheet (no content part inside)",
            file=display,
            hint="open it in LibreOffice and save it again as .ods or .xlsx, or export CSV",
        )
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        raise UserInputError(
            "is an OpenDocument file, not an inventory table",
            file=display,
            hint="export the inventory as CSV or .xlsx",
        )
    if any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
        raise UserInputError(
            "is an Apple Numbers document, which cannot be read",
            file=display,
            hint="export it as .xlsx or CSV from Numbers",
        )
    if "[Content_Types].xml" in names or path.suffix.lower() in _WORKBOOK_SUFFIXES:
        raise UserInputError(
            "is not a readable Excel workbook (no workbook part inside)",
            file=display,
            hint="open it in Excel and save it again as .xlsx, or export CSV",
        )
    return "zip"


def _macro_enabled(zf: zipfile.ZipFile) -> bool:
    if "[Content_Types].xml" not in zf.namelist():
        return False
    with zf.open("[Content_Types].xml") as fh:
        return "macroenabled.main" in fh.read(256 * 1024).decode("utf-8", "ignore").lower()


def workbook_type(path: str | os.PathLike[str]) -> str:
    """Which workbook a file detected as "xlsx" is: "xlsx", "xlsm", "xlsb", "xls" or "ods".

    Decided by content like `detect_format` (which it assumes has accepted the file).
    """
    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE2_MAGIC):
        return "xls"
    kind = _zip_contents(p, display_name(p))
    if kind == "zip":
        raise UserInputError("is not a workbook", file=display_name(p), hint="export the sheet as CSV")
    return kind


def detect_format(path: str | os.PathLike[str]) -> Format:
    """Return "csv", "xlsx" (any workbook: .xlsx/.xlsm/.xlsb/.xls/.ods), "json", "jsonl" or "zip", or raise
    `UserInputError` saying what the file is (`workbook_type` tells the workbooks apart)."""
    p = Path(path)
    display = display_name(p)
    if not p.exists():
        raise UserInputError("does not exist", file=display, details={"path": str(p)})
    if not p.is_file():
        raise UserInputError("is not a file", file=display, hint="choose a file, not a folder")
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        raise UserInputError(
            f"cannot be read ({exc.strerror or exc})",
            file=display,
            hint="check that the file is not open elsewhere and that you may read it",
        ) from None
    if size == 0:
        raise UserInputError("is empty (0 bytes)", file=display, hint="export the inventory again")

    foreign = foreign_file_kind(head)
    if foreign is not None:
        what, todo = foreign
        raise UserInputError(f"is {what}, not {SUPPORTED}", file=display, hint=todo)
    if head.startswith(OLE2_MAGIC):
        kind = ole2_kind(p)
        if kind == "encrypted":
            raise UserInputError(
                "is a password-protected (encrypted) Excel workbook",
                file=display,
                hint=ENCRYPTED_HINT,
            )
        if kind == "xls":
            return "xlsx"
        raise UserInputError(
            "is a legacy Office document (Word or PowerPoint 97-2003, or another OLE file), not a workbook",
            file=display,
            hint="export the inventory as CSV, .xlsx or .xls",
        )
    if is_zip(head):
        return _zip_kind(p, display)

    text = _text_head(head).lstrip("\ufeff \t\r\n")
    lowered = text[:512].lower()
    if lowered.startswith(("<!doctype html", "<html")) or ("<table" in lowered and lowered.startswith("<")):
        raise UserInputError(
            "is an HTML page, not a spreadsheet (some systems save HTML under an .xls or .csv name)",
            file=display,
            hint="open it in Excel and save it as .xlsx or CSV",
        )
    if lowered.startswith("<?xml") or lowered.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in _text_head(head).lower():
            raise UserInputError(
                "is an Excel 2003 XML spreadsheet, which cannot be read",
                file=display,
                hint="open it in Excel and save it as .xlsx or CSV",
            )
        raise UserInputError(
            f"is an XML document, not {SUPPORTED}",
            file=display,
            hint="export the inventory as CSV, .xlsx or JSON",
        )
    if p.suffix.lower() in _JSON_LINES_SUFFIXES:
        return "json" if text.startswith("[") else "jsonl"  # an array: JSON, whatever its name
    if looks_like_json_lines(text):
        return "jsonl"
    if p.suffix.lower() in _JSON_SUFFIXES:
        return "json"  # the JSON parser explains what is wrong with it, if anything
    if _JSON_START.match(text[:256]):
        return "json"
    return "csv"
