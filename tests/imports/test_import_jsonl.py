"""JSON Lines through the whole import: rows as the reader reads them, line numbers as record indexes,
bad lines refused (and recorded) or left out and listed, and a large file through the CLI."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.bootstrap import Core
from core.db.models import DataImport
from core.errors import UserInputError
from core.imports import ImportResult, failed_import_id
from core.ingest import open_table
from core.tenancy import EngagementRef
from core.uow import Tenant

from . import builders
from .test_import_cli import cli, output

Stored = Callable[[Any], list[tuple[int, list[str]]]]


def _line(i: int) -> str:
    record: dict[str, Any] = {"hostname": f"srv-{i:06d}", "ip": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"}
    record["cpu"] = 2 + i % 6
    record["memory_gb"] = 8.0 if i % 2 else 16.25
    if i % 10 == 0:
        record["tags"] = {"env": "prod", "app": f"app{i % 7}"}
    return json.dumps(record)


def test_jsonl_stores_what_the_reader_reads(
    core: Core, tenant: Tenant, do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    text = "\n".join(_line(i) for i in range(50)) + "\n\n"
    path = builders.write_text(tmp_path / "api export.ndjson", text, encoding="utf-8-sig", newline="\r\n")
    with open_table(path) as table:
        names, rows = table.info.column_names, list(table.iter_rows())
    result = do_import(path, source_system="API")
    assert result.status == "completed" and result.rows == 50 and result.write_path == "reader-copy"
    assert result.columns == names == ["hostname", "ip", "cpu", "memory_gb", "tags"]
    assert stored(result.import_id) == rows
    assert rows[0] == (1, ["srv-000000", "10.0.0.0", "2", "16.25", '{"env":"prod","app":"app0"}'])
    assert rows[1] == (2, ["srv-000001", "10.0.0.1", "3", "8.0", ""])
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, result.import_id)
        assert imp is not None and imp.mime_type == "application/x-ndjson"
        assert imp.import_metadata["format"] == "jsonl" and imp.import_metadata["has_bom"] is True


def test_a_bad_line_fails_the_import_naming_it_or_is_left_out_and_listed(
    core: Core, tenant: Tenant, do_import: Callable[..., ImportResult], stored: Stored, tmp_path: Path
) -> None:
    lines = [_line(0), _line(1), '{"hostname": "srv-x", "cpu": 4', _line(3), "42", _line(5)]
    path = builders.write_text(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(UserInputError) as caught:
        do_import(path)
    error = caught.value
    assert (error.file, error.row) == ("bad.jsonl", 3) and "line 3 is not valid JSON" in error.message
    with core.uow(tenant) as uow:
        failed = uow.session.get(DataImport, failed_import_id(error))
        assert failed is not None and failed.status == "failed" and "line 3" in (failed.error_message or "")

    result = do_import(path, skip_bad_rows=True)  # the failed import above does not make it a duplicate
    assert result.rows == 4 and result.bad_row_count == 2
    assert [(e["row"], e["message"]) for e in result.errors] == [
        (3, "line 3 is not valid JSON (Expecting ',' delimiter at column 31)"),
        (5, "line 5 is a number, not an object"),
    ]
    assert [idx for idx, _ in stored(result.import_id)] == [1, 2, 4, 6]


def test_a_large_jsonl_file_through_the_cli(core: Core, engagement: EngagementRef, tmp_path: Path) -> None:
    lines = 200_000
    path = tmp_path / "inventory.jsonl"
    with path.open("w", encoding="utf-8", newline="") as fh:
        for start in range(0, lines, 10_000):
            fh.write("".join(_line(i) + "\r\n" for i in range(start, start + 10_000)))
    size_mb = path.stat().st_size / 1024**2
    assert size_mb > 15
    names = ["--client", engagement.client_name, "--engagement", engagement.engagement_name, "--json"]
    started = time.perf_counter()
    proc = cli("import", str(path), *names, database_url=core.db.app_url)
    seconds = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    data = output(proc)
    assert data["status"] == "completed" and data["rows"] == lines and data["errors"] == []
    assert data["columns"] == 5
    print(f"\nJSON Lines import via the CLI: {lines:,} lines, {size_mb:.0f} MB in {seconds:.1f} s")
    with core.uow(core.tenant_for(engagement)) as uow:
        imp = uow.session.get(DataImport, uuid.UUID(data["import_id"]))
        assert imp is not None and imp.processed_records == lines and imp.import_metadata["format"] == "jsonl"
