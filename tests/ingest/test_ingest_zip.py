"""ZIP archives of CSV files (RVTools "Export all to CSV")."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from core.errors import UserInputError
from core.ingest import detect_format, open_table


def _rvtools_zip(path: Path) -> Path:
    vinfo = "VM,Powerstate,CPUs\n" + "".join(f"vm{i},poweredOn,{i % 4 + 1}\n" for i in range(5))
    vdisk = "VM,Disk,Capacity MB\n" + "".join(f"vm{i},disk{i},40960\n" for i in range(50))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("RVTools_export_all_2026-01-03/RVTools_tabvCPU.csv", "VM,CPUs\nvm0,2\n")
        zf.writestr("RVTools_export_all_2026-01-03/RVTools_tabvDisk.csv", vdisk)
        zf.writestr("RVTools_export_all_2026-01-03/RVTools_tabvInfo.csv", vinfo.encode("utf-8-sig"))
        zf.writestr("__MACOSX/._RVTools_tabvInfo.csv", b"\x00\x05\x16\x07junk")
        zf.writestr("readme.txt", "exported by RVTools")
    return path


def test_zip_of_csvs_defaults_to_vinfo(tmp_path: Path) -> None:
    path = _rvtools_zip(tmp_path / "rvtools.zip")
    assert detect_format(path) == "zip"
    with open_table(path) as table:
        info = table.info
        assert info.format == "zip"
        assert info.sheet == "RVTools_export_all_2026-01-03/RVTools_tabvInfo.csv"
        assert len(info.sheets) == 3  # macOS metadata and the readme are not tables
        assert info.encoding == "utf-8-sig"
        assert info.data_start_offset is None  # not a byte offset in the .zip file
        assert info.column_names == ["VM", "Powerstate", "CPUs"]
        rows = list(table.iter_rows())
    assert rows[0] == (2, ["vm0", "poweredOn", "1"]) and len(rows) == 5


def test_member_chosen_by_name_else_largest(tmp_path: Path) -> None:
    path = _rvtools_zip(tmp_path / "rvtools.zip")
    with open_table(path, sheet="RVTools_tabvCPU.csv") as table:
        assert table.info.sheet.endswith("RVTools_tabvCPU.csv")
        assert table.sample() == [["vm0", "2"]]
    with pytest.raises(UserInputError, match="no CSV file 'vHost'"):
        open_table(path, sheet="vHost")

    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("small.csv", "a,b\n1,2\n")
        zf.writestr("big.csv", "x;y\n" + "1;2\n" * 100)
    with open_table(plain) as table:
        assert table.info.sheet == "big.csv"
        assert table.info.delimiter == ";"


def test_zip_without_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("inventory.xlsx", b"PK...")
        zf.writestr("notes.pdf", b"%PDF-1.7")
    with pytest.raises(UserInputError) as err:
        open_table(path)
    assert "contains no CSV file" in err.value.message
    assert "inventory.xlsx" in err.value.message and err.value.file == "docs.zip"
