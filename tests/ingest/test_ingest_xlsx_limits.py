"""Workbooks that would take more memory than an import may use are refused before any reader runs.

The checks look at the ZIP parts themselves (sizes, string and row counts found by a byte scan),
so they hold for whichever reader parses the workbook afterwards. The README promises that an
import stays under 1 GB of memory; the bombs below are real files, measured in a real process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.bootstrap import Core
from core.errors import UserInputError
from core.ingest import open_table, safety
from core.tenancy import EngagementRef

from .builders import (
    SHEET_NS,
    replace_members,
    set_declared_size,
    shared_string_workbook,
    shared_strings_bomb,
    write_xlsx,
)

ROOT = Path(__file__).resolve().parents[2]
RSS_CEILING = 1024**3
"""The README's promise: an import process stays under 1 GB of memory for any file."""
REFUSAL_RSS = 400 * 1024**2
"""A refusal before reading costs no more than starting the CLI does."""


def _refused(path: Path) -> UserInputError:
    with pytest.raises(UserInputError) as err, open_table(path) as table:
        list(table.iter_rows())
    assert err.value.file == path.name and err.value.hint
    return err.value


def _import_cli(
    path: Path, engagement: EngagementRef, database_url: str, tmp_path: Path
) -> tuple[int, str, int]:
    """Run `migration-discovery import` in a child process: (exit code, stderr, peak RSS in bytes).

    A child's peak RSS counts the pages of the process it was forked from until it execs, so a child
    forked straight from pytest late in a full run "peaks" at pytest's size. A small launcher process
    forks the import instead and reports wait4()'s peak for exactly that grandchild. The address
    space is capped well above the ceiling, so a regression fails with a MemoryError instead of
    taking the machine's memory.
    """
    command = [
        sys.executable,
        "-m",
        "desktop_app",
        "--database-url",
        database_url,
        "import",
        str(path),
        "--client",
        engagement.client_name,
        "--engagement",
        engagement.engagement_name,
    ]
    env = {**os.environ, "MD_USER": "Test Consultant <tester@example.com>"}
    env.pop("MD_DATABASE_URL", None)
    peak_path = tmp_path / "peak.txt"
    launcher = (
        "import os, resource, subprocess, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({3 * RSS_CEILING}, {3 * RSS_CEILING}))\n"
        "proc = subprocess.Popen(sys.argv[2:])\n"
        "_pid, status, usage = os.wait4(proc.pid, 0)\n"
        "open(sys.argv[1], 'w').write(str(usage.ru_maxrss * 1024))\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w") as err, open(os.devnull, "w") as out:
        proc = subprocess.run(
            [sys.executable, "-c", launcher, str(peak_path), *command],
            cwd=ROOT, env=env, stdout=out, stderr=err, check=False,
        )  # fmt: skip
    return proc.returncode, err_path.read_text(), int(peak_path.read_text())


@pytest.mark.parametrize("megabytes", [200, 600])
def test_shared_strings_bomb_is_refused_before_reading_in_bounded_memory(
    core: Core, engagement: EngagementRef, tmp_path: Path, megabytes: int
) -> None:
    path = shared_strings_bomb(tmp_path / f"bomb_{megabytes}.xlsx", megabytes * 1024**2)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/sharedStrings.xml")
    assert info.file_size >= megabytes * 1024**2 * 0.99
    assert 50 < info.file_size / info.compress_size < safety.MAX_COMPRESSION_RATIO  # passes the ratio check

    code, message, peak = _import_cli(path, engagement, core.db.app_url, tmp_path)
    assert code == 2, message[-2000:]
    assert message.startswith(f"error: file {path.name}") and "Traceback" not in message
    assert "xl/sharedStrings.xml" in message and ("too large" in message or "suspicious" in message)
    assert "CSV" in message  # what to do
    assert peak < REFUSAL_RSS, f"peak RSS {peak / 1024**2:.0f} MB"


