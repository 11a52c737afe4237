"""Guards that run before any parser sees the bytes: zip bombs, XML entity tricks, non-data files.

Most checks look only at cheap metadata (ZIP central directory, magic bytes, XML prologs), so a
hostile file is refused in well under a second, before anything is decompressed in bulk. The
workbook limits (`check_workbook_parts`) also stream through the parts a reader holds in memory
as soon as it opens the workbook (string table, styles, workbook), counting tags with byte
searches (no XML parsing). A sheet is checked when it is about to be read, in the same pass that
bounds its grid (`workbook_scan.scan_xlsx_sheet`, with `refuse_long_row` and
`refuse_outside_elements` from here): sheets nobody reads cost nothing.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import UserInputError

MAX_TOTAL_UNCOMPRESSED = 2 * 1024**3
"""Refuse ZIP/XLSX archives that would expand to more than this in total."""
MAX_COMPRESSION_RATIO = 200
"""Refuse members that expand more than this (real spreadsheets stay well under 100:1)."""
RATIO_CHECK_MIN_SIZE = 1024**2
"""Small members may legitimately compress extremely well; only check the ratio above this size."""
MAX_MEMBERS = 20_000
XML_PROLOG_SCAN_BYTES = 4096

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# (magic prefix, description, what to do)
_FOREIGN_MAGIC: list[tuple[bytes, str, str]] = [
    (b"%PDF", "a PDF document", "export the inventory as CSV or .xlsx instead"),
    (b"MZ", "a Windows program (.exe/.dll)", "choose the inventory export (CSV, .xlsx or JSON)"),
    (b"\x7fELF", "a Linux program (ELF)", "choose the inventory export (CSV, .xlsx or JSON)"),
    (b"\xfe\xed\xfa\xce", "a macOS program", "choose the inventory export (CSV, .xlsx or JSON)"),
    (b"\xfe\xed\xfa\xcf", "a macOS program", "choose the inventory export (CSV, .xlsx or JSON)"),
    (b"\xcf\xfa\xed\xfe", "a macOS program", "choose the inventory export (CSV, .xlsx or JSON)"),
    (b"\xce\xfa\xed\xfe", "a macOS program", "choose the inventory export (CSV, .xlsx or JSON)"),
    (b"\xca\xfe\xba\xbe", "a program or Java class file", "choose the inventory export"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "export the inventory as CSV or .xlsx instead"),
    (b"\xff\xd8\xff", "a JPEG image", "export the inventory as CSV or .xlsx instead"),
    (b"GIF87a", "a GIF image", "export the inventory as CSV or .xlsx instead"),
    (b"GIF89a", "a GIF image", "export the inventory as CSV or .xlsx instead"),
    (b"II*\x00", "a TIFF image", "export the inventory as CSV or .xlsx instead"),
    (b"MM\x00*", "a TIFF image", "export the inventory as CSV or .xlsx instead"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract it and import the CSV or .xlsx inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it and import the CSV or .xlsx inside"),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it first and import the file inside"),
    (b"BZh", "a bzip2-compressed file", "decompress it first and import the file inside"),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "decompress it first and import the file inside"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file", "decompress it first and import the file inside"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV first"),
    (b"PAR1", "a Parquet file", "export the table as CSV first"),
    (b"{\\rtf", "an RTF document", "export the inventory as CSV or .xlsx instead"),
    (b"\x00\x00\x01\x00", "an icon file", "choose the inventory export (CSV, .xlsx or JSON)"),
]


_TEXT_LIKE_MAGIC = {b"MZ", b"BZh", b"PAR1"}
"""Magics a CSV header could start with ("MZone;..."): trusted only if binary bytes follow."""


def _binaryish(head: bytes) -> bool:
    return any(b < 9 for b in head[:512])


def foreign_file_kind(head: bytes) -> tuple[str, str] | None:
    """Return (what the file is, what to do) when the leading bytes show a non-data file."""
    for magic, what, todo in _FOREIGN_MAGIC:
        if head.startswith(magic) and (magic not in _TEXT_LIKE_MAGIC or _binaryish(head)):
            return what, todo
    return None


def is_zip(head: bytes) -> bool:
    """ZIP local-file, empty-archive or spanned-archive signature."""
    return head.startswith(ZIP_MAGICS)


def ole2_kind(path: Path) -> str:
    """Tell an encrypted OOXML file, an Excel 97-2003 workbook and other legacy Office files apart.

    All are OLE2 containers. Encrypted .xlsx/.docx files hold `EncryptionInfo` and `EncryptedPackage`
    streams, .xls files a `Workbook` (BIFF8) or `Book` (BIFF5) stream, Word and PowerPoint files
    their own; directory entries are UTF-16LE names, found by a bounded byte scan. Returns
    "encrypted", "xls" or "legacy".
    """
    names = {
        "encrypted": ("EncryptedPackage", "EncryptionInfo"),
        "legacy": ("WordDocument", "PowerPoint Document"),
        "xls": ("Workbook", "Book"),
    }
    needles = {kind: [n.encode("utf-16-le") + b"\x00\x00" for n in found] for kind, found in names.items()}
    overlap = 64
    tail = b""
    scanned = 0
    seen: set[str] = set()
    with path.open("rb") as fh:
        while scanned < 256 * 1024**2:
            chunk = fh.read(1024**2)
            if not chunk:
                break
            scanned += len(chunk)
            window = tail + chunk
            for kind, options in needles.items():
                if any(n in window for n in options):
                    seen.add(kind)
            if "encrypted" in seen:
                return "encrypted"
            tail = window[-overlap:]
    if "legacy" in seen:
        return "legacy"
    return "xls" if "xls" in seen else "legacy"


def check_archive(zf: zipfile.ZipFile, display: str) -> None:
    """Refuse zip bombs from the central directory alone (declared sizes are enforced by zipfile).

    Python's zipfile stops at the declared uncompressed size and fails the CRC check beyond it,
    so bounding the declared sizes bounds what can ever be inflated.
    """
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UserInputError(
            f"the archive holds {len(infos):,} files, more than the {MAX_MEMBERS:,} allowed",
            file=display,
            hint="this is not a normal export; extract the file you need and import it directly",
        )
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise UserInputError(
                f"the archive would expand to more than {MAX_TOTAL_UNCOMPRESSED // 1024**3} GiB "
                "(possible zip bomb); refused without extracting",
                file=display,
                hint="split the export into smaller files, or extract it and import the CSV directly",
                details={"member": info.filename, "declared_total": total},
            )
        if info.file_size > RATIO_CHECK_MIN_SIZE:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise UserInputError(
                    f"archive member {info.filename!r} expands {ratio:,.0f}:1 "
                    f"(limit {MAX_COMPRESSION_RATIO}:1), which only zip bombs do; refused without "
                    "extracting",
                    file=display,
                    hint="re-export the file from its source application",
                    details={"member": info.filename, "ratio": ratio},
                )


def _declares_dtd(fh: object) -> bool:
    """True when an XML part declares a DTD or entities before its root element.

    Reads the prolog only: the declaration, processing instructions and comments (which may be
    long: a padding comment must not hide a DTD behind it), then stops at the root element.
    """
    read = fh.read  # type: ignore[attr-defined]
    head = read(XML_PROLOG_SCAN_BYTES)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:2] == b"\x00" or head[:1] == b"\x00":
        head = head.replace(b"\x00", b"")  # UTF-16: the markup is ASCII
        wide = True
    else:
        wide = False
    buf = head
    pos = 0
    while True:
        while True:
            while pos < len(buf) and buf[pos : pos + 1] in b" \t\r\n\xef\xbb\xbf\xff\xfe":
                pos += 1
            if pos < len(buf) or not (more := read(_SCAN_CHUNK)):
                break
            buf = buf[pos:] + (more.replace(b"\x00", b"") if wide else more)
            pos = 0
        rest = buf[pos : pos + 9].upper()
        if rest.startswith((b"<!DOCTYPE", b"<!ENTITY")):
            return True
        closer = b"-->" if rest.startswith(b"<!--") else b"?>" if rest.startswith(b"<?") else None
        if closer is None:
            return False  # the root element (or not XML at all: the reader says so)
        end = buf.find(closer, pos + 2)
        while end < 0:
            more = read(_SCAN_CHUNK)
            if not more:
                return False
            keep = buf[-8:]
            buf = keep + (more.replace(b"\x00", b"") if wide else more)
            pos = 0
            end = buf.find(closer)
        pos = end + len(closer)


def check_xml_prologs(zf: zipfile.ZipFile, display: str) -> None:
    """Refuse XML parts that declare a DTD or entities (never written by Excel or LibreOffice).

    The defence against billion-laughs and external-entity attacks: the whole prolog of every XML
    part is read (past any comment padding), and calamine's XML parser never expands entities.
    """
    markers = (b"<!DOCTYPE", b"<!ENTITY")
    markers16 = tuple(m.decode().encode("utf-16-le") for m in markers)
    for info in zf.infolist():
        name = info.filename.lower()
        if not (name.endswith(".xml") or name.endswith(".rels")) or info.is_dir():
            continue
        with zf.open(info) as fh:
            head = fh.read(XML_PROLOG_SCAN_BYTES)
        upper = head.upper()
        found = any(m in upper for m in markers) or any(m in head for m in markers16)
        if not found and len(head) == XML_PROLOG_SCAN_BYTES:
            with zf.open(info) as fh:
                found = _declares_dtd(fh)
        if found:
            raise UserInputError(
                f"part {info.filename!r} declares XML entities or a DTD, which Excel never writes "
                "(possible XML entity attack); refused",
                file=display,
                hint="open the file in Excel and save it again as .xlsx, or export CSV",
                details={"member": info.filename},
            )


# -- table shape -------------------------------------------------------------------------------

MAX_COLUMNS = 2000
"""Widest table an import accepts. Mapping suggestions cost ~4 ms per column (2,000: ~8 s) and the
mapping review shows one line per column, so far wider files are not reviewable; real exports
(RVTools ~90, ServiceNow CMDB tables ~300-600) stay well below. PostgreSQL itself is no limit:
wide rows are stored as one array."""

MAX_ROW_CHARS = 32 * 1024**2
"""Text one spreadsheet row may expand to. Cells can all point at one shared string, so a row's
text is not bounded by its XML; this keeps a row (and the COPY buffer holding it) small."""


def check_column_count(width: int, display: str, sheet: str | None, header_row: int | None) -> None:
    """Refuse tables wider than `MAX_COLUMNS` before any row is read."""
    if width <= MAX_COLUMNS:
        return
    raise UserInputError(
        f"has {width:,} columns, more than the {MAX_COLUMNS:,} an import accepts (mapping and review "
        "become unusable far earlier)",
        file=display,
        sheet=sheet,
        row=header_row,
        hint=f"delete the columns you do not need (keep at most {MAX_COLUMNS:,}), or split the file "
        "into several imports of fewer columns each (repeat the key column, e.g. the host name)",
        details={"columns": width, "limit": MAX_COLUMNS},
    )


def check_row_chars(chars: int, display: str, sheet: str | None, row: int) -> None:
    """Refuse a spreadsheet row whose cells expand to more than `MAX_ROW_CHARS` of text."""
    if chars <= MAX_ROW_CHARS:
        return
    raise UserInputError(
        f"the row holds {chars:,} characters of text, more than the {MAX_ROW_CHARS:,} allowed for one "
        "row (cells repeating one huge shared string: not a normal export); refused",
        file=display,
        sheet=sheet,
        row=row,
        hint="check the sheet in Excel; export it as CSV if the data is genuine",
        details={"chars": chars, "limit": MAX_ROW_CHARS},
    )


# -- workbook parts ------------------------------------------------------------------------------
#
# Memory model (measured with openpyxl 3.1 in read-only mode; README "Limits"): the string table
# is held completely, about 90 bytes per string plus up to 4 bytes per byte of text (strings with
# an emoji are stored 4 bytes per character); style and workbook parts are parsed completely,
# up to ~600 bytes per XML element; sheets are streamed row by row, but what lies outside their
# cell data (merged cells, hyperlinks, validations) is parsed whole. The limits below keep the
# sum, on top of the ~150 MB the application itself needs, under `READER_RSS_CEILING`. A reader
# that loads whole sheets (not streaming rows) must add a bound on sheet size derived the same way.

READER_RSS_CEILING = 1024**3
"""Documented ceiling: an import process stays below 1 GB of resident memory for any workbook."""
MAX_SHARED_STRINGS_BYTES = 64 * 1024**2
"""Uncompressed string table. Roughly 2 million distinct 30-character strings; larger workbooks
are better imported as CSV, which streams with no such limit."""
MAX_SHARED_STRING_ITEMS = 2_000_000
MAX_SHARED_STRING_ITEM_BYTES = 1024**2
"""One string's XML (Excel's own limit is 32,767 characters per cell)."""
SHARED_STRINGS_FREE_BYTES = 8 * 1024**2
"""Below this a string table is never called suspicious, whatever the sheets' size."""
SHARED_STRINGS_PER_SHEET_RATIO = 20
"""A string table more than this many times the size of all sheets together is suspicious."""
SHARED_STRINGS_UNUSED_SLACK = 10_000
"""Strings beyond twice the cells that can reference them (plus this) are suspicious."""
MAX_WORKSHEET_BYTES = 1024**3
MAX_ROW_XML_BYTES = 16 * 1024**2
MAX_SHEET_EXTRA_ELEMENTS = 200_000
"""XML elements outside a sheet's cell data (`<sheetData>`)."""
MAX_STRUCTURE_PART_BYTES = 16 * 1024**2
"""Workbook, styles, theme, manifest and relationship parts, each."""
MAX_STRUCTURE_ELEMENTS = 300_000
"""XML elements in those parts together (Excel allows 64,000 cell styles, ~3 elements each)."""

