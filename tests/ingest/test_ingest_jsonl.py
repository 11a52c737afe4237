"""JSON Lines: one object per line read like a JSON array, line numbers as record indexes, bad lines."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from core.errors import UserInputError
from core.ingest import detect_format, jsonl_reader, open_table, scan_bad_rows

from .builders import write_text

RECORDS = [
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
        "big": 12345678901234567890,
    },
]


def test_lines_read_like_the_same_objects_in_a_json_array(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(r) for r in RECORDS) + "\n"
    path = write_text(tmp_path / "servers.jsonl", lines)
    array = write_text(tmp_path / "servers.json", json.dumps(RECORDS, indent=2))
    assert detect_format(path) == "jsonl"
    with open_table(path) as table, open_table(array) as same:
        info = table.info
        assert info.format == "jsonl" and info.header_row is None and info.sheet is None
        assert info.mime_type == "application/x-ndjson" and info.total_rows_estimate == 4
        assert info.column_names == same.info.column_names  # union of keys, first seen first
        rows = list(table.iter_rows())
        assert [cells for _, cells in rows] == [cells for _, cells in same.iter_rows()]
        assert table.empty_rows_dropped == 1  # the {} line, like the {} item
    assert [idx for idx, _ in rows] == [1, 2, 4]
    assert rows[2][1][4:] == [
        '["a","b"]',
        '{"family":"Linux","version":"9"}',
        "true",
        "",
        "007",
        "1e-7",
        "12345678901234567890",
    ]


def test_record_index_is_the_line_number_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = write_text(tmp_path / "api.ndjson", '\n{"host": "a"}\n\n   \n{"host": "b", "n": 1.50}\n\n')
    assert detect_format(path) == "jsonl"
    with open_table(path) as table:
        assert list(table.iter_rows()) == [(2, ["a", ""]), (5, ["b", "1.50"])]
        assert table.empty_rows_dropped == 0  # blank lines are not rows at all


def test_bom_and_crlf(tmp_path: Path) -> None:
    text = '{"Name": "srv01", "City": "Düsseldorf"}\n\n{"Name": "srv02", "City": "Zürich"}\n'
    path = write_text(tmp_path / "crlf.jsonl", text, encoding="utf-8-sig", newline="\r\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf{") and b"\r\n" in path.read_bytes()
    with open_table(path) as table:
        assert table.info.has_bom and table.info.column_names == ["Name", "City"]
        assert list(table.iter_rows()) == [(1, ["srv01", "Düsseldorf"]), (3, ["srv02", "Zürich"])]


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = write_text(tmp_path / "wide.jsonl", '{"Name": "Ωmega"}\r\n{"Name": "b"}\r\n', encoding="utf-16")
    with open_table(path) as table:
        assert table.info.encoding.startswith("utf-16")
        assert list(table.iter_rows()) == [(1, ["Ωmega"]), (2, ["b"])]


def test_content_sniffing_finds_json_lines_whatever_the_name(tmp_path: Path) -> None:
    lines = '{"host": "a", "ip": "10.0.0.1"}\n{"host": "b", "ip": "10.0.0.2"}\n'
    for name in ("export.txt", "export.json", "export.csv", "export"):
        path = write_text(tmp_path / name, lines)
        assert detect_format(path) == "jsonl", name
        with open_table(path) as table:
            assert table.sample() == [["a", "10.0.0.1"], ["b", "10.0.0.2"]]
    pretty = write_text(tmp_path / "pretty.json", json.dumps({"records": [{"a": 1}]}, indent=2))
    assert detect_format(pretty) == "json"  # a pretty-printed object is one document
    array = write_text(tmp_path / "array.jsonl", '[{"a": 1},\n {"a": 2}]\n')
    assert detect_format(array) == "json"  # named .jsonl but one array: read as JSON
    one = write_text(tmp_path / "one.json", '{"records": [{"a": 1}, {"a": 2}]}\n')
    assert detect_format(one) == "json"


def test_a_bad_line_names_file_line_and_what_is_wrong(tmp_path: Path) -> None:
    text = '{"host": "a"}\n{"host": "b"}\n{"host": "c", oops}\n[1, 2]\n"text"\n{"host": NaN}\n{"host": "d"}\n'
    path = write_text(tmp_path / "bad.jsonl", text)
    with pytest.raises(UserInputError) as caught:
        open_table(path)
    error = caught.value
    assert (error.file, error.row) == ("bad.jsonl", 3)
    assert "line 3 is not valid JSON" in error.message and "column 15" in error.message
    assert "skip bad rows" in (error.hint or "")
    with open_table(path, skip_bad_rows=True) as table:
        assert list(table.iter_rows()) == [(1, ["a"]), (2, ["b"]), (7, ["d"])]
        reasons = {b.row: b.reason for b in table.bad_rows}
    assert list(reasons) == [3, 4, 5, 6]
    assert reasons[4] == "line 4 is an array, not an object"
    assert reasons[5] == "line 5 is a string, not an object"
    assert "NaN is not a JSON value" in reasons[6]
    assert [b.row for b in scan_bad_rows(path)] == [3, 4, 5, 6]


def test_files_without_usable_lines(tmp_path: Path) -> None:
    blank = write_text(tmp_path / "blank.jsonl", "\n  \n\n")
    with pytest.raises(UserInputError, match="only blank lines"):
        open_table(blank)
    junk = write_text(tmp_path / "junk.jsonl", "1\n2\n")
    with pytest.raises(UserInputError, match="line 1 is a number, not an object"):
        open_table(junk)
    with pytest.raises(UserInputError, match="none of its 2 non-blank lines is a JSON object"):
        open_table(junk, skip_bad_rows=True)
    keyless = write_text(tmp_path / "keyless.jsonl", "{}\n{}\n")
    with pytest.raises(UserInputError, match="no keys"):
        open_table(keyless)
    with pytest.raises(UserInputError, match="has no sheet 'x'"):
        open_table(write_text(tmp_path / "one.jsonl", '{"a": 1}\n'), sheet="x")


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"city": "Berlin"}\n{"city": "D\xfcsseldorf"}\n')
    with pytest.raises(UserInputError) as caught:
        open_table(path)
    assert caught.value.row == 2 and "byte FC" in caught.value.message
    assert "utf-8-replace" in (caught.value.hint or "")
    with open_table(path, encoding="cp1252") as table:
        assert table.sample() == [["Berlin"], ["Düsseldorf"]]
    with open_table(path, encoding="utf-8-replace") as table:
        assert table.sample()[1] == ["D\ufffdsseldorf"] and table.info.warnings


def test_an_overlong_line_is_refused_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl_reader, "MAX_LINE_BYTES", 100_000)
    monkeypatch.setattr(jsonl_reader, "_CHUNK", 4096)
    path = write_text(tmp_path / "long.jsonl", '{"a": 1}\n{"a": "' + "x" * 200_000 + '"}\n')
    with pytest.raises(UserInputError, match="line 2 is longer than") as caught:
        open_table(path)
    assert caught.value.row == 2


def test_iterating_a_large_file_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(100_000):
            record: dict[str, object] = {
                "name": f"srv{i:06d}",
                "ip": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                "cpu": i % 16,
            }
            if i % 1000 == 0:
                record["os"] = {"family": "Linux", "version": str(i % 9)}
            fh.write(json.dumps(record) + "\n")
    assert path.stat().st_size > 5 * 1024**2
    tracemalloc.start()
    try:
        count, last = 0, 0
        with open_table(path) as table:
            assert table.info.column_names == ["name", "ip", "cpu", "os"]
            for index, cells in table.iter_rows():
                count, last = count + 1, index
                assert len(cells) == 4
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, last) == (100_000, 100_000)
    assert peak < 20 * 1024**2, f"peak {peak / 1024**2:.1f} MiB"


def test_two_objects_on_one_line_and_indented_lines(tmp_path: Path) -> None:
    path = write_text(tmp_path / "two.jsonl", '  {"a": 1}\t\n{"a": 2} {"a": 3}\n  {"a": 4, x}\n')
    with open_table(path, skip_bad_rows=True) as table:
        assert list(table.iter_rows()) == [(1, ["1"])]  # surrounding whitespace is no error
        reasons = [b.reason for b in table.bad_rows]
    assert reasons == [
        "line 2 is not valid JSON (Extra data after the object at column 9)",
        "line 3 is not valid JSON (Expecting property name enclosed in double quotes at column 12)",
    ]