def _declare(path: Path, member: str, size: int) -> Path:
    """Forge `member`'s size in the ZIP directory, with incompressible data under the ratio check,
    as a bomb that only a size limit (not the 200:1 ratio) can catch would look."""
    replace_members(path, {member: os.urandom(size // (safety.MAX_COMPRESSION_RATIO // 2))})
    return set_declared_size(path, member, size)


def _strings(n: int, width: int = 8) -> list[str]:
    return [f"s{i:0{width}d}" for i in range(n)]


def test_shared_strings_over_the_absolute_limit_are_refused_from_the_directory(tmp_path: Path) -> None:
    path = shared_string_workbook(tmp_path / "big.xlsx", _strings(3), [[0, 1, 2], [2, 1, 0]])
    _declare(path, "xl/sharedStrings.xml", safety.MAX_SHARED_STRINGS_BYTES + 1)
    err = _refused(path)
    assert "too large" in err.message and "xl/sharedStrings.xml" in err.message
    assert err.details["part"] == "xl/sharedStrings.xml" and "CSV" in (err.hint or "")


def test_shared_strings_far_larger_than_the_sheets_using_them_are_suspicious(tmp_path: Path) -> None:
    path = shared_string_workbook(tmp_path / "odd.xlsx", _strings(3), [[0, 1, 2], [2, 1, 0]])
    _declare(path, "xl/sharedStrings.xml", safety.SHARED_STRINGS_FREE_BYTES + 1024**2)
    err = _refused(path)
    assert "suspicious" in err.message and err.details["part"] == "xl/sharedStrings.xml"


def test_more_shared_strings_than_cells_that_could_use_them_are_suspicious(tmp_path: Path) -> None:
    path = shared_string_workbook(tmp_path / "unused.xlsx", _strings(40_000), [[0, 1], [2, 3]])
    err = _refused(path)
    assert "suspicious" in err.message and "40,000 strings" in err.message and "4 cells" in err.message


def test_string_count_limit_counts_namespace_prefixed_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safety, "MAX_SHARED_STRING_ITEMS", 100)
    items = "".join(f"<x:si><x:t>s{i}</x:t></x:si>" for i in range(150))
    xml = f'<?xml version="1.0"?><x:sst xmlns:x="{SHEET_NS}">{items}</x:sst>'.encode()
    path = shared_string_workbook(tmp_path / "many.xlsx", xml, [list(range(150)), list(range(149, -1, -1))])
    err = _refused(path)
    assert "too large" in err.message and "150 strings" in err.message and "100" in err.message


def test_one_huge_shared_string_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_SHARED_STRING_ITEM_BYTES", 4096)
    path = shared_string_workbook(tmp_path / "long.xlsx", ["a", "b" * 10_000, "c"], [[0, 2], [1, 2]])
    err = _refused(path)
    assert "one shared string" in err.message and err.details["part"] == "xl/sharedStrings.xml"


def test_one_huge_row_is_refused_naming_the_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_ROW_XML_BYTES", 10_000)
    path = shared_string_workbook(tmp_path / "row.xlsx", _strings(2), [[0, 1], [0] * 1000, [1, 0]])
    err = _refused(path)
    assert err.sheet == "Servers" and "one row" in err.message
    assert err.details["part"] == "xl/worksheets/sheet1.xml"


def test_too_many_elements_outside_the_cells_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safety, "MAX_SHEET_EXTRA_ELEMENTS", 100)
    merged = b"<mergeCells>" + b'<mergeCell ref="A1:B1"/>' * 300 + b"</mergeCells>"
    path = shared_string_workbook(tmp_path / "merged.xlsx", _strings(2), [[0, 1], [1, 0]], sheet_extra=merged)
    err = _refused(path)
    assert err.sheet == "Servers" and "outside its cells" in err.message


def test_styles_with_too_many_elements_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_STRUCTURE_ELEMENTS", 1000)
    styles = (
        f'<?xml version="1.0"?><styleSheet xmlns="{SHEET_NS}"><cellXfs>'.encode()
        + b"<xf/>" * 2000
        + b"</cellXfs></styleSheet>"
    )
    path = shared_string_workbook(tmp_path / "styles.xlsx", _strings(2), [[0, 1], [1, 0]], styles=styles)
    err = _refused(path)
    assert "too large" in err.message and "XML elements" in err.message


def test_oversized_styles_part_is_refused_from_the_directory(tmp_path: Path) -> None:
    path = shared_string_workbook(tmp_path / "styles.xlsx", _strings(2), [[0, 1], [1, 0]])
    _declare(path, "xl/styles.xml", safety.MAX_STRUCTURE_PART_BYTES + 1)
    err = _refused(path)
    assert "too large" in err.message and err.details["part"] == "xl/styles.xml"


def test_oversized_sheet_is_refused_from_the_directory(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "sheet.xlsx", {"Servers": [["Name"], ["a"]]})
    _declare(path, "xl/worksheets/sheet1.xml", safety.MAX_WORKSHEET_BYTES + 1)
    err = _refused(path)
    assert err.sheet == "Servers" and "too large" in err.message


def test_a_row_repeating_a_long_shared_string_is_refused_at_that_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells may all point at one string: the text a row expands to is bounded, not just its XML."""
    monkeypatch.setattr(safety, "MAX_ROW_CHARS", 50_000)
    path = shared_string_workbook(
        tmp_path / "amplified.xlsx", ["Name", "x" * 1000], [[0, 0], [1, 1], [1] * 100]
    )
    err = _refused(path)
    assert err.row == 3 and err.sheet == "Servers" and "100,000 characters" in err.message


def test_workbook_with_shared_strings_within_the_limits_is_read(tmp_path: Path) -> None:
    strings = ["Name", "OS", *_strings(2000)]
    rows = [[0, 1], *([2 + 2 * i, 3 + 2 * i] for i in range(1000))]
    path = shared_string_workbook(tmp_path / "fine.xlsx", strings, rows)
    with open_table(path) as table:
        data = list(table.iter_rows())
    assert table.info.column_names == ["Name", "OS"] and len(data) == 1000
    assert data[-1] == (1001, [strings[2 + 2 * 999], strings[3 + 2 * 999]])