_SCAN_CHUNK = 256 * 1024
_TAIL = 256
_MIN_STRING_CELL_BYTES = 20  # '<c t="s"><v>0</v></c>' without the optional r attribute
_PREFIX = rb"(?:[^\s<>/:!?]+:)?"


class _Tag:
    """Finds `<name` or `<prefix:name` tags quickly: searches start at a literal, and the
    any-prefix pattern runs only on buffers that contain `:name` at all."""

    def __init__(self, name: bytes, tail: bytes = rb"[\s>/]", close: bool = False) -> None:
        lead = b"</" if close else b"<"
        self.marker = b":" + name
        self.plain = re.compile(re.escape(lead + name) + tail)
        self.prefixed = re.compile(re.escape(lead) + rb"[^\s<>/:!?]+:" + re.escape(name) + tail)

    def _patterns(self, buf: bytes) -> tuple[re.Pattern[bytes], ...]:
        return (self.plain, self.prefixed) if self.marker in buf else (self.plain,)

    def count(self, buf: bytes) -> int:
        return sum(len(p.findall(buf)) for p in self._patterns(buf))

    def findall(self, buf: bytes) -> list[bytes]:  # the counting interface of a compiled pattern
        return [m for p in self._patterns(buf) for m in p.findall(buf)]

    def search(self, buf: bytes, pos: int = 0) -> re.Match[bytes] | None:
        found = [m for p in self._patterns(buf) if (m := p.search(buf, pos)) is not None]
        return min(found, key=lambda m: m.start()) if found else None

    def finditer(self, buf: bytes, pos: int = 0) -> list[re.Match[bytes]]:
        return sorted((m for p in self._patterns(buf) for m in p.finditer(buf, pos)), key=lambda m: m.start())


