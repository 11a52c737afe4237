"""Every kind of bad input is refused with one clear UserInputError naming the file."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from core.errors import UserInputError
from core.ingest import encoding as encoding_module
from core.ingest import open_table, safety

from .builders import (
    add_shared_strings,
    billion_laughs,
    compound_file,
    replace_members,
    set_declared_size,
    write_text,
    write_xlsx,
)


def _refused(path: Path, **kwargs: object) -> UserInputError:
    with pytest.raises(UserInputError) as err, open_table(path, **kwargs) as table:  # type: ignore[arg-type]
        list(table.iter_rows())
    assert err.value.file == path.name
    assert err.value.hint, "every refusal says what to do"
    return err.value


def _workbook(tmp_path: Path, name: str = "book.xlsx") -> Path:
    return write_xlsx(tmp_path / name, {"Servers": [["Name", "OS"], ["srv01", "Linux"], ["srv02", "AIX"]]})


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(100), "Windows program"),
        ("report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        ("tool", b"\x7fELF\x02\x01\x01" + bytes(50), "Linux program"),
        ("diagram.csv", b"\x89PNG\r\n\x1a\n" + bytes(50), "PNG image"),
        ("export.csv.gz", b"\x1f\x8b\x08\x00" + bytes(20), "gzip"),
        ("page.xls", b"<!DOCTYPE html><html><body><table><tr><td>x</td></tr></table>", "HTML page"),
        ("binary.csv", b"Name,OS\n\x00\x01\x02\x03\x00\x00\x00binary\x00", "binary file"),
    ],
)
def test_unsupported_file_types(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert expected in _refused(path).message


def test_csv_header_starting_with_mz_is_not_mistaken_for_a_program(tmp_path: Path) -> None:
    path = write_text(tmp_path / "zones.csv", "MZone,Host\nA,srv01\n")
    with open_table(path) as table:
        assert table.info.column_names == ["MZone", "Host"]


def test_damaged_xls_and_other_legacy_office_files_are_refused(tmp_path: Path) -> None:
    """.xls is read now (tests/ingest/test_ingest_workbooks.py); a container with a Workbook stream
    but no workbook in it is damaged, and a Word 97-2003 file is not a workbook at all."""
    path = tmp_path / "old.xls"
    path.write_bytes(compound_file(["Workbook", "\x05SummaryInformation"]))
    err = _refused(path)
    assert "97-2003 workbook (.xls)" in err.message and "damaged" in err.message
    doc = tmp_path / "notes.xls"
    doc.write_bytes(compound_file(["WordDocument", "1Table"]))
    assert "not a workbook" in _refused(doc).message


def test_password_protected_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(compound_file(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]))
    err = _refused(path)
    assert "password-protected" in err.message
    assert "remove the password" in (err.hint or "")


def test_other_zip_based_documents_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "inventory.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    assert "Word document" in _refused(path).message
    ods = tmp_path / "inventory.ods"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument spreadsheet" in _refused(ods).message


def test_empty_blank_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty (0 bytes)" in _refused(empty).message
    blank = write_text(tmp_path / "blank.csv", "\n\n,,\n  \n")
    assert "no data" in _refused(blank).message
    header_only = write_text(tmp_path / "header.csv", "Name,OS,CPU\n\n")
    err = _refused(header_only)
    assert "header but no data rows" in err.message and err.row == 1
    sheet = write_xlsx(tmp_path / "header.xlsx", {"S": [["Name", "OS"]]})
    err = _refused(sheet)
    assert "header but no data rows" in err.message and err.sheet == "S"


def test_undecodable_bytes_name_offset_and_row(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("Name,Ort\nsrv01,Köln\n".encode() + b"srv02,M\xfcnchen\n")
    err = _refused(path, encoding="utf-8")
    assert err.row == 3
    assert "byte FC at byte offset 28" in err.message
    assert err.details["offset"] == 28


def test_undecodable_bytes_beyond_the_validated_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoding_module, "UTF8_VALIDATE_BYTES", 64)
    monkeypatch.setattr(encoding_module, "SAMPLE_BYTES", 64)
    monkeypatch.setattr("core.ingest.csv_reader.SAMPLE_BYTES", 64)
    body = "Name,Ort\n" + "".join(f"srv{i:04d},Berlin\n" for i in range(2000))
    path = tmp_path / "late.csv"
    path.write_bytes(body.encode() + b"srv9999,K\xf6ln\n")
    with open_table(path) as table:
        assert table.info.encoding == "utf-8"
        with pytest.raises(UserInputError) as err:
            list(table.iter_rows())
    assert err.value.row == 2002 and "cannot be decoded as utf-8" in err.value.message
    assert err.value.details["offset"] == len(body.encode()) + len("srv9999,K")
    assert "cp1252" in (err.value.hint or "")


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "a,b\n1,2\n")
    assert "unknown text encoding 'klingon'" in _refused(path, encoding="klingon").message


def test_corrupt_xlsx(tmp_path: Path) -> None:
    truncated = _workbook(tmp_path)
    truncated.write_bytes(truncated.read_bytes()[:700])
    assert "not a readable Excel workbook" in _refused(truncated).message

    garbage = replace_members(_workbook(tmp_path, "garbage.xlsx"), {"xl/workbook.xml": b"<workbook><sheets"})
    assert "not a readable Excel workbook" in _refused(garbage).message

    broken_sheet = _workbook(tmp_path, "broken_sheet.xlsx")
    with zipfile.ZipFile(broken_sheet) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml")
    replace_members(broken_sheet, {"xl/worksheets/sheet1.xml": xml[: len(xml) * 2 // 3]})
    err = _refused(broken_sheet)
    assert "sheet is damaged" in err.message and err.sheet == "Servers"


def test_billion_laughs_in_shared_strings_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    add_shared_strings(path, billion_laughs("sst", "<si><t>&lol9;</t></si>"))
    started = time.monotonic()
    err = _refused(path)
    assert time.monotonic() - started < 10  # refused from metadata, not by inflating it
    assert "entit" in err.message and "attack" in err.message


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_entity_declarations_hidden_past_the_prescan_are_still_refused(tmp_path: Path, member: str) -> None:
    """A long comment pushes the DTD beyond the first 4 KB; the prolog is read to its end anyway."""
    path = _workbook(tmp_path)
    padding = safety.XML_PROLOG_SCAN_BYTES
    if "shared" in member:
        add_shared_strings(path, billion_laughs("sst", "<si><t>&lol9;</t></si>", comment_padding=padding))
    else:
        cell = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        bomb = billion_laughs("worksheet", f"<sheetData>{cell}</sheetData>", padding)
        replace_members(path, {member: bomb})
    err = _refused(path)
    assert "XML entity attack" in err.message
    assert err.details["member"] == member


def test_external_entity_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>'
    )
    replace_members(path, {"xl/worksheets/sheet1.xml": xxe})
    assert "entit" in _refused(path).message


def test_xlsx_zip_bomb_by_compression_ratio(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    replace_members(path, {}, extra={"xl/media/image1.bin": bytes(20 * 1024**2)})
    started = time.monotonic()
    err = _refused(path)
    assert time.monotonic() - started < 10  # refused from metadata, not by inflating it
    assert "zip bomb" in err.message and err.details["member"] == "xl/media/image1.bin"


def test_zip_bomb_by_declared_size(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    set_declared_size(path, "xl/worksheets/sheet1.xml", 3 * 1024**3)
    started = time.monotonic()
    err = _refused(path)
    assert time.monotonic() - started < 10  # refused from metadata, not by inflating it
    assert "more than 2 GiB" in err.message

    csvs = tmp_path / "export.zip"
    with zipfile.ZipFile(csvs, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("vInfo.csv", "a,b\n1,2\n")
    set_declared_size(csvs, "vInfo.csv", 3 * 1024**3)
    assert "zip bomb" in _refused(csvs).message


def test_nul_byte_near_the_top_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"Name,IP\nsrv1,10.0.0.1\nbad\x00name,10.0.0.2\nsrv3,10.0.0.3\n")
    err = _refused(path)
    assert (err.row, err.column) == (3, "Name") and "NUL" in err.message and "binary" not in err.message


def test_real_binary_files_are_still_refused_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"\x00\x01\x02\x03\x04\x05data" * 2000)
    err = _refused(path)
    assert "binary file" in err.message and err.row is None


BIG_VALUE = 20 * 1024**2
"""Larger than the 16 MiB field limit."""


def test_oversized_value_without_any_quote_is_named_with_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"Name,Note\na,1\nb," + b"x" * BIG_VALUE + b"\nc,3\n")
    err = _refused(path)
    assert (err.row, err.column) == (3, "Note")
    assert "larger than the 16 MiB" in err.message and "quote" not in err.message + (err.hint or "")
    assert err.details["limit_chars"] == 16 * 1024**2


def test_oversized_quoted_value_that_is_closed_is_not_blamed_on_the_quote(tmp_path: Path) -> None:
    path = tmp_path / "bigquoted.csv"
    path.write_bytes(b'Name,Note\na,1\nb,"' + b"x" * BIG_VALUE + b'"\nc,3\n')
    err = _refused(path)
    assert (err.row, err.column) == (3, "Note")
    assert "quoted value larger than the 16 MiB" in err.message and "never closed" not in err.message


def test_quote_that_is_never_closed_is_named(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_bytes(b'Name,Note\na,1\nb,"starts here\n' + b"c,3\n" * (5 * 1024**2))
    err = _refused(path)
    assert (err.row, err.column) == (3, "Note") and "never closed" in err.message
