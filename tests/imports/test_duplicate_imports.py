"""The same file imported again into the same engagement: refused naming the earlier import, or
imported on purpose with `allow_duplicate`; failed imports, other engagements and sheets do not count."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from core import tenancy
from core.bootstrap import Core
from core.db.models import DataImport
from core.errors import UserInputError
from core.imports import DuplicateImport, ImportResult, earlier_imports_of_file, import_file
from core.tenancy import EngagementRef
from core.uow import Tenant

from . import builders
from .test_import_cli import cli, output


def _servers(tmp_path: Path, name: str = "servers.csv", n: int = 120) -> Path:
    return builders.write_csv(tmp_path / name, [builders.CMDB_HEADER, *builders.cmdb_rows(n)])


def test_the_same_file_again_is_refused_naming_the_earlier_import(
    core: Core,
    tenant: Tenant,
    do_import: Callable[..., ImportResult],
    state: Callable[[], dict[str, Any]],
    tmp_path: Path,
) -> None:
    path = _servers(tmp_path)
    first = do_import(path)
    copy = shutil.copy(path, tmp_path / "servers (1).csv")  # mailed again, saved under another name
    before = state()
    with pytest.raises(DuplicateImport) as caught:
        do_import(copy)
    error = caught.value
    assert isinstance(error, UserInputError) and error.file == "servers (1).csv"
    assert "already imported into this engagement" in error.message
    hint = error.hint or ""
    with core.uow(tenant) as uow:
        stored = uow.session.get(DataImport, first.import_id)
        assert stored is not None and stored.completed_at is not None
        when = stored.completed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f"on {when} as servers.csv (import {first.import_id}, 120 rows)" in hint
    assert "--allow-duplicate" in hint
    assert [e.import_id for e in error.earlier] == [first.import_id]
    assert error.details["earlier_imports"][0]["import_id"] == str(first.import_id)
    assert state() == before  # nothing written, not even a failed import

    again = do_import(copy, allow_duplicate=True)
    assert again.status == "completed" and again.rows == 120 and again.duplicate_of == (first.import_id,)
    assert any("imported again on purpose" in n for n in again.notes)
    with core.uow(tenant) as uow:
        meta = uow.session.get(DataImport, again.import_id).import_metadata  # type: ignore[union-attr]
        assert [e["import_id"] for e in meta["duplicate_of"]] == [str(first.import_id)]
        assert [e.import_id for e in earlier_imports_of_file(uow, path)] == [again.import_id, first.import_id]
    with pytest.raises(DuplicateImport) as twice:
        do_import(path)
    assert f"import {again.import_id}" in (twice.value.hint or "") and "1 more time before" in (
        twice.value.hint or ""
    )


def test_a_failed_earlier_import_is_not_a_duplicate(
    do_import: Callable[..., ImportResult], tmp_path: Path
) -> None:
    ragged = builders.write_text(tmp_path / "ragged.csv", "Name,IP\na,1\nb,2,3\nc,3\n")
    with pytest.raises(UserInputError, match="3 fields"):
        do_import(ragged)  # recorded as a failed import with this file's name
    result = do_import(ragged, skip_bad_rows=True)
    assert result.status == "completed" and result.rows == 2 and result.duplicate_of == ()


def test_a_changed_file_another_sheet_or_another_engagement_is_not_a_duplicate(
    core: Core, do_import: Callable[..., ImportResult], tmp_path: Path
) -> None:
    path = _servers(tmp_path)
    do_import(path)
    (tmp_path / "v2").mkdir()
    changed = _servers(tmp_path / "v2", "servers.csv", n=121)  # same name, one more row
    assert do_import(changed).rows == 121
    same_size = builders.write_text(tmp_path / "size.csv", "Name\nab\n")
    do_import(same_size)
    same_size.write_text("Name\ncd\n")  # same size, other content: hashed, then imported
    assert do_import(same_size).duplicate_of == ()

    workbook = builders.rvtools_workbook(tmp_path / "RVTools.xlsx", vms=10)
    assert do_import(workbook).sheet == "vInfo"
    assert do_import(workbook, sheet="vHost").sheet == "vHost"  # another table of the workbook
    with pytest.raises(DuplicateImport, match="sheet 'vHost'"):
        do_import(workbook, sheet="vHost")

    suffix = uuid.uuid4().hex[:8]
    other = tenancy.ensure_engagement(
        core.db.admin_sessions(), f"Other {suffix}", f"Elsewhere {suffix}", core.user_id
    )
    assert import_file(core.uows, core.tenant_for(other), path).rows == 120


def test_two_imports_of_one_file_at_once_store_it_once(core: Core, tenant: Tenant, tmp_path: Path) -> None:
    path = _servers(tmp_path, n=20_000)

    def attempt(_: int) -> ImportResult | DuplicateImport:
        try:
            return import_file(core.uows, tenant, path)
        except DuplicateImport as exc:
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(attempt, range(2)))
    stored = [o for o in outcomes if isinstance(o, ImportResult)]
    refused = [o for o in outcomes if isinstance(o, DuplicateImport)]
    assert len(stored) == 1 and len(refused) == 1
    assert refused[0].earlier[0].import_id == stored[0].import_id


def test_cli_refuses_with_exit_2_and_imports_with_allow_duplicate(
    core: Core, engagement: EngagementRef, tmp_path: Path
) -> None:
    names = ["--client", engagement.client_name, "--engagement", engagement.engagement_name]
    path = _servers(tmp_path)
    first = cli("import", str(path), *names, "--json", database_url=core.db.app_url)
    assert first.returncode == 0, first.stderr
    first_id = output(first)["import_id"]

    refused = cli("import", str(path), *names, "--json", database_url=core.db.app_url)
    assert refused.returncode == 2
    data = output(refused)  # the contract's shape on stdout, nothing stored
    assert data["status"] == "failed" and data["import_id"] is None and data["rows"] == 0
    error = json.loads(refused.stderr)
    assert error["exit_code"] == 2 and error["file"] == "servers.csv"
    assert f"as servers.csv (import {first_id}" in error["hint"] and "--allow-duplicate" in error["hint"]
    assert error["details"]["earlier_imports"][0]["import_id"] == first_id

    text = cli("import", str(path), *names, database_url=core.db.app_url)
    assert text.returncode == 2 and text.stderr.startswith("error: file servers.csv: was already imported")
    assert "Traceback" not in text.stderr

    allowed = cli("import", str(path), *names, "--json", "--allow-duplicate", database_url=core.db.app_url)
    assert allowed.returncode == 0, allowed.stderr
    again = output(allowed)
    assert again["status"] == "completed" and again["rows"] == 120 and again["duplicate_of"] == [first_id]
