"""Every workbook format through python-calamine: real files from real writers (xlsxwriter, xlwt,
odfpy), typed cells as Excel shows them, error cells counted, sheet row counts, and the refusals
that keep calamine's whole-sheet memory bounded."""

from __future__ import annotations

import struct
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import olefile
import pytest
import xlsxwriter
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from odf.text import P

from core.errors import UserInputError
from core.ingest import open_table, workbook_scan, workbook_sheets

from .builders import replace_members, write_xlsx

HEADER = ["Name", "CPUs", "Ratio", "Noise", "Created", "Seen", "Thin", "Check", "Zero"]
EXPECTED = ["srv01", "8192", "0.1", "0.3", "2026-01-03", "2026-01-03T10:30:15", "TRUE", "", "007"]


def _xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    wb.add_worksheet("Notes").write(0, 0, "exported by hand")
    ws = wb.add_worksheet("Servers")
    ws.write_row(0, 0, HEADER)
    for r in (1, 2):
        ws.write_string(r, 0, f"srv0{r}")
        ws.write_number(r, 1, 8192)
        ws.write_number(r, 2, 0.1)
        ws.write_formula(r, 3, "=0.1+0.2", None, 0.30000000000000004)
        ws.write_datetime(r, 4, datetime(2026, 1, 3), day)
        ws.write_datetime(r, 5, datetime(2026, 1, 3, 10, 30, 15), stamp)
        ws.write_boolean(r, 6, True)
        ws.write_formula(r, 7, "=NA()" if r == 1 else "=1/0", None, "#N/A" if r == 1 else "#DIV/0!")
        ws.write_string(r, 8, "007")
    wb.close()
    return path


def _xls(path: Path) -> Path:
    wb = xlwt.Workbook()
    wb.add_sheet("Notes").write(0, 0, "exported by hand")
    ws = wb.add_sheet("Servers")
    day = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    stamp = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for c, h in enumerate(HEADER):
        ws.write(0, c, h)
    for r in (1, 2):
        row = ws.row(r)
        row.write(0, f"srv0{r}")
        row.write(1, 8192)
        row.write(2, 0.1)
        row.write(3, 0.30000000000000004)
        row.write(4, datetime(2026, 1, 3), day)
        row.write(5, datetime(2026, 1, 3, 10, 30, 15), stamp)
        row.write(6, True)
        row.set_cell_error(7, 0x2A if r == 1 else 0x07)  # #N/A, #DIV/0!
        row.write(8, "007")
    wb.save(str(path))
    return path


def _ods(path: Path) -> Path:
    doc = OpenDocumentSpreadsheet()
    notes = OdsTable(name="Notes")
    tr = TableRow()
    tr.addElement(_text("exported by hand"))
    notes.addElement(tr)
    doc.spreadsheet.addElement(notes)
    table = OdsTable(name="Servers")
    tr = TableRow()
    for h in HEADER:
        tr.addElement(_text(h))
    table.addElement(tr)
    for r in (1, 2):
        tr = TableRow()
        tr.addElement(_text(f"srv0{r}"))
        for value in (8192, 0.1, 0.30000000000000004):
            cell = TableCell(valuetype="float", value=repr(value))
            cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        for value in ("2026-01-03", "2026-01-03T10:30:15"):
            cell = TableCell(valuetype="date", datevalue=value)
            cell.addElement(P(text=value))
            tr.addElement(cell)
        cell = TableCell(valuetype="boolean", booleanvalue="true")
        cell.addElement(P(text="TRUE"))
        tr.addElement(cell)
        tr.addElement(_text(f"ERROR{r}"))  # made an error cell below, as LibreOffice writes one
        tr.addElement(_text("007"))
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    with zipfile.ZipFile(path) as zf:
        content = zf.read("content.xml").decode()
    for r, shown in ((1, "#N/A"), (2, "#DIV/0!")):
        content = content.replace(
            f'<table:table-cell office:value-type="string"><text:p>ERROR{r}</text:p>',
            '<table:table-cell table:formula="of:=NA()" office:value-type="string" office:string-value="" '
            f'calcext:value-type="error"><text:p>{shown}</text:p>',
        )
    content = content.replace(
        "<office:document-content ",
        '<office:document-content xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:'
        'xmlns:calcext:1.0" ',
        1,
    )
    return replace_members(path, {"content.xml": content.encode()})


def _text(value: str) -> TableCell:
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=value))
    return cell


