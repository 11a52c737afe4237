"""Encoding trouble is named, never silently turned into other characters.

A UTF-8 file with one damaged byte sequence must not be read as Windows-1252 (which turns every
`ï` into `Ã¯`); a code page guessed without evidence is reported with what it produced.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import UserInputError
from core.ingest import encoding as encoding_module
from core.ingest import open_table

BAD_ROW = 3002


def almost_utf8(path: Path, rows: int = 3000) -> Path:
    """`rows` UTF-8 rows with `Lïnux`, then one row whose `ï` is a lone cp1252 byte (row 3,002)."""
    body = "Name,OS,Owner\n" + "".join(f"srv{i:04d},Lïnux,Team A\n" for i in range(rows))
    path.write_bytes(body.encode() + b"srv-bad,L\xefnux,Team B\n" + "srv-last,Lïnux,Team C\n".encode())
    return path


def test_almost_utf8_file_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    path = almost_utf8(tmp_path / "servers.csv")
    with pytest.raises(UserInputError) as info:
        open_table(path)
    err = info.value
    assert (err.file, err.row, err.column) == ("servers.csv", BAD_ROW, "OS")
    assert "not valid UTF-8" in err.message and "EF" in err.message
    assert "utf-8-replace" in (err.hint or "") and "cp1252" in (err.hint or "")
    assert err.details["invalid_sequences"] == 1 and err.details["encoding"] == "utf-8"


def test_utf8_replace_reads_the_file_with_replacement_characters_and_counts_them(tmp_path: Path) -> None:
    path = almost_utf8(tmp_path / "servers.csv")
    with open_table(path, encoding="utf-8-replace") as table:
        rows = dict(table.iter_rows())
        info = table.info
    assert rows[2] == ["srv0000", "Lïnux", "Team A"] and rows[BAD_ROW + 1] == ["srv-last", "Lïnux", "Team C"]
    assert rows[BAD_ROW] == ["srv-bad", "L\ufffdnux", "Team B"]
    assert info.encoding == "utf-8" and info.encoding_errors == "replace"
    assert info.encoding_details["invalid_sequences_replaced"] == 1
    assert info.encoding_details["first_invalid"] == {
        "row": BAD_ROW,
        "column": "OS",
        "offset": path.read_bytes().index(b"\xef"),
    }
    [warning] = info.warnings
    assert "1 invalid UTF-8 byte sequence replaced" in warning and f"row {BAD_ROW}" in warning


def test_utf8_replace_on_a_clean_file_replaces_nothing(tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    path.write_bytes("Name,OS\nsrv1,Lïnux\n".encode())
    with open_table(path, encoding="utf-8-replace") as table:
        assert list(table.iter_rows()) == [(2, ["srv1", "Lïnux"])]
        assert table.info.encoding_details["invalid_sequences_replaced"] == 0 and table.info.warnings == []


def test_a_real_cp1252_file_is_still_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "inventar.csv"
    path.write_bytes(b"Name;Ort\n" + "".join(f"srv{i};Köln Straße\n" for i in range(500)).encode("cp1252"))
    with open_table(path) as table:
        assert table.info.encoding == "cp1252" and table.info.warnings == []
        assert table.sample(1) == [["srv0", "Köln Straße"]]


def test_damaged_utf8_beyond_the_validated_prefix_names_the_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoding_module, "UTF8_VALIDATE_BYTES", 64)
    monkeypatch.setattr(encoding_module, "SAMPLE_BYTES", 64)
    monkeypatch.setattr("core.ingest.csv_reader.SAMPLE_BYTES", 64)
    path = almost_utf8(tmp_path / "late.csv")
    with open_table(path) as table, pytest.raises(UserInputError) as info:
        list(table.iter_rows())
    err = info.value
    assert (err.row, err.column) == (BAD_ROW, "OS") and "utf-8-replace" in (err.hint or "")


def test_a_code_page_guessed_without_evidence_is_reported_with_a_preview(tmp_path: Path) -> None:
    """Bytes undefined in cp1252 (0x81, 0x8D …): some DOS code page "fits", but no word is recognised."""
    path = tmp_path / "odd.csv"
    path.write_bytes(
        b"Name,OS,Note\n" + b"".join(b"srv%d,Linux,\x81\x8d\x8f\x90\x9d\n" % i for i in range(200))
    )
    with open_table(path) as table:
        info = table.info
        first = table.sample(1)[0]
    guess = info.encoding
    assert guess and guess != "utf-8"
    [warning] = info.warnings
    assert "low confidence" in warning and guess in warning
    assert f"row 2, column 'Note': {first[2]!r}" in warning  # the first affected value, as decoded
    details = info.encoding_details
    assert details["guessed"] == guess and details["confident"] is False
    assert details["preview"][0] == {"row": 2, "column": "Note", "value": first[2]}


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Имя,ОС\n" + "".join(f"сервер{i},Линукс система\n" for i in range(200)), "cp1251"),
        ("Όνομα,Σύστημα\n" + "".join(f"διακομιστής{i},Λειτουργικό σύστημα\n" for i in range(200)), "cp1253"),
    ],
)
def test_a_recognised_language_is_not_reported_as_a_guess(tmp_path: Path, text: str, encoding: str) -> None:
    path = tmp_path / "local.csv"
    path.write_bytes(text.encode(encoding))
    with open_table(path) as table:
        assert table.info.encoding == encoding and table.info.warnings == []


def test_utf8_replace_reads_damaged_json_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    path.write_bytes('[{"Name": "srv1", "OS": "Lïnux"}, {"Name": "srv2", "OS": "L'.encode() + b'\xefnux"}]')
    with pytest.raises(UserInputError) as info:
        open_table(path)
    assert "utf-8-replace" in (info.value.hint or "")
    with open_table(path, encoding="utf-8-replace") as table:
        assert list(table.iter_rows()) == [(1, ["srv1", "Lïnux"]), (2, ["srv2", "L\ufffdnux"])]
        assert table.info.encoding_details["invalid_sequences_replaced"] == 1
        assert table.info.warnings == ["1 invalid UTF-8 byte sequence replaced by U+FFFD"]


def test_almost_utf8_with_a_byte_order_mark_is_refused_the_same_way(tmp_path: Path) -> None:
    path = almost_utf8(tmp_path / "bom.csv")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with pytest.raises(UserInputError) as info:
        open_table(path)
    assert (info.value.row, info.value.column) == (BAD_ROW, "OS") and "utf-8-replace" in (
        info.value.hint or ""
    )
    with open_table(path, encoding="utf-8-replace") as table:
        assert table.info.column_names == ["Name", "OS", "Owner"]
        assert table.info.encoding_details["invalid_sequences_replaced"] == 1
