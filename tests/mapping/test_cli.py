"""`map suggest` on the command line: the contract's JSON shape, exit codes, no database needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["source_field", "target_field", "confidence", "match_type", "transformation_rules", "explanation"]


def _entry_points() -> list[list[str]]:
    points = [[sys.executable, "-m", "desktop_app.cli.commands_map"]]
    if "map" in cli_main.build_parser()._subparsers._group_actions[0].choices:  # wired into the main CLI
        points.append([sys.executable, "-m", "desktop_app.cli.main"])
    return points


def _run(args: list[str], entry: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MD_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}  # must not be used
    return subprocess.run([*entry, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "servers.csv"
    path.write_text(
        "Server,Primary IP,Memory MB,Patching Window,IsPhysical\n"
        "app01,10.0.0.1,4096,Sat 22-24,false\n"
        "db02,10.0.0.2,16384,Sun 02-04,true\n"
        "web03,10.0.0.3,8192,,false\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("entry", _entry_points())
def test_json_shape_one_entry_per_column_in_file_order(inventory: Path, entry: list[str]) -> None:
    proc = _run(["map", "suggest", str(inventory), "--json", "--no-semantic"], entry)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert list(out) == ["source", "mappings"]
    assert out["source"] == str(inventory)
    assert [m["source_field"] for m in out["mappings"]] == [
        "Server",
        "Primary IP",
        "Memory MB",
        "Patching Window",
        "IsPhysical",
    ]
    assert all(list(m) == KEYS for m in out["mappings"])
    by = {m["source_field"]: m for m in out["mappings"]}
    assert by["Primary IP"]["target_field"] == "ip_address"
    assert by["Memory MB"]["transformation_rules"]["scale"] == pytest.approx(1 / 1024)
    assert by["Patching Window"]["target_field"] is None and by["Patching Window"]["match_type"] == "none"
    assert by["IsPhysical"]["transformation_rules"]["invert"] is True
    assert all(0 <= m["confidence"] <= 1 for m in out["mappings"])


def test_text_output_without_json(inventory: Path) -> None:
    proc = _run(["map", "suggest", str(inventory), "--no-semantic"], _entry_points()[0])
    assert proc.returncode == 0
    assert "memory_gb" in proc.stdout and "5 columns" in proc.stdout


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "not found"),
        (bytes(range(256)) * 40, "junk.csv"),
        (b"", "empty"),
    ],
)
def test_bad_input_exits_2_with_one_message(tmp_path: Path, content: bytes | None, needle: str) -> None:
    path = tmp_path / "junk.csv"
    if content is not None:
        path.write_bytes(content)
    proc = _run(["map", "suggest", str(path), "--json"], _entry_points()[0])
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_sheet_option_reaches_the_reader(inventory: Path) -> None:
    proc = _run(["map", "suggest", str(inventory), "--sheet", "vInfo", "--json"], _entry_points()[0])
    assert proc.returncode == 2  # a plain CSV has no sheets: reported as bad input, not a crash
    assert "Traceback" not in proc.stderr
