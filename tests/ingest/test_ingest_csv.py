"""Delimited text: encodings, dialects, header detection, record indexes, COPY offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import UserInputError
from core.ingest import detect_format, open_table

from .builders import write_text

SIMPLE = "Name,IP Address,CPU\nsrv01,10.0.0.1,4\nsrv02,10.0.0.2,8\n"


@pytest.mark.parametrize(
    ("encoding", "expected", "bom"),
    [
        ("utf-8", "utf-8", False),
        ("utf-8-sig", "utf-8-sig", True),
        ("utf-16", "utf-16", True),  # Python writes a LE BOM on little-endian machines
    ],
)
def test_unicode_encodings(tmp_path: Path, read_all, encoding: str, expected: str, bom: bool) -> None:
    text = "Name,Standort,CPU\nsrv01,Zürich,4\nsrv02,Köln 東京,8\n"
    path = write_text(tmp_path / "servers.csv", text, encoding, newline="\r\n")
    with open_table(path) as table:
        assert table.info.encoding == expected
        assert table.info.has_bom is bom
        assert table.info.column_names == ["Name", "Standort", "CPU"]
        assert table.info.columns[0].original == "Name"  # BOM not glued to the first header
        rows = list(table.iter_rows())
    assert rows == [(2, ["srv01", "Zürich", "4"]), (3, ["srv02", "Köln 東京", "8"])]


def test_utf16_le_bom_is_detected_and_not_copyable(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xff\xfe" + "Host\tRAM\nsrv01\t16\n".encode("utf-16-le"))
    with open_table(path) as table:
        assert table.info.encoding == "utf-16"
        assert table.info.delimiter == "\t"
        assert table.info.bom_length == 2
        assert table.info.pg_encoding is None  # PostgreSQL cannot COPY UTF-16
        assert not table.info.copy_fast_path_possible
        assert list(table.iter_rows()) == [(2, ["srv01", "16"])]


def test_cp1252_semicolon_with_umlauts(tmp_path: Path, read_all) -> None:
    text = (
        "Name;Größe;Betriebssystem;Rechenzentrum\n"
        "srv01;12,5 GB;Windows Server 2019;Düsseldorf Süd\n"
        "srv02;8,0 GB;SUSE Linux;München Übersee\n"
    )
    path = write_text(tmp_path / "inventar.csv", text, "cp1252", newline="\r\n")
    with open_table(path) as table:
        info = table.info
        assert info.encoding == "cp1252"
        assert info.pg_encoding == "WIN1252"
        assert info.delimiter == ";"
        assert info.column_names == ["Name", "Größe", "Betriebssystem", "Rechenzentrum"]
        rows = list(table.iter_rows())
    assert rows[0] == (2, ["srv01", "12,5 GB", "Windows Server 2019", "Düsseldorf Süd"])
    assert rows[1][1][3] == "München Übersee"


def test_cp1252_umlaut_late_in_an_ascii_file_is_still_detected(tmp_path: Path) -> None:
    lines = ["Name;Ort"] + [f"srv{i:05d};Berlin" for i in range(80_000)] + ["srv99999;Köln"]
    path = write_text(tmp_path / "late.csv", "\n".join(lines) + "\n", "cp1252")
    assert path.stat().st_size > 1024**2  # beyond the detection sample
    with open_table(path) as table:
        assert table.info.encoding == "cp1252"
        rows = list(table.iter_rows())
    assert rows[-1] == (80_002, ["srv99999", "Köln"])


@pytest.mark.parametrize(
    ("delimiter", "name"), [("\t", "tsv"), ("|", "pipe"), (";", "semicolon"), (",", "comma")]
)
def test_delimiters(tmp_path: Path, read_all, delimiter: str, name: str) -> None:
    rows = [["Name", "OS", "Notes"], ["srv01", "Windows", "a, b; c"], ["srv02", "Linux", "x"]]
    body = "".join(
        delimiter.join(f'"{c}"' if any(d in c for d in ",;\t|") else c for c in row) + "\n" for row in rows
    )
    path = write_text(tmp_path / f"{name}.{'tsv' if delimiter == chr(9) else 'txt'}", body)
    with open_table(path) as table:
        assert table.info.delimiter == delimiter
        assert table.info.mime_type == ("text/tab-separated-values" if delimiter == "\t" else "text/csv")
        data = list(table.iter_rows())
    assert data == [(2, ["srv01", "Windows", "a, b; c"]), (3, ["srv02", "Linux", "x"])]


def test_semicolon_file_with_decimal_commas_is_not_split_on_commas(tmp_path: Path, read_all) -> None:
    text = "Host;CPU GHz;RAM GB\nsrv01;2,4;16,5\nsrv02;3,1;32,0\nsrv03;2,0;8,25\n"
    columns, rows = read_all(write_text(tmp_path / "de.csv", text))
    assert columns == ["Host", "CPU GHz", "RAM GB"]
    assert rows[2] == (4, ["srv03", "2,0", "8,25"])


def test_explicit_delimiter_and_encoding_override_detection(tmp_path: Path, read_all) -> None:
    path = write_text(tmp_path / "odd.csv", "a;b,c\n1;2,3\n", "cp1252")
    columns, rows = read_all(path, delimiter=",", encoding="latin-1")
    assert columns == ["a;b", "c"]
    assert rows == [(2, ["1;2", "3"])]
    columns, _ = read_all(path, delimiter="tab")
    assert columns == ["a;b,c"]


def test_excel_sep_line_sets_the_delimiter(tmp_path: Path, read_all) -> None:
    columns, rows = read_all(write_text(tmp_path / "sep.csv", "sep=|\nName|OS\nsrv01|Linux\n"))
    assert columns == ["Name", "OS"]
    assert rows == [(3, ["srv01", "Linux"])]


def test_title_rows_above_header_are_skipped(tmp_path: Path) -> None:
    text = (
        "Server inventory — ACME — exported 2026-01-03,,,\n"
        ",,,\n"
        "Hostname,IP,vCPU,Memory MB\n"
        "srv01,10.0.0.1,4,8192\n"
        "srv02,10.0.0.2,2,4096\n"
    )
    with open_table(write_text(tmp_path / "titled.csv", text)) as table:
        assert table.info.header_row == 3
        assert table.info.column_names == ["Hostname", "IP", "vCPU", "Memory MB"]
        assert [idx for idx, _ in table.iter_rows()] == [4, 5]
        assert any("title" in note for note in table.info.notes)


def test_metadata_block_above_header(tmp_path: Path) -> None:
    text = (
        "Report:,CMDB export\n"
        "Generated:,2026-01-03 10:00\n"
        "\n"
        "Name,Class,OS,Environment,Owner,Location\n"
        + "".join(f"srv{i},Server,Linux,prod,team{i},FRA\n" for i in range(10))
    )
    with open_table(write_text(tmp_path / "meta.csv", text)) as table:
        assert table.info.header_row == 4
        assert table.sample(1) == [["srv0", "Server", "Linux", "prod", "team0", "FRA"]]


def test_header_row_override(tmp_path: Path) -> None:
    text = "Name,OS\nsrv01,Linux\nsrv02,Windows\n"
    with open_table(write_text(tmp_path / "h.csv", text), header_row=2) as table:
        assert table.info.header_row == 2
        assert table.info.column_names == ["srv01", "Linux"]
        assert list(table.iter_rows()) == [(3, ["srv02", "Windows"])]
    with pytest.raises(UserInputError) as err:
        open_table(tmp_path / "h.csv", header_row=9)
    assert err.value.row == 9
    assert "row 9 cannot be the header: the file ends at row 3" in err.value.message


def test_duplicate_and_empty_headers_made_unique(tmp_path: Path) -> None:
    text = "Name,name,,Name_2, IP ,Name\n1,2,3,4,5,6\n"
    with open_table(write_text(tmp_path / "dup.csv", text)) as table:
        cols = table.info.columns
    assert [c.name for c in cols] == ["Name", "name_3", "column_3", "Name_2", "IP", "Name_4"]
    assert [c.original for c in cols] == ["Name", "name", "", "Name_2", " IP ", "Name"]
    assert [c.position for c in cols] == list(range(6))
    assert ("", "column_3") in table.info.renamed_headers
    assert (" IP ", "IP") in table.info.renamed_headers
    assert ("Name_2", "Name_2") not in table.info.renamed_headers


def test_empty_rows_dropped_and_counted(tmp_path: Path) -> None:
    text = "Name,OS\n\nsrv01,Linux\n,\n  ,  \nsrv02,Windows\n\n"
    with open_table(write_text(tmp_path / "gaps.csv", text)) as table:
        rows = list(table.iter_rows())
        assert table.empty_rows_dropped == 4
    assert rows == [(3, ["srv01", "Linux"]), (6, ["srv02", "Windows"])]


def test_record_index_counts_lines_of_multiline_records(tmp_path: Path) -> None:
    text = 'Title only\n\nName,Notes\nsrv01,"line one\nline two\nline three"\nsrv02,plain\r\nsrv03,"x"\n'
    with open_table(write_text(tmp_path / "multi.csv", text)) as table:
        assert table.info.header_row == 3
        rows = list(table.iter_rows())
    assert rows == [
        (4, ["srv01", "line one\nline two\nline three"]),
        (7, ["srv02", "plain"]),
        (8, ["srv03", "x"]),
    ]


def test_cells_are_text_exactly_as_in_the_file(tmp_path: Path) -> None:
    text = 'Id,Serial,Date,Amount,Quoted\n007,1e5,03.01.2026,"1.000,50","say ""hi"""\n'
    with open_table(write_text(tmp_path / "raw.csv", text)) as table:
        assert table.sample() == [["007", "1e5", "03.01.2026", "1.000,50", 'say "hi"']]


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n")],
)
def test_data_start_offset_points_at_first_data_row(tmp_path: Path, encoding: str, newline: str) -> None:
    text = "Inventar für ACME\n\nName;Größe;Ort\nsrv01;12;Köln\nsrv02;8;Bonn\n"
    path = write_text(tmp_path / "copy.csv", text, encoding, newline)
    with open_table(path) as table:
        info = table.info
    assert info.copy_fast_path_possible
    assert info.has_bom is (encoding == "utf-8-sig")
    rest = path.read_bytes()[info.data_start_offset :].decode(encoding.replace("-sig", ""))
    assert rest.replace("\r\n", "\n") == "srv01;12;Köln\nsrv02;8;Bonn\n"