class _Either:
    """The first match of any of several tags."""

    def __init__(self, *tags: _Tag) -> None:
        self.tags = tags

    def search(self, buf: bytes, pos: int = 0) -> re.Match[bytes] | None:
        found = [m for t in self.tags if (m := t.search(buf, pos)) is not None]
        return min(found, key=lambda m: m.start()) if found else None


_SI = _Tag(b"si")
_ROW = _Tag(b"row")
_SHEET_DATA_START = _Tag(b"sheetData")
_SHEET_DATA_END = _Either(_Tag(b"sheetData", rb"\s*>", close=True), _Tag(b"sheetData", rb"\s*/>"))
_STRING_CELL = (b't="s"', b"t='s'")
_WORKBOOK_TYPES = (
    "spreadsheetml.sheet.main+xml",
    "spreadsheetml.template.main+xml",
    "ms-excel.sheet.macroenabled.main+xml",
    "ms-excel.template.macroenabled.main+xml",
)
_CSV_HINT = (
    "save the sheet as CSV in Excel (File > Save As > CSV UTF-8) and import the CSV, which has no such "
    "limit; or split the workbook"
)
_SUSPICIOUS_HINT = (
    "if the file is genuine, open it in Excel and save it again (Excel writes only the strings it uses), "
    "or export the sheet as CSV"
)


