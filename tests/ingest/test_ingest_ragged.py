"""Rows that do not fit the header: refused by default, skipped and listed on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import UserInputError
from core.ingest import BadRow, open_table, scan_bad_rows

from .builders import write_text

HEADER = ",".join(f"c{i}" for i in range(26))


def _row(n: int, fields: int = 26) -> str:
    return ",".join(f"v{n}_{i}" for i in range(fields))


def _ragged_file(tmp_path: Path) -> Path:
    lines = ["Inventory export", "", HEADER]  # header on line 3
    for n in range(1, 41):
        if n == 10:
            lines.append(_row(n, 31))  # line 13
        elif n == 20:
            lines.append(_row(n, 3))  # line 23
        elif n == 30:
            lines.append('v30,"unterminated')  # line 33: swallows the rest of the file
        else:
            lines.append(_row(n))
    return write_text(tmp_path / "ragged.csv", "\n".join(lines) + "\n")


def test_first_ragged_row_raises_with_row_and_counts(tmp_path: Path) -> None:
    path = _ragged_file(tmp_path)
    with open_table(path) as table:
        assert table.info.header_row == 3
        with pytest.raises(UserInputError) as err:
            list(table.iter_rows())
    assert err.value.row == 13 and err.value.file == "ragged.csv"
    assert "row 13 has 31 fields, the header (row 3) has 26" in err.value.message
    assert "skip bad rows" in (err.value.hint or "")
    assert err.value.details == {"field_count": 31, "expected": 26}


def test_skip_mode_keeps_good_rows_and_lists_bad_ones(tmp_path: Path) -> None:
    with open_table(_ragged_file(tmp_path), skip_bad_rows=True) as table:
        rows = list(table.iter_rows())
        bad = table.bad_rows
    assert [b.row for b in bad] == [13, 23, 33]
    assert bad[1] == BadRow(
        row=23, reason="row 23 has 3 fields, the header (row 3) has 26", field_count=3, expected=26
    )
    assert "never closed" in bad[2].reason
    assert len(rows) == 29 - 2  # everything from data row 30 on is one (bad) record
    assert all(len(cells) == 26 for _, cells in rows)
    assert rows[0][0] == 4 and 13 not in {idx for idx, _ in rows}


def test_scan_bad_rows_lists_all_and_honours_limit(tmp_path: Path) -> None:
    path = _ragged_file(tmp_path)
    assert [b.row for b in scan_bad_rows(path)] == [13, 23, 33]
    assert [b.row for b in scan_bad_rows(path, limit=2)] == [13, 23]


def test_trailing_empty_fields_are_not_ragged(tmp_path: Path) -> None:
    text = "a,b,c,,\n1,2,3,,\n4,5,6\n7,8,9,,,,,\n"
    with open_table(write_text(tmp_path / "excel.csv", text)) as table:
        assert table.info.column_names == ["a", "b", "c"]
        assert list(table.iter_rows()) == [(2, ["1", "2", "3"]), (3, ["4", "5", "6"]), (4, ["7", "8", "9"])]


def test_trailing_empty_header_cells_kept_when_data_uses_them(tmp_path: Path) -> None:
    text = "a,b,c,\n1,2,3,x\n4,5,6,\n"
    with open_table(write_text(tmp_path / "unnamed.csv", text)) as table:
        assert table.info.column_names == ["a", "b", "c", "column_4"]
        assert table.sample()[0] == ["1", "2", "3", "x"]


def test_non_empty_overflow_is_ragged(tmp_path: Path) -> None:
    text = "a,b\n1,2\n3,4,oops\n"
    path = write_text(tmp_path / "overflow.csv", text)
    with open_table(path) as table, pytest.raises(UserInputError) as err:
        list(table.iter_rows())
    assert err.value.row == 3 and "has 3 fields" in err.value.message


def test_sample_raises_on_bad_row_unless_skipping(tmp_path: Path) -> None:
    path = write_text(tmp_path / "s.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n")
    with open_table(path) as table, pytest.raises(UserInputError):
        table.sample()
    with open_table(path, skip_bad_rows=True) as table:
        assert table.sample() == [["1", "2", "3"], ["6", "7", "8"]]
        assert table.bad_rows == []  # sample() does not count; iter_rows() does
