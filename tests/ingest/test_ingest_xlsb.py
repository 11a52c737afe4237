"""Binary workbooks (.xlsb) through python-calamine, written by tests/ingest/xlsb_writer.py.

The writer is checked first: two independent readers, python-calamine (what the app uses) and
pyxlsb, must both read back exactly what it wrote. Then the app: typed cells as Excel shows them,
error cells counted, the RVTools default sheet, row counts, damaged packages and parts refused
naming file and sheet, workbooks under another workbook's name read by content, and an import.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import python_calamine
import pyxlsb
import xlwt

from core.bootstrap import Core
from core.db.models import DataImport
from core.errors import UserInputError
from core.imports import import_file, iter_records
from core.ingest import open_table, workbook_sheets
from core.uow import Tenant

from .builders import replace_members, write_xlsx
from .xlsb_writer import BLANK, ERROR_CODES, CellError, excel_serial, rk_number, write_xlsb

HEADER = ["Name", "CPUs", "Ratio", "Noise", "Created", "Seen", "Thin", "Check", "Zero", "Site", "Third"]
ROWS: list[list[Any]] = [
    ["srv01", 8192, 0.1, 0.1 + 0.2, date(2026, 1, 3), datetime(2026, 1, 3, 10, 30, 15), True,
     CellError("#N/A"), "007", "Zürich – 東京 🚀", 1 / 3],
    ["srv02", 123456789, 2.5, -0.5, date(2026, 1, 4), datetime(2026, 1, 4, 23, 59, 59), False,
     CellError("#DIV/0!"), BLANK, None, 1e-7],
]  # fmt: skip
EXPECTED = [
    ["srv01", "8192", "0.1", "0.3", "2026-01-03", "2026-01-03T10:30:15", "TRUE", "", "007",
     "Zürich – 東京 🚀", "0.333333333333333"],
    ["srv02", "123456789", "2.5", "-0.5", "2026-01-04", "2026-01-04T23:59:59", "FALSE", "", "", "", "1e-07"],
]  # fmt: skip
MIME_XLSB = "application/vnd.ms-excel.sheet.binary.macroEnabled.12"


def _inventory(path: Path) -> Path:
    """A title row, a blank row, the header and typed rows; a short notes sheet before it."""
    title = ["Server inventory — ACME — exported 2026-01-03"]
    return write_xlsb(path, {"Notes": [["exported by hand"]], "Inventory": [title, [], HEADER, *ROWS]})


# -- the writer, read back by two independent readers ------------------------------------------------


def _as_calamine(value: Any) -> Any:
    """What python-calamine gives for a written cell (errors and empty cells as "")."""
    if value is None or value is BLANK or isinstance(value, CellError):
        return ""
    return value


def _as_pyxlsb(value: Any) -> Any:
    """What pyxlsb gives: numbers as floats, dates as serials, errors as their BErr code in hex."""
    if value is None or value is BLANK:
        return None
    if isinstance(value, CellError):
        return hex(ERROR_CODES[value.text])
    if isinstance(value, date):
        return excel_serial(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def test_both_readers_read_back_what_the_writer_wrote(tmp_path: Path) -> None:
    """Every cell record, RK and real numbers, shared strings up to a 3-byte record size, dates in
    date-formatted cells, a hidden sheet: calamine and pyxlsb agree with what was written."""
    grid: list[list[Any]] = [
        HEADER,
        *ROWS,
        [None] * len(HEADER),  # an empty row inside the data
        ["x" * 10_000, -(2**29), 2**29, 1e300, date(1900, 3, 1), datetime(9999, 12, 31, 12), None,
         CellError("#VALUE!"), "", "ü", 0.01],
    ]  # fmt: skip
    path = write_xlsb(
        tmp_path / "book.xlsb", {"Data": grid, "Lookup": [["k", "v"], ["a", 1]]}, hidden=["Lookup"]
    )
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == sorted(
            ["[Content_Types].xml", "_rels/.rels", "xl/workbook.bin", "xl/_rels/workbook.bin.rels",
             "xl/worksheets/sheet1.bin", "xl/worksheets/sheet2.bin", "xl/styles.bin", "xl/sharedStrings.bin"]
        )  # fmt: skip

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        meta = {m.name: m.visible for m in book.sheets_metadata}
        calamine_grid = book.get_sheet_by_name("Data").to_python()
    finally:
        book.close()
    assert meta == {
        "Data": python_calamine.SheetVisibleEnum.Visible,
        "Lookup": python_calamine.SheetVisibleEnum.Hidden,
    }
    assert calamine_grid == [[_as_calamine(v) for v in row] for row in grid]

    with pyxlsb.open_workbook(str(path)) as wb:
        assert wb.sheets == ["Data", "Lookup"]
        with wb.get_sheet("Data") as ws:
            pyxlsb_grid = [[cell.v for cell in row] for row in ws.rows()]
        with wb.get_sheet("Lookup") as ws:
            assert [[cell.v for cell in row] for row in ws.rows()] == [["k", "v"], ["a", 1.0]]
    assert pyxlsb_grid == [[_as_pyxlsb(v) for v in row] for row in grid]
    assert pyxlsb.convert_date(pyxlsb_grid[1][5]) == datetime(2026, 1, 3, 10, 30, 15)


@pytest.mark.parametrize(
    ("value", "rk"),
    [
        (1.0, 0x3FF00000),  # the RkNumbers Excel wrote for 1, 15 and 2021-01-01 (calamine's date.xlsb)
        (15.0, 0x402E0000),
        (44197.0, 0x40E594A0),
        (123456789.0, (123456789 << 2) | 0x2),  # too many digits for the double form: 30-bit integer
        (0.1, 0x40240000 | 0x1),  # 10.0 as a double, divided by 100
        (-5.0, 0xC0140000),
        (1 / 3, None),  # BrtCellReal
        (1e300, None),
    ],
)
def test_numbers_are_encoded_as_excel_encodes_them(value: float, rk: int | None) -> None:
    assert rk_number(value) == rk


# -- the app reading .xlsb ---------------------------------------------------------------------------


def test_typed_cells_title_row_errors_and_unicode(tmp_path: Path) -> None:
    path = _inventory(tmp_path / "servers.xlsb")
    with open_table(path) as table:
        info = table.info
        rows = list(table.iter_rows())
    assert info.format == "xlsx" and info.workbook_type == "xlsb" and info.mime_type == MIME_XLSB
    assert info.sheet == "Inventory" and info.sheets == ["Notes", "Inventory"]
    assert info.header_row == 3 and info.column_names == HEADER
    assert rows == [(4, EXPECTED[0]), (5, EXPECTED[1])]  # 8192 not 8192.0, 0.1+0.2 as 0.3, #N/A empty
    assert info.error_cells == 2
    assert any("2 cells of sheet 'Inventory' hold an error value" in w for w in info.warnings)
    assert info.sheet_rows == {"Notes": 1, "Inventory": 4}


def _rvtools(path: Path, *, vinfo: bool = True) -> Path:
    sheets: dict[str, list[list[Any]]] = {
        "vDisk": [
            ["VM", "Disk", "Capacity MB"],
            *[[f"vm{r % 5}", f"Hard disk {r}", 40960] for r in range(40)],
        ],
        "vInfo": [["VM", "Powerstate", "CPUs"], *[[f"vm{r}", "poweredOn", 2 + r] for r in range(5)]],
        "vHost": [["Host", "# CPU"], ["esx-01", 32], ["esx-02", 32]],
        "vMetaData": [["RVTools version", "Server"], ["4.6.1", "vcenter01"]],
        "Lookup": [["k"], *[[f"key{r}"] for r in range(100)]],
    }
    if not vinfo:
        del sheets["vInfo"]
    return write_xlsb(path, sheets, hidden=["Lookup"])


def test_rvtools_vinfo_is_the_default_sheet_and_sheets_have_row_counts(tmp_path: Path) -> None:
    path = _rvtools(tmp_path / "RVTools_export_all.xlsb")
    assert workbook_sheets(path) == [
        ("vDisk", 41),
        ("vInfo", 6),
        ("vHost", 3),
        ("vMetaData", 2),
        ("Lookup", 101),
    ]
    with open_table(path) as table:
        assert table.info.sheet == "vInfo" and "RVTools main sheet" in table.info.notes[0]
        assert list(table.iter_rows())[-1] == (6, ["vm4", "poweredOn", "6"])
    with open_table(path, sheet="vhost") as table:
        assert table.info.sheet == "vHost" and table.sample() == [["esx-01", "32"], ["esx-02", "32"]]
    without = _rvtools(tmp_path / "no_vinfo.xlsb", vinfo=False)
    with open_table(without) as table:  # the largest visible sheet, never the hidden one
        assert table.info.sheet == "vDisk" and "largest of 3 sheets" in table.info.notes[0]


def _garbage(length: int) -> bytes:
    return bytes((i * 151 + 7) % 256 for i in range(length))


def _cut(path: Path, part: str) -> Path:
    with zipfile.ZipFile(path) as zf:
        data = zf.read(part)
    return replace_members(path, {part: data[: len(data) // 2]})


@pytest.mark.parametrize(
    ("damage", "message", "sheet"),
    [
        (
            "truncated package",
            "not a readable Excel workbook (damaged, incomplete or not really .xlsb)",
            None,
        ),
        ("garbage sheet part", "the sheet is damaged", "Inventory"),
        ("truncated sheet part", "the sheet is damaged", "Inventory"),
        ("garbage workbook part", "not a readable binary Excel workbook (.xlsb)", None),
        ("truncated shared strings", "not a readable binary Excel workbook (.xlsb)", None),
        ("garbage styles", "not a readable binary Excel workbook (.xlsb)", None),
    ],
)
def test_damaged_xlsb_is_refused_naming_file_and_sheet(
    tmp_path: Path, damage: str, message: str, sheet: str | None
) -> None:
    """One UserInputError, never another sheet read in place of the damaged one."""
    path = _inventory(tmp_path / "servers.xlsb")
    if damage == "truncated package":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage sheet part":
        replace_members(path, {"xl/worksheets/sheet2.bin": _garbage(300)})
    elif damage == "truncated sheet part":
        _cut(path, "xl/worksheets/sheet2.bin")
    elif damage == "garbage workbook part":
        replace_members(path, {"xl/workbook.bin": _garbage(120)})
    elif damage == "truncated shared strings":
        _cut(path, "xl/sharedStrings.bin")
    else:
        replace_members(path, {"xl/styles.bin": _garbage(200)})
    with pytest.raises(UserInputError) as err, open_table(path) as table:
        list(table.iter_rows())
    assert message in err.value.message
    assert err.value.file == "servers.xlsb" and err.value.sheet == sheet and err.value.hint


def test_a_damaged_sheet_does_not_stop_another_chosen_sheet(tmp_path: Path) -> None:
    path = write_xlsb(
        tmp_path / "servers.xlsb", {"Notes": [["Note"], ["by hand"]], "Inventory": [HEADER, *ROWS]}
    )
    replace_members(path, {"xl/worksheets/sheet2.bin": _garbage(300)})
    with open_table(path, sheet="Notes") as table:
        assert list(table.iter_rows()) == [(2, ["by hand"])]


def _xls(path: Path) -> Path:
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Inventory")
    for r, row in enumerate([HEADER[:3], ["srv01", 8192, 0.1]]):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    wb.save(str(path))
    return path


@pytest.mark.parametrize(
    ("made_as", "named", "kind"),
    [("xlsb", "export.xlsx", "xlsb"), ("xlsx", "export.xlsb", "xlsx"), ("xls", "export.xlsb", "xls"),
     ("xlsb", "EXPORT.XLSB", "xlsb"), ("xlsb", "export.dat", "xlsb")],
)  # fmt: skip
def test_workbooks_under_another_name_are_read_by_content(
    tmp_path: Path, made_as: str, named: str, kind: str
) -> None:
    """The content decides, as for every other disguise (tests/ingest/test_ingest_xlsx.py)."""
    rows: list[list[Any]] = [HEADER[:3], ["srv01", 8192, 0.1]]
    made = tmp_path / f"made.{made_as}"
    writers = {
        "xlsb": lambda p: write_xlsb(p, {"Inventory": rows}),
        "xlsx": lambda p: write_xlsx(p, {"Inventory": rows}),
        "xls": _xls,
    }
    writers[made_as](made)
    path = shutil.copy(made, tmp_path / named)
    with open_table(path) as table:
        assert table.info.workbook_type == kind and table.info.sheet == "Inventory"
        assert list(table.iter_rows()) == [(2, ["srv01", "8192", "0.1"])]


def test_a_pdf_named_xlsb_is_refused_as_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsb"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert "PDF document" in err.value.message and err.value.file == "report.xlsb"


# -- through the import pipeline ---------------------------------------------------------------------


def test_xlsb_import_stores_what_the_reader_reads(core: Core, tenant: Tenant, tmp_path: Path) -> None:
    path = _inventory(tmp_path / "servers.xlsb")
    with open_table(path) as table:
        columns, rows = table.info.column_names, list(table.iter_rows())
    result = import_file(core.uows, tenant, path, source_system="CMDB")
    assert result.status == "completed" and result.sheet == "Inventory" and result.rows == 2
    check = columns.index("Check")  # only error cells: empty, so the import leaves the column out
    assert result.write_path == "reader-copy" and result.columns == [c for c in columns if c != "Check"]
    assert rows == [(4, EXPECTED[0]), (5, EXPECTED[1])]
    with core.uow(tenant) as uow:
        assert list(iter_records(uow, result.import_id)) == [(i, r[:check] + r[check + 1 :]) for i, r in rows]
        imp = uow.session.get(DataImport, result.import_id)
        assert imp is not None and imp.mime_type == MIME_XLSB and imp.sheet_name == "Inventory"
        meta = imp.import_metadata
        assert meta["header_row"] == 3 and meta["sheets"] == ["Notes", "Inventory"]
        assert [c["name"] for c in meta["dropped_empty_columns"]] == ["Check"]
        assert any("2 cells of sheet 'Inventory' hold an error value" in w for w in meta["warnings"])