WRITERS = {"xlsx": _xlsx, "xls": _xls, "ods": _ods}
MIME = {"xlsx": "spreadsheetml.sheet", "xls": "ms-excel", "ods": "opendocument.spreadsheet"}


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_typed_cells_errors_and_sheet_rows_for_each_writer(tmp_path: Path, kind: str) -> None:
    path = WRITERS[kind](tmp_path / f"servers.{kind}")
    with open_table(path) as table:
        info = table.info
        rows = list(table.iter_rows())
    assert info.format == "xlsx" and info.workbook_type == kind and MIME[kind] in info.mime_type
    assert info.sheet == "Servers" and info.sheets == ["Notes", "Servers"]
    assert info.sheet_rows == {"Notes": 1, "Servers": 3}
    assert workbook_sheets(path) == [("Notes", 1), ("Servers", 3)]
    assert info.column_names == HEADER and info.header_row == 1
    assert rows[0] == (2, EXPECTED)  # 8192 not 8192.0, 0.1+0.2 shown as 0.3, #N/A empty
    assert rows[1][0] == 3 and rows[1][1][7] == ""
    assert info.error_cells == 2
    assert any("2 cells of sheet 'Servers' hold an error value" in w for w in info.warnings)


def test_time_duration_and_15_significant_digits(tmp_path: Path) -> None:
    path = tmp_path / "values.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_row(0, 0, ["a", "b", "c", "d", "e", "f"])
    ws.write_datetime(1, 0, datetime(1899, 12, 31, 10, 30), wb.add_format({"num_format": "hh:mm"}))
    ws.write_number(1, 1, 26 / 24 + 5 / 1440, wb.add_format({"num_format": "[h]:mm:ss"}))
    ws.write_number(1, 2, 1 / 3)
    ws.write_number(1, 3, 8192.000000000002)
    ws.write_number(1, 4, 0.1000000001)  # ten significant digits: a real value, kept
    ws.write_number(1, 5, -2.5e-7)
    wb.close()
    with open_table(path) as table:
        assert table.sample() == [
            ["10:30:00", "26:05:00", "0.333333333333333", "8192", "0.1000000001", "-2.5e-07"]
        ]
    assert time(10, 30).isoformat() == "10:30:00" and date(2026, 1, 3)  # the shapes compared above


def test_rvtools_vinfo_is_the_default_sheet_in_every_format(tmp_path: Path) -> None:
    path = tmp_path / "rv.xls"
    wb = xlwt.Workbook()
    for title, n in (("vDisk", 40), ("vInfo", 5), ("vMetaData", 1)):
        ws = wb.add_sheet(title)
        ws.write(0, 0, "VM")
        ws.write(0, 1, "Value")
        for r in range(1, n + 1):
            ws.write(r, 0, f"vm{r}")
            ws.write(r, 1, r)
    wb.save(str(path))
    with open_table(path) as table:
        assert table.info.sheet == "vInfo" and table.info.sheet_rows["vDisk"] == 41
        assert len(list(table.iter_rows())) == 5


def test_data_starting_right_and_below_keeps_sheet_rows_and_column_letters(tmp_path: Path) -> None:
    path = tmp_path / "offset.xls"
    wb = xlwt.Workbook()
    ws = wb.add_sheet("S")
    for r, row in enumerate([["Name", "OS"], ["srv01", "Linux"], ["srv02", "AIX"]], start=3):
        for c, value in enumerate(row, start=2):
            ws.write(r, c, value)
    wb.save(str(path))
    with open_table(path) as table:
        assert table.info.header_row == 4
        assert table.info.column_names == ["column_1", "column_2", "Name", "OS"]
        assert list(table.iter_rows()) == [(5, ["", "", "srv01", "Linux"]), (6, ["", "", "srv02", "AIX"])]


def test_encrypted_xls_is_refused_naming_the_password(tmp_path: Path) -> None:
    """An .xls saved with a password carries a FILEPASS record after its BOF (RC4 encryption)."""
    path = _xls(tmp_path / "secret.xls")
    with olefile.OleFileIO(str(path)) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
    pos = 0
    while True:  # turn the first WRITEACCESS (0x005C) into a FILEPASS of the same length
        rtype, length = struct.unpack_from("<HH", stream, pos)
        if rtype == 0x005C:
            struct.pack_into("<HHH", stream, pos, 0x002F, length, 1)
            break
        pos += 4 + length
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        ole.write_stream("Workbook", bytes(stream))
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert "password-protected" in err.value.message and "remove the password" in (err.value.hint or "")


def test_encrypted_ods_is_refused(tmp_path: Path) -> None:
    path = _ods(tmp_path / "secret.ods")
    with zipfile.ZipFile(path) as zf:
        manifest = zf.read("META-INF/manifest.xml").decode()
    manifest = manifest.replace(
        'manifest:full-path="content.xml"',
        'manifest:full-path="content.xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"/'
        '></manifest:file-entry><manifest:file-entry manifest:media-type="" manifest:full-path="x"',
        1,
    )
    replace_members(path, {"META-INF/manifest.xml": manifest.encode(), "content.xml": b"\x8f\x02garbage"})
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert "password-protected" in err.value.message


