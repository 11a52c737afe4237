"""Every supported shape through the whole service: what is stored is exactly what the file holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import Core
from core.db.models import DataImport, DiscoveryFlow, MasterFlow
from core.imports import ImportResult, column_samples, read_records
from core.ingest import open_table
from core.uow import Tenant

from . import builders

Stored = Callable[[Any], list[tuple[int, list[str]]]]


def reader_rows(path: Path, **kwargs: Any) -> tuple[list[str], list[tuple[int, list[str]]]]:
    with open_table(path, **kwargs) as table:
        return table.info.column_names, list(table.iter_rows())


def check_both_paths(
    do_import: Callable[..., ImportResult], stored: Stored, path: Path, fast: str
) -> ImportResult:
    """Import twice (server-side CSV parsing and the reader) and compare both with the reader."""
    names, rows = reader_rows(path)
    results = [do_import(path), do_import(path, fast_path=False, allow_duplicate=True)]
    assert [r.write_path for r in results] == [fast, "reader-copy"]
    for result in results:
        assert result.columns == names
        assert stored(result.import_id) == rows
    assert results[0].empty_rows_dropped == results[1].empty_rows_dropped
    return results[0]


def test_plain_csv_creates_import_flow_and_rows(
    core: Core, tenant: Tenant, do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    rows = builders.cmdb_rows(500)
    path = builders.write_csv(tmp_path / "servers.csv", [builders.CMDB_HEADER, *rows])
    result = check_both_paths(do_import, stored, path, "csv-copy")
    assert result.rows == 500 and result.status == "completed" and result.errors == []
    assert stored(result.import_id) == builders.expected_records(rows, first_line=2)
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, result.import_id)
        flow = uow.session.get(DiscoveryFlow, result.flow_id)
        master = uow.session.get(MasterFlow, result.master_flow_id)
        assert imp is not None and flow is not None and master is not None
        assert imp.status == "completed" and imp.processed_records == imp.total_records == 500
        assert imp.columns == builders.CMDB_HEADER and imp.master_flow_id == master.id
        assert imp.file_sha256 and imp.file_size == path.stat().st_size and imp.completed_at
        assert flow.data_import_id == imp.id and flow.master_flow_id == master.id
        assert flow.data_import_completed and flow.current_phase == "field_mapping"
        meta = imp.import_metadata
        assert meta["encoding"] == "utf-8" and meta["delimiter"] == "," and meta["header_row"] == 1
        assert meta["original_headers"] == builders.CMDB_HEADER and meta["empty_rows_dropped"] == 0
        page = read_records(uow, imp.id, offset=10, limit=2)
        assert page == [dict(zip(builders.CMDB_HEADER, r, strict=True)) for r in rows[10:12]]
        samples = column_samples(uow, imp.id, n=3)
        assert samples["Hostname"] == ["srv-00000", "srv-00001", "srv-00002"]
        assert all(v for v in samples["Notes"])  # empty values are not samples


def test_quoted_values_with_line_breaks_keep_line_numbers(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    rows = builders.tricky_rows(400, 6)
    path = builders.write_csv(tmp_path / "tricky.csv", [["id", "a", "b", "c", "d", "e"], *rows])
    result = check_both_paths(do_import, stored, path, "csv-copy")
    assert stored(result.import_id) == builders.expected_records(rows, first_line=2)


def test_semicolon_cp1252_with_umlauts_title_and_blank_rows(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    text = "Inventar Export;;\n\nName;Straße;Betrag\n\nMüller;Hauptstraße 1;€ 5,50\n;;\nÖzil;Köln;3\n\n\n"
    path = builders.write_text(tmp_path / "de.csv", text, encoding="cp1252", newline="\r\n")
    result = check_both_paths(do_import, stored, path, "csv-copy")
    assert stored(result.import_id) == [
        (5, ["Müller", "Hauptstraße 1", "€ 5,50"]),
        (7, ["Özil", "Köln", "3"]),
    ]
    assert result.empty_rows_dropped == 4 and result.columns == ["Name", "Straße", "Betrag"]


def test_blank_lines_between_records_fall_back_to_the_reader(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    path = builders.write_text(tmp_path / "gaps.csv", "Name,IP\na,1\n\n   \nb,2\n")
    result = check_both_paths(do_import, stored, path, "reader-copy")
    assert stored(result.import_id) == [(2, ["a", "1"]), (5, ["b", "2"])] and result.empty_rows_dropped == 2


def test_rows_of_any_whitespace_are_blank_on_both_paths(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    """The server decides most rows by their cells' first character (printable ASCII is never
    whitespace) and only the rest by trimming: both agree with Python's definition."""
    lines = ["\u3000,\u00a0", "\t, ", "\u2003y,", " ,\u00e9", "\x7f,", ",\u205f\u3000", "x, "]
    path = builders.write_text(tmp_path / "spaces.csv", "Name,Note\n" + "\n".join(lines) + "\n")
    result = check_both_paths(do_import, stored, path, "csv-copy")
    assert stored(result.import_id) == [
        (4, ["\u2003y", ""]),
        (5, [" ", "\u00e9"]),
        (6, ["\x7f", ""]),
        (8, ["x", " "]),
    ]
    assert result.empty_rows_dropped == 3