def test_detect_format_for_text_kinds(tmp_path: Path) -> None:
    assert detect_format(write_text(tmp_path / "a.csv", SIMPLE)) == "csv"
    assert detect_format(write_text(tmp_path / "a.txt", "[Name],[IP]\nx,y\n")) == "csv"
    assert detect_format(write_text(tmp_path / "data.csv", '[{"a": 1}]')) == "json"
    assert detect_format(write_text(tmp_path / "report.xls", "Name\tIP\nsrv\t1\n")) == "csv"


def test_sheet_argument_is_refused_for_plain_csv(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="no sheet 'vInfo'"):
        open_table(write_text(tmp_path / "a.csv", SIMPLE), sheet="vInfo")


def test_sample_does_not_consume_or_count(tmp_path: Path) -> None:
    text = "Name,OS\n" + "".join(f"srv{i},Linux\n\n" for i in range(10))
    with open_table(write_text(tmp_path / "s.csv", text)) as table:
        assert len(table.sample(3)) == 3
        assert table.empty_rows_dropped == 0
        assert len(list(table.iter_rows())) == 10
        assert table.empty_rows_dropped == 10
        assert len(list(table.iter_rows())) == 10  # a second pass starts from the top again
        assert table.empty_rows_dropped == 10


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    path = write_text(tmp_path / "nobom.csv", "Name;Größe\nsrv01;12\n", "utf-16-le")
    with open_table(path) as table:
        assert table.info.encoding == "utf-16-le"
        assert table.info.column_names == ["Name", "Größe"]
        assert list(table.iter_rows()) == [(2, ["srv01", "12"])]


@pytest.mark.parametrize(
    ("text", "names", "rows"),
    [
        ("Hostname,,IP\nweb01,x,10.0.0.1\ndb01,y,10.0.0.2\n", ["Hostname", "column_2", "IP"], 2),
        ("Name,Name,,Unused,IP\na,b,c,,1.1.1.1\n", ["Name", "Name_2", "column_3", "Unused", "IP"], 1),
    ],
)
def test_a_header_with_blank_or_repeated_cells_is_still_the_header(
    tmp_path: Path, text: str, names: list[str], rows: int
) -> None:
    path = write_text(tmp_path / "blank-header.csv", text)
    with open_table(path) as table:
        assert table.info.header_row == 1
        assert [c.name for c in table.info.columns] == names
        assert len(list(table.iter_rows())) == rows