@dataclass
class _PartScan:
    """What a byte scan of one part found (positions are in uncompressed bytes)."""

    size: int = 0
    items: int = 0
    max_item_bytes: int = 0
    max_item_at: int = 0
    string_cells: int = 0
    outside_elements: int = 0


def _mb(size: int) -> str:
    return f"{size / 1024**2:,.1f} MB" if size >= 1024**2 else f"{size / 1024:,.0f} KB"


def _scan_part(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    item: _Tag,
    *,
    max_item_bytes: int,
    container: bool = False,
    on_item_limit: Callable[[_PartScan], None] | None = None,
) -> _PartScan:
    """Stream one part: count `item` tags and measure the largest span between two of them.

    `container` (worksheets): spans end at `</sheetData>`, elements outside it are counted, as are
    shared-string cells. Chunks are at most half the item limit, so a span over the limit always
    crosses a chunk boundary and is seen from the first/last tag of each chunk. Counts use
    `count(tail + chunk) - count(tail)`: a tag cut by a chunk boundary is counted once.
    """
    scan = _PartScan()
    chunk_size = max(64, min(_SCAN_CHUNK, max_item_bytes // 2))
    tail = b""
    pos = 0  # uncompressed offset of the current chunk
    last_item: int | None = None
    state = "before" if container else "inside"
    with zf.open(info) as fh:
        while chunk := fh.read(chunk_size):
            buf = tail + chunk
            base = pos - len(tail)
            scan.items += len(item.findall(buf)) - len(item.findall(tail))
            if container:
                for needle in _STRING_CELL:
                    scan.string_cells += buf.count(needle) - tail.count(needle)
            outside = [(0, len(chunk))] if state != "inside" else []
            if state == "before":
                start = _SHEET_DATA_START.search(buf)
                if start is not None:
                    state = "inside"
                    outside = [(0, max(0, start.start() - len(tail)))]
            end_at: int | None = None
            if state == "inside" and container:
                end = _SHEET_DATA_END.search(buf)
                if end is not None:
                    state = "after"
                    end_at = base + end.start()
                    outside.append((max(0, end.end() - len(tail)), len(chunk)))
            for lo, hi in outside:
                scan.outside_elements += chunk.count(b"<", lo, hi)
            first = item.search(buf)
            if first is not None and last_item is not None:
                _close_span(scan, last_item, base + first.start(), max_item_bytes, on_item_limit)
            last = _last_match(item, buf)
            if last is not None and (end_at is None or base + last < end_at):
                last_item = max(last_item or 0, base + last)
            if end_at is not None and last_item is not None:
                _close_span(scan, last_item, end_at, max_item_bytes, on_item_limit)
                last_item = None
            elif last_item is not None and pos + len(chunk) - last_item > max_item_bytes:
                _close_span(scan, last_item, pos + len(chunk), max_item_bytes, on_item_limit)
            pos += len(chunk)
            tail = buf[-_TAIL:]
    if last_item is not None:
        _close_span(scan, last_item, pos, max_item_bytes, on_item_limit)
    scan.size = pos
    return scan


def _last_match(pattern: _Tag, buf: bytes) -> int | None:
    """Start of the last match in `buf` (looks at the end first: most chunks hold many tags)."""
    for window in (4096, len(buf)):
        found = None
        for m in pattern.finditer(buf, max(0, len(buf) - window)):
            found = m.start()
        if found is not None:
            return found
    return None


def _close_span(
    scan: _PartScan, start: int, end: int, limit: int, on_limit: Callable[[_PartScan], None] | None
) -> None:
    if end - start > scan.max_item_bytes:
        scan.max_item_bytes = end - start
        scan.max_item_at = start
    if scan.max_item_bytes > limit and on_limit is not None:
        on_limit(scan)


@dataclass
class WorkbookCheck:
    """What `check_workbook_parts` learnt: the parts by role and each string table's longest item."""

    parts: _Parts
    longest_string: dict[str, int]
    """Shared-string part name -> bytes of XML of its longest string (an upper bound of its text)."""


@dataclass
class _Parts:
    """The parts of a workbook package that readers load, by role."""

    shared_strings: list[zipfile.ZipInfo]
    worksheets: dict[str, str | None]  # part name -> sheet title (when the workbook names it)
    structure: list[zipfile.ZipInfo]


def _xml_attrs(data: bytes, tag: str) -> list[dict[str, str]]:
    """Attributes of every `tag` element (namespace-agnostic, defused; damaged XML gives none)."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(data)
    except Exception:  # the reader reports damaged parts; here they classify nothing
        return []
    return [dict(el.attrib) for el in root.iter() if el.tag.rsplit("}", 1)[-1] == tag]


def _classify(zf: zipfile.ZipFile, display: str) -> _Parts:
    """Find string table, worksheets and structure parts from the manifest, relationships and names."""
    by_name = {info.filename.lower(): info for info in zf.infolist() if not info.is_dir()}

    def read_small(name: str) -> bytes:
        """A structure part, bounded in size and element count before it is parsed."""
        info = by_name.get(name.lower())
        if info is None:
            return b""
        _check_structure_size(info, display)
        data = zf.read(info)
        _check_structure_elements(data.count(b"<"), [info], display)
        return data

    types = {
        a.get("PartName", "").lstrip("/").lower(): a.get("ContentType", "").lower()
        for a in _xml_attrs(read_small("[Content_Types].xml"), "Override")
    }
    workbook = next((n for n, t in types.items() if t.endswith(_WORKBOOK_TYPES)), "xl/workbook.xml")
    folder = posixpath.dirname(workbook)
    rels_name = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
    rel_targets: dict[str, str] = {}  # part name -> relationship type (last segment)
    rel_ids: dict[str, str] = {}
    for rel in _xml_attrs(read_small(rels_name), "Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode", "").lower() == "external" or not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        part = posixpath.normpath(part).lower()
        rel_targets[part] = rel.get("Type", "").rsplit("/", 1)[-1].lower()
        rel_ids[rel.get("Id", "")] = part
    titles: dict[str, str] = {}
    for sheet in _xml_attrs(read_small(workbook), "sheet"):
        rid = next((v for k, v in sheet.items() if k.endswith("}id") or k == "r:id"), "")
        if rid in rel_ids and sheet.get("name"):
            titles[rel_ids[rid]] = sheet["name"]

    shared: list[zipfile.ZipInfo] = []
    sheets: dict[str, str | None] = {}
    structure: list[zipfile.ZipInfo] = []
    for name, info in by_name.items():
        kind = types.get(name, "")
        rel = rel_targets.get(name, "")
        base = posixpath.basename(name)
        if "sharedstrings" in kind or rel == "sharedstrings" or base == "sharedstrings.xml":
            shared.append(info)
        elif (
            "worksheet+xml" in kind
            or rel == "worksheet"
            or (name.startswith("xl/worksheets/") and name.endswith(".xml") and "/_rels/" not in name)
        ):
            sheets[info.filename] = titles.get(name)
        elif (
            name in ("[content_types].xml", "_rels/.rels", rels_name.lower(), workbook.lower())
            or name.startswith(("docprops/", "xl/theme/"))
            or "styles+xml" in kind
            or "theme+xml" in kind
            or rel in ("styles", "theme")
            or name == posixpath.join(folder, "styles.xml")
        ) and name.endswith((".xml", ".rels")):
            structure.append(info)
    return _Parts(shared, sheets, structure)


def _check_structure_size(info: zipfile.ZipInfo, display: str) -> None:
    if info.file_size > MAX_STRUCTURE_PART_BYTES:
        raise UserInputError(
            f"the workbook part {info.filename!r} would expand to {_mb(info.file_size)}, too large: parts "
            f"of this kind (styles, workbook, manifest) are at most {_mb(MAX_STRUCTURE_PART_BYTES)}; "
            "refused before reading",
            file=display,
            hint="open the workbook in Excel and save it again, or export the sheet as CSV",
            details={"part": info.filename, "size": info.file_size, "limit": MAX_STRUCTURE_PART_BYTES},
        )


def _check_structure_elements(elements: int, infos: list[zipfile.ZipInfo], display: str) -> None:
    if elements > MAX_STRUCTURE_ELEMENTS:
        raise UserInputError(
            f"the workbook's styles and structure parts hold {elements:,} XML elements, too large: at most "
            f"{MAX_STRUCTURE_ELEMENTS:,} are read (Excel itself allows 64,000 cell styles); refused before "
            "reading",
            file=display,
            hint="open the workbook in Excel and save it again (this drops unused styles), or export the "
            "sheet as CSV",
            details={"part": ", ".join(i.filename for i in infos), "elements": elements},
        )


def check_workbook_parts(zf: zipfile.ZipFile, display: str) -> WorkbookCheck:
    """Refuse a workbook whose parts would take more memory to read than an import may use.

    Reader-independent: sizes come from the ZIP directory (zipfile enforces them while
    inflating), counts from a byte scan of the parts a reader loads when it opens the workbook —
    the string table and the styles/workbook/manifest parts — and of the sheets' shared-string
    cells where the string table's size needs them. Runs after `check_archive` and
    `check_xml_prologs`, before any reader opens the file. What surrounds a sheet's cells (rows,
    merged cells …) is checked when that sheet is read (`workbook_scan.scan_xlsx_sheet`).
    """
    parts = _classify(zf, display)
    elements = 0
    for info in parts.structure:
        _check_structure_size(info, display)
        with zf.open(info) as fh:
            while chunk := fh.read(_SCAN_CHUNK):
                elements += chunk.count(b"<")
    _check_structure_elements(elements, parts.structure, display)

    infos = {info.filename: info for info in zf.infolist()}
    sheet_infos = [(infos[name], title) for name, title in parts.worksheets.items() if name in infos]
    sheet_bytes = sum(info.file_size for info, _ in sheet_infos)
    for info, title in sheet_infos:
        if info.file_size > MAX_WORKSHEET_BYTES:
            raise UserInputError(
                f"the sheet ({info.filename}) would expand to {_mb(info.file_size)}, too large: at most "
                f"{_mb(MAX_WORKSHEET_BYTES)} per sheet; refused before reading",
                file=display,
                sheet=title,
                hint=_CSV_HINT,
                details={"part": info.filename, "size": info.file_size, "limit": MAX_WORKSHEET_BYTES},
            )
    for sst in parts.shared_strings:
        _check_shared_strings_sizes(sst, sheet_bytes, display)

    strings_are_large = any(i.file_size > SHARED_STRINGS_FREE_BYTES for i in parts.shared_strings)
    scans = [_scan_shared_strings(zf, sst, display) for sst in parts.shared_strings]
    cells: dict[str, int] = {}  # exact shared-string cells of scanned sheets
    if strings_are_large:  # the size-based bound would be too loose to call a large table suspicious
        for info, _title in sheet_infos:
            cells[info.filename] = _string_cells(zf, info)

    def string_cells() -> int:  # unscanned sheets count with an upper bound from their size
        return sum(cells.get(i.filename, i.file_size // _MIN_STRING_CELL_BYTES) for i, _ in sheet_infos)

    most = max((scan.items for scan in scans), default=0)
    if most > 2 * string_cells() + SHARED_STRINGS_UNUSED_SLACK:
        for info, _title in sheet_infos:
            if info.filename not in cells:
                cells[info.filename] = _string_cells(zf, info)
    used = string_cells()
    for sst, scan in zip(parts.shared_strings, scans, strict=True):
        if scan.items > 2 * used + SHARED_STRINGS_UNUSED_SLACK:
            raise UserInputError(
                f"the shared strings ({sst.filename}) hold {scan.items:,} strings but the sheets have only "
                f"{used:,} cells that use shared strings: suspicious (possible decompression bomb); "
                "refused before reading",
                file=display,
                hint=_SUSPICIOUS_HINT,
                details={"part": sst.filename, "strings": scan.items, "string_cells": used},
            )
    pairs = zip(parts.shared_strings, scans, strict=True)
    return WorkbookCheck(parts, {sst.filename: scan.max_item_bytes for sst, scan in pairs})


def _string_cells(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Cells of a sheet that refer to a shared string (`t="s"`), by byte count (upper bound)."""
    cells = 0
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(1024**2):
            buf = tail + chunk
            for needle in _STRING_CELL:
                cells += buf.count(needle) - tail.count(needle)
            tail = buf[-_TAIL:]
    return cells


def _check_shared_strings_sizes(sst: zipfile.ZipInfo, sheet_bytes: int, display: str) -> None:
    """Metadata-only checks of a string table: absolute size, and size against the sheets."""
    if sst.file_size > MAX_SHARED_STRINGS_BYTES:
        raise UserInputError(
            f"the shared strings ({sst.filename}) would expand to {_mb(sst.file_size)}, too large: at most "
            f"{_mb(MAX_SHARED_STRINGS_BYTES)} are read, to keep an import under "
            f"{READER_RSS_CEILING // 1024**3} GB of memory; refused before reading",
            file=display,
            hint=_CSV_HINT,
            details={"part": sst.filename, "size": sst.file_size, "limit": MAX_SHARED_STRINGS_BYTES},
        )
    if (
        sst.file_size > SHARED_STRINGS_FREE_BYTES
        and sst.file_size > SHARED_STRINGS_PER_SHEET_RATIO * sheet_bytes
    ):
        raise UserInputError(
            f"the shared strings ({sst.filename}, {_mb(sst.file_size)}) are "
            f"{sst.file_size / max(sheet_bytes, 1):,.0f} times larger than all the sheets that use them "
            f"({_mb(sheet_bytes)}): suspicious (possible decompression bomb); refused before reading",
            file=display,
            hint=_SUSPICIOUS_HINT,
            details={"part": sst.filename, "size": sst.file_size, "sheet_bytes": sheet_bytes},
        )


def _scan_shared_strings(zf: zipfile.ZipFile, sst: zipfile.ZipInfo, display: str) -> _PartScan:
    def too_many(scan: _PartScan) -> None:
        raise UserInputError(
            f"the shared strings ({sst.filename}) hold more than {MAX_SHARED_STRING_ITEMS:,} strings "
            f"({scan.items:,} strings counted so far), too large: at most {MAX_SHARED_STRING_ITEMS:,} are "
            "read; refused before reading",
            file=display,
            hint=_CSV_HINT,
            details={"part": sst.filename, "strings": scan.items, "limit": MAX_SHARED_STRING_ITEMS},
        )

    def too_long(scan: _PartScan) -> None:
        raise UserInputError(
            f"one shared string in {sst.filename} (at byte {scan.max_item_at:,}) is "
            f"{_mb(scan.max_item_bytes)} of XML, more than the {_mb(MAX_SHARED_STRING_ITEM_BYTES)} "
            "allowed (Excel cells hold at most 32,767 characters): suspicious; refused before reading",
            file=display,
            hint=_SUSPICIOUS_HINT,
            details={"part": sst.filename, "bytes": scan.max_item_bytes, "offset": scan.max_item_at},
        )

    scan = _scan_part(zf, sst, _SI, max_item_bytes=MAX_SHARED_STRING_ITEM_BYTES, on_item_limit=too_long)
    if scan.items > MAX_SHARED_STRING_ITEMS:
        too_many(scan)
    return scan


def refuse_long_row(part: str, size: int, at: int, display: str, sheet: str | None) -> UserInputError:
    """The refusal of a row of more than `MAX_ROW_XML_BYTES` of XML (`size` bytes at byte `at`)."""
    return UserInputError(
        f"one row of the sheet ({part}, at byte {at:,}) is {_mb(size)} of XML, more than the "
        f"{_mb(MAX_ROW_XML_BYTES)} allowed for one row: suspicious; refused before reading",
        file=display,
        sheet=sheet,
        hint=_CSV_HINT,
        details={"part": part, "bytes": size, "offset": at},
    )


def refuse_outside_elements(part: str, elements: int, display: str, sheet: str | None) -> UserInputError:
    """The refusal of a sheet with more than `MAX_SHEET_EXTRA_ELEMENTS` outside its cell data."""
    return UserInputError(
        f"the sheet ({part}) has {elements:,} XML elements outside its cells (merged cells, hyperlinks, "
        f"validations, formatting), more than the {MAX_SHEET_EXTRA_ELEMENTS:,} read; refused before reading",
        file=display,
        sheet=sheet,
        hint="remove merged cells and formatting in Excel and save again, or export the sheet as CSV",
        details={"part": part, "elements": elements},
    )


def check_sheet_layout(zf: zipfile.ZipFile, info: zipfile.ZipInfo, title: str | None, display: str) -> None:
    """Refuse a sheet with a row of too much XML or too many elements outside its cells, tag by
    tag (the slow path of `workbook_scan.scan_xlsx_sheet`, for sheets written unusually)."""

    def too_long(scan: _PartScan) -> None:
        raise refuse_long_row(info.filename, scan.max_item_bytes, scan.max_item_at, display, title)

    scan = _scan_part(
        zf, info, _ROW, max_item_bytes=MAX_ROW_XML_BYTES, container=True, on_item_limit=too_long
    )
    if scan.outside_elements > MAX_SHEET_EXTRA_ELEMENTS:
        raise refuse_outside_elements(info.filename, scan.outside_elements, display, title)