def test_utf16_bom_tab_separated_excel_unicode_text(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    rows = [["srv-1", "Zürich", "日本"], ["srv-2", "São Paulo", "🚀 rocket"]]
    text = "Host\tCity\tNote\n" + "".join("\t".join(r) + "\n" for r in rows)
    path = builders.write_text(tmp_path / "unicode.txt", text, encoding="utf-16", newline="\r\n")
    result = check_both_paths(do_import, stored, path, "csv-copy")
    assert stored(result.import_id) == [(2, rows[0]), (3, rows[1])]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("stray_quote", 'Device,Size\nmonitor,24" wide\nsay "hi" there,x\n'),
        ("end_marker", "Device\na\n\\.\nc\n"),
        ("end_marker_prefix", "Device,Note\na,b\n\\.,x\nc,d\n"),
        ("ragged_but_trimmable", "Device,Note\na,b,\nc,d\n"),
        ("quote_after_closing", 'Device,Note\n"ab"cd,x\ne,f\n'),
    ],
)
def test_csv_the_server_would_misread_goes_through_the_reader(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path, name: str, body: str
) -> None:
    path = builders.write_text(tmp_path / f"{name}.csv", body)
    names, rows = reader_rows(path)
    result = do_import(path)
    assert result.write_path == "reader-copy"
    assert result.columns == names and stored(result.import_id) == rows
    if name == "stray_quote":
        assert rows[0][1] == ["monitor", '24" wide'] and rows[1][1] == ['say "hi" there', "x"]
    if name == "end_marker":  # PostgreSQL would have stopped reading at the "\." line
        assert rows == [(2, ["a"]), (3, ["\\."]), (4, ["c"])]


