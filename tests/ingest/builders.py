"""Builders for test inputs: every fixture file is generated in tmp_path, never committed."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def write_text(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write `text` (with \\n line ends) using `newline` and `encoding` (BOM codecs add a BOM)."""
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[Any]]], hidden: Sequence[str] = ()) -> Path:
    """A real workbook written by openpyxl, one sheet per entry, rows as given (None = empty)."""
    wb = openpyxl.Workbook()
    first = True
    for title, rows in sheets.items():
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        if title in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def replace_members(
    path: Path,
    replacements: dict[str, bytes],
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Rewrite a ZIP/XLSX with some members replaced (and optionally added)."""
    with zipfile.ZipFile(path) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members:
            zf.writestr(name, replacements.get(name, data))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def add_shared_strings(path: Path, xml: bytes) -> Path:
    """Add a sharedStrings part (openpyxl writes inline strings) and register it in the manifest."""
    with zipfile.ZipFile(path) as zf:
        types = zf.read("[Content_Types].xml").decode()
    override = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    types = types.replace("</Types>", override + "</Types>")
    return replace_members(path, {"[Content_Types].xml": types.encode()}, extra={"xl/sharedStrings.xml": xml})


def billion_laughs(root: str, body: str, comment_padding: int = 0) -> bytes:
    """The classic entity-expansion bomb wrapped around an XLSX part's root element."""
    entities = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        ref = f"&lol{i - 1};" if i > 1 else "&lol;"
        entities.append(f'<!ENTITY lol{i} "{ref * 10}">')
    padding = f"<!-- {'x' * comment_padding} -->" if comment_padding else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + padding
        + f"<!DOCTYPE {root} [{''.join(entities)}]>"
        + f'<{root} xmlns="{SHEET_NS}">{body}</{root}>'
    ).encode()


def set_declared_size(path: Path, member: str, size: int) -> Path:
    """Forge a member's uncompressed size in the ZIP central directory (as a zip bomb would)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    pos = 0
    while True:
        pos = data.index(b"PK\x01\x02", pos)
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + name_len]) == name:
            struct.pack_into("<I", data, pos + 24, size)
            break
        pos += 4
    path.write_bytes(bytes(data))
    return path


def compound_file(stream_names: Sequence[str]) -> bytes:
    """A minimal OLE2 compound file: header sector plus one directory sector with these streams.

    Enough structure for format detection (magic bytes and UTF-16LE directory names), which is
    what tells an encrypted .xlsx (EncryptionInfo/EncryptedPackage) from a legacy .xls (Workbook).
    """
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)
    struct.pack_into("<I", header, 48, 0)  # first directory sector
    directory = bytearray()
    for name in ["Root Entry", *stream_names]:
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[0 : len(encoded)] = encoded
        struct.pack_into("<H", entry, 64, len(encoded))
        entry[66] = 5 if name == "Root Entry" else 2
        directory += entry
    directory += bytes(512 - len(directory) % 512) if len(directory) % 512 else b""
    return bytes(header) + bytes(directory) + bytes(4096)


SST_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def shared_string_workbook(
    path: Path,
    strings: Sequence[str] | bytes,
    rows: Sequence[Sequence[int]],
    *,
    sheet_extra: bytes = b"",
    styles: bytes | None = None,
) -> Path:
    """A workbook whose one sheet ("Servers") holds shared-string cells, as Excel writes them.

    `strings` is the string table (or its complete XML), `rows` the string index of each cell;
    `sheet_extra` is XML placed after `<sheetData>` (merged cells, hyperlinks ...).
    """
    write_xlsx(path, {"Servers": [["x"]]})
    cells = b"".join(
        b'<row r="%d">' % r
        + b"".join(
            b'<c r="%s%d" t="s"><v>%d</v></c>' % (_letters(c).encode(), r, i) for c, i in enumerate(row)
        )
        + b"</row>"
        for r, row in enumerate(rows, start=1)
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SHEET_NS}">'.encode()
        + b"<sheetData>"
        + cells
        + b"</sheetData>"
        + sheet_extra
        + b"</worksheet>"
    )
    if isinstance(strings, bytes):
        sst = strings
    else:
        items = "".join(f"<si><t>{s}</t></si>" for s in strings)
        sst = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{SHEET_NS}">{items}</sst>'.encode()
    replacements = {"xl/worksheets/sheet1.xml": sheet}
    if styles is not None:
        replacements["xl/styles.xml"] = styles
    replace_members(path, replacements)
    return add_shared_strings(path, sst)


def _letters(position: int) -> str:
    letters, n = "", position + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def shared_strings_bomb(path: Path, sst_bytes: int) -> Path:
    """A small workbook with a huge, well-compressing string table (about 80:1, under the 200:1
    ratio check): short strings cycling through 1,200 values, streamed into the archive."""
    write_xlsx(path, {"Servers": [["Name", "OS"], ["srv01", "Linux"]]})
    with zipfile.ZipFile(path) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_CONTENT_TYPE}"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            if name == "[Content_Types].xml":
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            zf.writestr(name, data)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{SHEET_NS}">'.encode())
            block = b"".join(b"<si><t>v%05d</t></si>" % (i % 1200) for i in range(50_000))
            for _ in range(max(1, sst_bytes // len(block))):
                fh.write(block)
            fh.write(b"</sst>")
    return path