@pytest.mark.parametrize("kind", ["xls", "ods"])
def test_truncated_and_disguised_workbooks_are_refused(tmp_path: Path, kind: str) -> None:
    path = WRITERS[kind](tmp_path / f"book.{kind}")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert "not a" in err.value.message and err.value.file == path.name and err.value.hint
    disguised = tmp_path / f"report.{kind}"
    disguised.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(UserInputError) as err:
        open_table(disguised)
    assert "PDF document" in err.value.message


def test_damaged_ods_content_names_the_sheet_or_file(tmp_path: Path) -> None:
    path = _ods(tmp_path / "book.ods")
    with zipfile.ZipFile(path) as zf:
        content = zf.read("content.xml")
    replace_members(path, {"content.xml": content[: len(content) * 2 // 3]})
    with pytest.raises(UserInputError) as err, open_table(path) as table:
        list(table.iter_rows())
    assert err.value.file == path.name and (
        "damaged" in err.value.message or "not a readable" in err.value.message
    )


def test_a_stray_far_cell_is_refused_before_calamine_allocates_its_grid(tmp_path: Path) -> None:
    """calamine holds a sheet as one grid from its first to its last used cell: A1 and XFD1048576
    would be 17 billion cells. The scan names the far corner."""
    path = write_xlsx(tmp_path / "stray.xlsx", {"Servers": [["Name", "OS"], ["srv01", "Linux"]]})
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    stray = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    replace_members(path, {"xl/worksheets/sheet1.xml": xml.replace("</sheetData>", stray).encode()})
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert err.value.sheet == "Servers" and "XFD1048576" in err.value.message
    assert "Ctrl+End" in (err.value.hint or "")


def test_a_lying_dimension_or_cells_without_positions_take_the_exact_path(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "lying.xlsx", {"Servers": [["Name", "OS"], ["srv01", "Linux"]]})
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    far = '<row r="3"><c r="A3" t="inlineStr"><is><t>a</t></is></c>' + "<c/>" * 3000
    far += '<c t="inlineStr"><is><t>b</t></is></c></row></sheetData>'
    replace_members(path, {"xl/worksheets/sheet1.xml": xml.replace("</sheetData>", far).encode()})
    with zipfile.ZipFile(path) as zf:
        cost = workbook_scan.scan_xlsx_sheet(zf, zf.getinfo("xl/worksheets/sheet1.xml"), longest_string=0)
    assert cost.last_cell == (3, 3002) and cost.grid_cells == 3 * 3002


_NS_X = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_UNUSUAL_CELLS = {
    "lower-case reference": '<row r="3"><c r="xfd3" t="inlineStr"><is><t>x</t></is></c></row>',
    "spaced position": '<row r="3"><c r = "XFD3" t="inlineStr"><is><t>x</t></is></c></row>',
    "position not first": '<row r="3"><c s="0" r="XFD3" t="inlineStr"><is><t>x</t></is></c></row>',
    "prefixed cell": f'<row r="3"><x:c {_NS_X} r="XFD3" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></row>',
    "cell in another row": '<row r="3"><c r="A900" t="inlineStr"><is><t>x</t></is></c></row>',
    "same letters, later column": '<row r="3"><c r="Z3" t="inlineStr"><is><t>x</t></is></c></row>',
    "cells without positions behind text": '<row r="3"><c r="A3" t="inlineStr"><is><t><![CDATA[<c r="B3">]]>'
    "</t></is></c>" + '<c t="inlineStr"><is><t>y</t></is></c>' * 50 + "</row>",
}


@pytest.mark.parametrize("case", list(_UNUSUAL_CELLS))
def test_the_scan_bounds_the_grid_calamine_builds_however_cells_are_written(
    tmp_path: Path, case: str
) -> None:
    """The one-pass scan vouches only for rows and cells that carry their own position first; a
    cell written any other way takes the exact path, whose bound is never below calamine's grid."""
    import python_calamine

    path = write_xlsx(tmp_path / "unusual.xlsx", {"Servers": [["Name", "OS"], ["srv01", "Linux"]]})
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    replace_members(
        path,
        {
            "xl/worksheets/sheet1.xml": xml.replace(
                "</sheetData>", _UNUSUAL_CELLS[case] + "</sheetData>"
            ).encode()
        },
    )
    with zipfile.ZipFile(path) as zf:
        cost = workbook_scan.scan_xlsx_sheet(zf, zf.getinfo("xl/worksheets/sheet1.xml"), longest_string=0)
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    end = workbook.get_sheet_by_name("Servers").end
    workbook.close()
    assert end is not None and end > (1, 1)  # calamine really places the unusual cell
    assert cost.last_cell[0] >= end[0] + 1 and cost.last_cell[1] >= end[1] + 1
    assert cost.grid_cells >= (end[0] + 1) * (end[1] + 1)


def test_a_far_cell_with_a_lower_case_position_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "lower.xlsx", {"Servers": [["Name", "OS"], ["srv01", "Linux"]]})
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    stray = '<row r="1048576"><c r="xfd1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    replace_members(path, {"xl/worksheets/sheet1.xml": xml.replace("</sheetData>", stray).encode()})
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert err.value.sheet == "Servers" and "XFD1048576" in err.value.message


def test_a_sheet_as_excel_writes_it_is_bounded_by_its_rows_in_one_pass(tmp_path: Path) -> None:
    """Rows and cells with their positions first: the grid is the last row with cells times the
    dimension's columns (rounded up past its first letter), without following every cell."""
    rows = [[f"c{c}" for c in range(30)], *([f"v{r}.{c}" for c in range(30)] for r in range(300))]
    path = write_xlsx(tmp_path / "plain.xlsx", {"Servers": rows})
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        cost = workbook_scan.scan_xlsx_sheet(zf, info, longest_string=0)
        columns = workbook_scan._Columns.of(b"AD")
        totals, complete = workbook_scan._fast_scan(zf, info, columns, strings=False, display="", sheet=None)
    assert complete and totals.rows == 301 and totals.max_row == 301 and totals.cells == 301 * 30
    assert cost.rows == 301 and cost.last_cell == (301, 52)  # AD -> AZ


_ODS_FLOAT = (
    '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
)
_ROW = "<table:table-row>"
_ROW_END = "</table:table-row>"
_UNUSUAL_ODS_ROWS = {
    "empty cells repeated before a value": _ROW
    + '<table:table-cell table:number-columns-repeated="5000"/>'
    + _ODS_FLOAT
    + _ROW_END,
    "a row repeated, single-quoted": "<table:table-row table:number-rows-repeated='3000'>"
    + _ODS_FLOAT
    + _ROW_END,
    "rows in a row group": "<table:table-row-group>"
    + _ROW
    + '<table:table-cell table:number-columns-repeated="700"/>'
    + _ODS_FLOAT
    + _ROW_END
    + "</table:table-row-group>",
    "covered cells": _ROW + "<table:covered-table-cell/>" * 60 + _ODS_FLOAT + _ROW_END,
    "empty rows repeated before a row": '<table:table-row table:number-rows-repeated="4000">'
    + "<table:table-cell/>"
    + _ROW_END
    + _ROW
    + _ODS_FLOAT
    + _ROW_END,
}


@pytest.mark.parametrize("case", list(_UNUSUAL_ODS_ROWS))
def test_the_ods_scan_bounds_the_grid_calamine_builds(tmp_path: Path, case: str) -> None:
    """Rows without repeats are bounded by counts, the others tag by tag: either way the bound is
    never below the grid calamine really builds."""
    import python_calamine

    path = _ods(tmp_path / "rows.ods")
    with zipfile.ZipFile(path) as zf:
        content = zf.read("content.xml").decode()
    tail = "</table:table></office:spreadsheet>"
    replace_members(path, {"content.xml": content.replace(tail, _UNUSUAL_ODS_ROWS[case] + tail).encode()})
    with zipfile.ZipFile(path) as zf:
        cost = workbook_scan.scan_ods(zf, zf.getinfo("content.xml"))["Servers"]
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    end = workbook.get_sheet_by_name("Servers").end
    workbook.close()
    assert end is not None and end > (2, 8)  # calamine really places the far cell
    assert cost.last_cell[0] >= end[0] + 1 and cost.last_cell[1] >= end[1] + 1


def test_a_repeated_ods_cell_counts_as_often_as_it_repeats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook_scan, "MAX_SHEET_CELLS", 100_000)
    path = _ods(tmp_path / "repeat.ods")
    with zipfile.ZipFile(path) as zf:
        content = zf.read("content.xml").decode()
    bomb = (
        '<table:table-row table:number-rows-repeated="1000"><table:table-cell '
        'table:number-columns-repeated="1000" office:value-type="float" office:value="1"/></table:table-row>'
        "</table:table>"
    )
    replace_members(path, {"content.xml": content.replace("</table:table>", bomb, 1).encode()})
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert err.value.sheet == "Notes" and "grid cells" in err.value.message


def test_long_strings_repeated_in_many_cells_are_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine copies a shared string once per cell that uses it."""
    from .builders import shared_string_workbook

    monkeypatch.setattr(workbook_scan, "MAX_SHEET_TEXT_BYTES", 1024**2)
    path = shared_string_workbook(
        tmp_path / "amplified.xlsx", ["Name", "x" * 5000], [[0, 0], *[[1, 1]] * 200]
    )
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert err.value.sheet == "Servers" and "MB of text" in err.value.message