def test_duplicate_and_empty_headers_empty_columns_and_rows(
    core: Core, tenant: Tenant, do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    text = "Hostname,Hostname,,Unused,IP Address\nsrv-1,web,3,,10.0.0.1\n,,,,\nsrv-2,db,4,,\n"
    path = builders.write_text(tmp_path / "dups.csv", text)
    fast, slow = do_import(path), do_import(path, fast_path=False, allow_duplicate=True)
    for result in (fast, slow):
        assert result.columns == ["Hostname", "Hostname_2", "column_3", "IP Address"]
        assert result.empty_columns_dropped == ["Unused"] and result.empty_rows_dropped == 1
        assert stored(result.import_id) == [
            (2, ["srv-1", "web", "3", "10.0.0.1"]),
            (4, ["srv-2", "db", "4", ""]),
        ]
        with core.uow(tenant) as uow:
            meta = uow.session.get(DataImport, result.import_id).import_metadata  # type: ignore[union-attr]
        assert meta["original_headers"] == ["Hostname", "Hostname", "", "Unused", "IP Address"]
        assert {"original": "Hostname", "name": "Hostname_2"} in meta["renamed_headers"]
        assert {"original": "", "name": "column_3"} in meta["renamed_headers"]
        assert meta["dropped_empty_columns"] == [{"name": "Unused", "original": "Unused", "position": 3}]
        assert meta["empty_columns_dropped"] == 1 and meta["empty_rows_dropped"] == 1


def test_xlsx_rvtools_multi_sheet_defaults_to_vinfo(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    path = builders.rvtools_workbook(tmp_path / "RVTools_export_all.xlsx", vms=40)
    names, rows = reader_rows(path)
    result = do_import(path, source_system="RVTools")
    assert result.sheet == "vInfo" and result.write_path == "reader-copy" and result.rows == 40
    assert result.columns == names and stored(result.import_id) == rows
    assert rows[0][0] == 2 and rows[0][1][:3] == ["vm-000", "poweredOff", "2"]
    other = do_import(path, sheet="vHost")
    assert other.sheet == "vHost" and stored(other.import_id)[1] == (3, ["esx-02", "CL-A", "2"])


def test_json_array_of_objects(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    data = {
        "exported": "2024-01-01",
        "servers": [{"name": f"s{i}", "cpu": i % 4 + 1, "os": "RHEL"} for i in range(25)],
    }
    path = tmp_path / "servers.json"
    path.write_text(json.dumps(data))
    names, rows = reader_rows(path)
    result = do_import(path)
    assert result.write_path == "reader-copy" and result.rows == 25
    assert result.columns == names == ["name", "cpu", "os"]
    assert stored(result.import_id) == rows and rows[1] == (2, ["s1", "2", "RHEL"])


def test_zip_of_csv(do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path) -> None:
    inner = tmp_path / "inner.csv"
    builders.write_csv(inner, [builders.CMDB_HEADER, *builders.cmdb_rows(120)])
    path = builders.write_zip(
        tmp_path / "export.zip", {"README.txt": b"see servers.csv", "servers.csv": inner.read_bytes()}
    )
    _, rows = reader_rows(path)
    result = do_import(path)
    assert result.sheet == "servers.csv" and result.write_path == "reader-copy" and result.rows == 120
    assert stored(result.import_id) == rows


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("cr_only", '"Host\nname",IP\r"a\nb",1\rc,2\r'),
        ("excel_sep_line", 'sep=;\n"Host\nname";IP\n\na;1\n"x;\r\ny";2\n\n'),
        ("single_column", "Host\na\n\nb\n \n"),
        ("no_final_newline", 'Host,Note\na,"q ""x"""\nb,'),
        ("bom_utf8", "\ufeffHost,IP\nä,1\n"),
    ],
)
def test_csv_line_endings_headers_and_bom_on_the_fast_path(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path, name: str, body: str
) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(body.encode("utf-8"))
    check_both_paths(do_import, stored, path, "csv-copy")


def test_csv_wider_than_a_postgresql_table(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    header = [f"Attribute {i}" for i in range(1700)]
    rows = [[f"r{r}c{c}" if c != 5 else "" for c in range(1700)] for r in range(30)]
    path = builders.write_csv(tmp_path / "wide.csv", [header, *rows])
    result = do_import(path)
    assert result.write_path == "reader-copy" and result.rows == 30
    assert result.empty_columns_dropped == ["Attribute 5"] and len(result.columns) == 1699
    assert stored(result.import_id)[7] == (9, rows[7][:5] + rows[7][6:])


def test_csv_at_the_column_limit_imports_every_cell(
    do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    """2,000 columns (the limit): staged as one array per row, empty columns dropped by position."""
    from core.ingest.safety import MAX_COLUMNS

    width = MAX_COLUMNS
    empty = {0, 7, 1500, width - 2}
    header = [f"Attribute {i}" for i in range(width)]
    rows = [["" if c in empty else f"r{r}c{c}" for c in range(width)] for r in range(40)]
    rows[3][7] = " "  # whitespace is a value: the column is kept
    path = builders.write_csv(tmp_path / "wide.csv", [header, *rows])
    result = do_import(path)
    assert result.rows == 40 and result.write_path == "reader-copy"
    dropped = sorted(empty - {7})
    assert result.empty_columns_dropped == [header[i] for i in dropped]
    kept = [i for i in range(width) if i not in dropped]
    assert result.columns == [header[i] for i in kept]
    assert stored(result.import_id) == [(r + 2, [rows[r][i] for i in kept]) for r in range(40)]
