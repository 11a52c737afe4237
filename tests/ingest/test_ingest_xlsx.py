"""Excel workbooks: sheet choice, typed cells as text, header detection, row numbers."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest

from core.errors import UserInputError
from core.ingest import detect_format, open_table

from .builders import replace_members, write_xlsx

VINFO_HEADER = ["VM", "Powerstate", "CPUs", "Memory", "OS according to the VMware Tools", "Datacenter"]


def _rvtools(path: Path) -> Path:
    vinfo = [VINFO_HEADER] + [[f"vm{i:03d}", "poweredOn", 2, 4096, "Linux", "DC1"] for i in range(20)]
    vdisk = [["VM", "Disk", "Capacity MB", "Thin", "Path", "Controller", "Unit #"]] + [
        [f"vm{i % 20:03d}", f"Hard disk {i}", 40960, True, "[ds1]", "SCSI 0", i] for i in range(200)
    ]
    return write_xlsx(
        path,
        {
            "vCPU": [["VM", "CPUs"], ["vm000", 2]],
            "vMemory": [["VM", "Size MB"], ["vm000", 4096]],
            "vDisk": vdisk,
            "vInfo": vinfo,
            "vHost": [["Host", "# CPU"], ["esx01", 2]],
            "vCluster": [["Name", "NumHosts"], ["cl1", 3]],
        },
    )


def test_rvtools_workbook_defaults_to_vinfo(tmp_path: Path) -> None:
    path = _rvtools(tmp_path / "RVTools_export_all.xlsx")
    assert detect_format(path) == "xlsx"
    with open_table(path) as table:
        info = table.info
        assert info.format == "xlsx"
        assert info.sheet == "vInfo"  # although vDisk has more cells
        assert info.sheets == ["vCPU", "vMemory", "vDisk", "vInfo", "vHost", "vCluster"]
        assert info.header_row == 1
        assert info.column_names == VINFO_HEADER
        assert info.total_rows_estimate == 20
        rows = list(table.iter_rows())
    assert len(rows) == 20
    assert rows[0] == (2, ["vm000", "poweredOn", "2", "4096", "Linux", "DC1"])


def test_sheet_argument_selects_and_unknown_sheet_lists_choices(tmp_path: Path) -> None:
    path = _rvtools(tmp_path / "rv.xlsx")
    with open_table(path, sheet="vdisk") as table:  # case-insensitive
        assert table.info.sheet == "vDisk"
        assert table.sample(1)[0][:4] == ["vm000", "Hard disk 0", "40960", "TRUE"]
    with pytest.raises(UserInputError) as err:
        open_table(path, sheet="vNetwork")
    assert "no sheet 'vNetwork'" in err.value.message
    assert "'vInfo'" in (err.value.hint or "")


def test_largest_data_sheet_wins_over_cover_and_hidden_sheets(tmp_path: Path) -> None:
    servers = [["Hostname", "OS", "CPU", "RAM"]] + [[f"srv{i}", "Linux", 4, 16] for i in range(30)]
    hidden = [["a", "b", "c", "d", "e"]] + [[1, 2, 3, 4, 5]] * 200
    path = write_xlsx(
        tmp_path / "hand_made.xlsx",
        {
            "Cover": [["Migration assessment — ACME"], [None], ["Prepared by the consultant"]],
            "Summary": [["Total", 30], ["Linux", 30]],
            "Servers": servers,
            "Lookup": hidden,
        },
        hidden=["Lookup"],
    )
    with open_table(path) as table:
        assert table.info.sheet == "Servers"
        assert table.info.sheets == ["Cover", "Summary", "Servers", "Lookup"]


def test_typed_cells_become_lossless_text(tmp_path: Path) -> None:
    header = [
        "str",
        "int",
        "float",
        "whole float",
        "big",
        "date",
        "datetime",
        "time",
        "duration",
        "bool",
        "empty",
        "leading zero",
        "formula",
    ]
    row = [
        "x",
        7,
        0.1,
        3.0,
        12345678901234567890,
        date(2026, 1, 3),
        datetime(2026, 1, 3, 10, 30, 15),
        time(10, 30),
        timedelta(hours=26, minutes=5),
        True,
        None,
        "007",
        "=1+1",
    ]
    path = write_xlsx(tmp_path / "typed.xlsx", {"Data": [header, row, ["y", -2.5, 1e-7, False]]})
    with open_table(path) as table:
        rows = table.sample()
    assert rows[0] == [
        "x",
        "7",
        "0.1",
        "3",
        "1.23456789012346e+19",  # Excel's 15 significant digits
        "2026-01-03",
        "2026-01-03T10:30:15",
        "10:30:00",
        "26:05:00",
        "TRUE",
        "",
        "007",
        "",
    ]
    assert rows[1][:4] == ["y", "-2.5", "1e-07", "FALSE"]


def test_title_rows_and_sheet_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "titled.xlsx",
        {
            "Inventory": [
                ["Server inventory — ACME — exported 2026-01-03"],
                [],
                ["Name", "IP", "CPU", None, "Name"],
                ["srv01", "10.0.0.1", 4, None, "a"],
                ["srv02", "10.0.0.2", 8, None, "b"],
                [],
                ["srv03", "10.0.0.3", 2, None, "c"],
            ]
        },
    )
    with open_table(path) as table:
        assert table.info.header_row == 3
        assert table.info.column_names == ["Name", "IP", "CPU", "column_4", "Name_2"]
        rows = list(table.iter_rows())
        assert table.empty_rows_dropped == 1
    assert [idx for idx, _ in rows] == [4, 5, 7]
    assert rows[2][1] == ["srv03", "10.0.0.3", "2", "", "c"]


def test_wrong_dimension_tag_does_not_cut_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dims.xlsx", {"S": [["a", "b"]] + [[f"r{i}", i] for i in range(10)]})
    with zipfile.ZipFile(path) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<dimension" in sheet_xml
    broken = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B3"', sheet_xml)
    replace_members(path, {"xl/worksheets/sheet1.xml": broken.encode()})
    with open_table(path) as table:
        rows = list(table.iter_rows())
    assert len(rows) == 10 and rows[-1] == (11, ["r9", "9"])


def test_xlsm_and_odd_extension_are_read_by_content(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "book.xlsx", {"S": [["a", "b"], [1, 2]]})
    renamed = path.rename(tmp_path / "export.dat")
    with open_table(renamed) as table:
        assert table.info.format == "xlsx"
        assert table.sample() == [["1", "2"]]


def test_value_right_of_header_in_later_row_is_a_bad_row(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Name", "OS", "CPU"]] + [[f"srv{i}", "Linux", 2] for i in range(60)]
    rows[45] = ["srv44", "Linux", 2, None, "stray note"]
    path = write_xlsx(tmp_path / "stray.xlsx", {"S": rows})
    with open_table(path) as table, pytest.raises(UserInputError) as err:
        list(table.iter_rows())
    assert err.value.row == 46 and err.value.sheet == "S"
    assert "column E" in err.value.message and "column C" in err.value.message
    with open_table(path, skip_bad_rows=True) as table:
        assert len(list(table.iter_rows())) == 59
        assert [b.row for b in table.bad_rows] == [46]


def test_sheets_without_dimension_tag_are_not_parsed_at_open(tmp_path: Path) -> None:
    """Writers that omit <dimension> must not make opening cost a full parse of every sheet."""
    wb = openpyxl.Workbook(write_only=True)
    for title in ("Notes", "Servers"):
        ws = wb.create_sheet(title)
        ws.append(["Name", "OS", "CPU", "RAM", "Site", "Owner"])
        for i in range(6000 if title == "Servers" else 300):
            ws.append([f"srv{i}", "Linux", i % 8, 4096, "FRA", f"team{i % 9}"])
    path = tmp_path / "no_dims.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        assert b"<dimension" not in zf.read("xl/worksheets/sheet2.xml")[:2000]

    with open_table(path) as table:
        assert table.info.sheet == "Servers"  # sized by a bounded probe instead of a full parse
        assert table.info.total_rows_estimate is None or table.info.total_rows_estimate > 0
        assert sum(1 for _ in table.iter_rows()) == 6000


def test_header_row_override_uses_sheet_row_numbers(tmp_path: Path) -> None:
    rows = [["Asset list"], ["Group", "Hardware", None], ["Name", "CPU", "RAM"], ["srv01", 4, 16]]
    path = write_xlsx(tmp_path / "grouped.xlsx", {"S": rows})
    with open_table(path, header_row=3) as table:
        assert table.info.column_names == ["Name", "CPU", "RAM"]
        assert list(table.iter_rows()) == [(4, ["srv01", "4", "16"])]
