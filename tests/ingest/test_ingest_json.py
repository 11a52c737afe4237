"""JSON: arrays of objects, wrapped arrays, value rendering, structural errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import UserInputError
from core.ingest import detect_format, open_table

from .builders import write_text


def test_array_of_objects_with_union_of_keys(tmp_path: Path) -> None:
    data = [
        {"name": "srv01", "cpu": 4, "ip": "10.0.0.1"},
        {"name": "srv02", "ram_gb": 16.50, "cpu": 2},
        {},
        {
            "name": "srv03",
            "tags": ["a", "b"],
            "os": {"family": "Linux", "version": "9"},
            "on": True,
            "owner": None,
            "serial": "007",
            "ratio": 1e-7,
        },
    ]
    path = write_text(tmp_path / "servers.json", json.dumps(data, indent=2))
    assert detect_format(path) == "json"
    with open_table(path) as table:
        info = table.info
        assert info.format == "json" and info.header_row is None and info.sheet is None
        assert info.column_names == [
            "name",
            "cpu",
            "ip",
            "ram_gb",
            "tags",
            "os",
            "on",
            "owner",
            "serial",
            "ratio",
        ]
        assert info.total_rows_estimate == 4
        rows = list(table.iter_rows())
        assert table.empty_rows_dropped == 1  # the {} object
    assert rows[0] == (1, ["srv01", "4", "10.0.0.1", "", "", "", "", "", "", ""])
    assert rows[1] == (2, ["srv02", "2", "", "16.5", "", "", "", "", "", ""])
    idx, cells = rows[2]
    assert idx == 4
    assert cells[4:] == ['["a","b"]', '{"family":"Linux","version":"9"}', "true", "", "007", "1e-7"]


def test_numbers_keep_their_written_form(tmp_path: Path) -> None:
    path = write_text(tmp_path / "n.json", '[{"a": 1.50, "b": 12345678901234567890, "c": -0.0, "d": false}]')
    with open_table(path) as table:
        assert table.sample() == [["1.50", "12345678901234567890", "-0.0", "false"]]


def test_wrapped_array_takes_the_largest_and_says_which(tmp_path: Path) -> None:
    doc = {
        "meta": {"exported": "2026-01-03", "count": 3},
        "errors": [{"code": 1}],
        "result": {"records": [{"host": f"srv{i}", "os": "Linux"} for i in range(3)]},
    }
    path = write_text(tmp_path / "wrapped.json", json.dumps(doc))
    with open_table(path) as table:
        assert table.info.sheet == "result.records"
        assert sorted(table.info.sheets) == ["errors", "result.records"]
        assert any("result.records" in n for n in table.info.notes)
        assert table.info.column_names == ["host", "os"]
        assert [i for i, _ in table.iter_rows()] == [1, 2, 3]
    with open_table(path, sheet="errors") as table:
        assert table.sample() == [["1"]]
    with pytest.raises(UserInputError, match="no array of objects at 'nope'"):
        open_table(path, sheet="nope")


def test_utf16_json(tmp_path: Path) -> None:
    path = write_text(tmp_path / "u16.json", '[{"Größe": "groß"}]', "utf-16")
    with open_table(path) as table:
        assert table.info.encoding == "utf-16"
        assert table.info.column_names == ["Größe"]
        assert table.sample() == [["groß"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "b": {"c": 2}}', "holds no array of objects"),
        ("42", "is a number, not an array of objects"),
        ('"text"', "is a string, not an array of objects"),
        ("[1, 2, 3]", "item 1 of the JSON array is a number"),
        ('[{"a": 1}, [2]]', "item 2 of the JSON array is an array"),
        ("[]", "empty: no data rows"),
        ('[{"a": 1}, {"a": 2', "is not valid JSON"),
        ('[{"a": 1}] trailing', "is not valid JSON"),
    ],
)
def test_json_that_is_not_a_table_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = write_text(tmp_path / "bad.json", text)
    with pytest.raises(UserInputError) as err, open_table(path) as table:
        list(table.iter_rows())
    assert message in err.value.message
    assert err.value.file == "bad.json"
