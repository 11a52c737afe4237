"""Guards that run before any parser sees the bytes: zip bombs, XML entity tricks, non-data files.

Every check here looks only at cheap metadata (ZIP central directory, magic bytes, XML prologs)
so a hostile file is refused in well under a second, before anything is decompressed in bulk.
"""

from __future__ import annotations

import zipfile
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
    """Tell a password-protected OOXML file from a legacy binary Office file (both are OLE2).

    Encrypted .xlsx/.docx files are OLE2 containers holding `EncryptionInfo` and `EncryptedPackage`
    streams; their directory entries are UTF-16LE names, found by a bounded byte scan.
    """
    needle = "EncryptedPackage".encode("utf-16-le")
    needle2 = "EncryptionInfo".encode("utf-16-le")
    overlap = len(needle)
    tail = b""
    scanned = 0
    with path.open("rb") as fh:
        while scanned < 256 * 1024**2:
            chunk = fh.read(1024**2)
            if not chunk:
                break
            scanned += len(chunk)
            window = tail + chunk
            if needle in window or needle2 in window:
                return "encrypted"
            tail = window[-overlap:]
    return "legacy"


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


def check_xml_prologs(zf: zipfile.ZipFile, display: str) -> None:
    """Refuse XML parts that declare a DTD or entities (never written by Excel).

    A cheap first line of defence against billion-laughs and external-entity attacks; defusedxml
    inside openpyxl is the second (it also catches declarations hidden after a long comment).
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
        if any(m in upper for m in markers) or any(m in head for m in markers16):
            raise UserInputError(
                f"part {info.filename!r} declares XML entities or a DTD, which Excel never writes "
                "(possible XML entity attack); refused",
                file=display,
                hint="open the file in Excel and save it again as .xlsx, or export CSV",
                details={"member": info.filename},
            )
