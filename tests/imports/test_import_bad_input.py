"""Bad input: one clear error naming where and what to do, a `failed` import, nothing else touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from core.bootstrap import Core
from core.db.models import DataImport
from core.errors import UserInputError
from core.imports import ImportResult, copy_writer, failed_import_id
from core.ingest import open_table
from core.uow import Tenant

from . import builders


def _pdf(d: Path) -> Path:
    (d / "inventory.pdf").write_bytes(b"%PDF-1.4\n" + b"x" * 200)
    return d / "inventory.pdf"


def _empty(d: Path) -> Path:
    (d / "empty.csv").write_bytes(b"")
    return d / "empty.csv"


def _corrupt_xlsx(d: Path) -> Path:
    good = builders.rvtools_workbook(d / "good.xlsx").read_bytes()
    (d / "corrupt.xlsx").write_bytes(good[:3000])
    return d / "corrupt.xlsx"


def _zip_bomb(d: Path) -> Path:
    return builders.write_zip(d / "bomb.zip", {"servers.csv": b"Name,IP\na,1\n" + b" " * (20 * 1024**2)})


def _too_wide(d: Path) -> Path:
    header = [f"Attribute {i}" for i in range(2001)]
    return builders.write_csv(
        d / "wide.csv", [header, *([f"r{r}c{c}" for c in range(2001)] for r in range(3))]
    )


def _almost_utf8(d: Path) -> Path:
    """UTF-8 with `Lïnux` in 3,000 rows and one cp1252 byte in row 3,002 (was read as cp1252)."""
    body = "Name,OS\n" + "".join(f"srv{i:04d},Lïnux\n" for i in range(3000))
    (d / "mojibake.csv").write_bytes(body.encode() + b"srv-bad,L\xefnux\n")
    return d / "mojibake.csv"


def _oversized_value(d: Path) -> Path:
    """A 50 MB value (no quotes) deep in the file, where only the server would have parsed it."""
    rows = b"".join(b"srv%d,ok\n" % i for i in range(100))
    (d / "blob.csv").write_bytes(
        b"Name,Note\n" + rows + b"srv-blob," + b"x" * (50 * 1024**2) + b"\nlast,ok\n"
    )
    return d / "blob.csv"


def _entity_attack(d: Path) -> Path:
    path = builders.rvtools_workbook(d / "entities.xlsx")
    bomb = builders.billion_laughs("worksheet", "<sheetData/>")
    return builders.replace_members(path, {"xl/worksheets/sheet1.xml": bomb})


BAD_FILES: dict[str, tuple[Callable[[Path], Path], dict[str, Any], str, int | None]] = {
    # case: (builder, import options, text the message must contain, row it must name)
    "unsupported type": (_pdf, {}, "PDF", None),
    "empty file": (_empty, {}, "empty", None),
    "header only": (lambda d: builders.write_text(d / "header.csv", "Name,IP\n"), {}, "no data rows", 1),
    "ragged rows": (
        lambda d: builders.write_text(d / "ragged.csv", "Name,IP\na,1\nb,2,3\nc,3\n"),
        {},
        "3 fields",
        3,
    ),
    "undecodable bytes": (
        lambda d: builders.write_text(d / "latin.csv", "Name,City\nsrv,Köln\n", encoding="cp1252"),
        {"encoding": "utf-8"},
        "cannot be decoded",
        2,
    ),
    "password-protected xlsx": (lambda d: builders.encrypted_xlsx(d / "locked.xlsx"), {}, "password", None),
    "corrupt xlsx": (_corrupt_xlsx, {}, "not a readable Excel workbook", None),
    "zip bomb": (_zip_bomb, {}, "zip bomb", None),
    "xml entity attack": (_entity_attack, {}, "entit", None),
    "too many columns": (_too_wide, {}, "2,001 columns", 1),
    "almost utf-8 with one bad byte": (_almost_utf8, {}, "--encoding utf-8-replace", 3002),
    "oversized value deep in the file": (_oversized_value, {}, "larger than the 16 MiB", 102),
}


def _reader_error(path: Path, **options: Any) -> UserInputError:
    with pytest.raises(UserInputError) as info, open_table(path, **options) as table:
        for _ in table.iter_rows():
            pass
    return info.value


def _assert_failed_and_intact(
    core: Core, tenant: Tenant, exc: BaseException, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """The earlier import is exactly as it was; the only new row is the `failed` data import."""
    failed_id = failed_import_id(exc)
    assert failed_id is not None
    assert after["imports"][: len(before["imports"])] == before["imports"]
    assert after["counts"] == before["counts"]
    [new] = after["imports"][len(before["imports"]) :]
    assert new[0] == failed_id and new[1] == "failed" and new[5] == 0
    with core.uow(tenant) as uow:
        row = uow.session.get(DataImport, failed_id)
        assert row is not None and row.error_message and row.error_details
        if isinstance(exc, UserInputError):
            assert row.error_message == exc.describe()
            assert row.error_details["kind"] == "user_input" and row.error_details["row"] == exc.row


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_fails_clearly_and_keeps_earlier_data(
    core: Core,
    tenant: Tenant,
    do_import: Callable[..., ImportResult],
    earlier_import: ImportResult,
    state: Callable[[], dict[str, Any]],
    tmp_path: Path,
    case: str,
) -> None:
    build, options, says, row = BAD_FILES[case]
    path = build(tmp_path)
    before = state()
    with pytest.raises(UserInputError) as info:
        do_import(path, **options)
    exc = info.value
    assert exc.file == path.name and says in exc.describe() and exc.row == row and exc.hint
    assert exc.describe() == _reader_error(path, **options).describe()  # the reader's error, unchanged
    _assert_failed_and_intact(core, tenant, exc, before, state())


def test_ragged_rows_are_left_out_and_listed_with_skip_bad_rows(
    core: Core, tenant: Tenant, do_import: Callable[..., ImportResult], tmp_path: Path
) -> None:
    path = builders.write_text(tmp_path / "ragged.csv", "Name,IP\na,1\nb,2,3\nc,3\nd\n")
    result = do_import(path, skip_bad_rows=True)
    assert result.rows == 2 and result.bad_row_count == 2 and result.write_path == "reader-copy"
    assert [(e["row"], e["field_count"], e["expected"]) for e in result.errors] == [(3, 3, 2), (5, 1, 2)]
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, result.import_id)
        assert imp is not None
        assert (imp.total_records, imp.processed_records, imp.failed_records) == (4, 2, 2)
        assert [b["row"] for b in imp.import_metadata["bad_rows"]] == [3, 5]


def test_nul_byte_deep_in_the_file_names_row_and_column(
    core: Core,
    tenant: Tenant,
    do_import: Callable[..., ImportResult],
    earlier_import: ImportResult,
    state: Callable[[], dict[str, Any]],
    tmp_path: Path,
) -> None:
    path = tmp_path / "nul.csv"  # far enough down that the reader's binary-file sniffing passes
    path.write_bytes(b"Name,IP\n" + b"srv,10.0.0.1\n" * 100_000 + b"bad\x00name,10.0.0.2\n")
    before = state()
    with pytest.raises(UserInputError) as info:
        do_import(path)
    exc = info.value
    assert (exc.file, exc.row, exc.column) == ("nul.csv", 100_002, "Name") and "NUL" in exc.message
    _assert_failed_and_intact(core, tenant, exc, before, state())


def test_full_disk_is_rolled_back_with_a_clear_message(
    core: Core,
    tenant: Tenant,
    do_import: Callable[..., ImportResult],
    earlier_import: ImportResult,
    state: Callable[[], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A real DiskFull (SQLSTATE 53100) from the server, raised after the rows were staged.

    The server raises it from a real statement in the import's transaction; the genuine
    out-of-space case (a tablespace on a tiny tmpfs) is `test_import_atomicity::test_real_full_disk`.
    """
    original = copy_writer.insert_records

    def insert_then_run_out_of_space(cur: psycopg.Cursor, **kwargs: Any) -> int:
        original(cur, **kwargs)
        cur.execute(
            "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'disk_full', MESSAGE = "
            "'could not extend file \"base/16384/16400\": No space left on device'; END $$"
        )
        return 0

    monkeypatch.setattr(copy_writer, "insert_records", insert_then_run_out_of_space)
    path = builders.write_csv(tmp_path / "big.csv", [builders.CMDB_HEADER, *builders.cmdb_rows(2000)])
    before = state()
    with pytest.raises(UserInputError) as info:
        do_import(path)
    exc = info.value
    assert isinstance(exc.__cause__, psycopg.errors.DiskFull)
    assert exc.file == "big.csv" and "disk" in exc.message and "free disk space" in (exc.hint or "")
    assert exc.details["sqlstate"] == "53100"
    _assert_failed_and_intact(core, tenant, exc, before, state())


def test_viewer_cannot_import_and_is_told_before_any_work(
    core: Core, tenant: Tenant, engagement: Any, do_import: Callable[..., ImportResult], tmp_path: Path
) -> None:
    from core import tenancy

    tenancy.grant(
        core.db.admin_sessions(),
        engagement_name=engagement.engagement_name,
        client_name=engagement.client_name,
        db_role=str(make_url(core.db.app_url).username),
        role="viewer",
        email=core.identity.email,
    )
    path = builders.write_csv(tmp_path / "servers.csv", [builders.CMDB_HEADER, *builders.cmdb_rows(10)])
    with pytest.raises(UserInputError) as info:
        do_import(path)
    assert "read-only" in info.value.message and info.value.file == "servers.csv"
    assert failed_import_id(info.value) is None  # a viewer cannot write even the failure record


def test_nothing_left_after_skipping_bad_rows_is_a_failure(
    do_import: Callable[..., ImportResult], tmp_path: Path
) -> None:
    text = "Hostname,IP Address,Operating System\nsrv1,10.0.0.1\nsrv2,10.0.0.2,RHEL,extra\n"
    path = builders.write_text(tmp_path / "allbad.csv", text)
    with pytest.raises(UserInputError) as info:
        do_import(path, skip_bad_rows=True)
    assert "no data rows" in info.value.message and "2 bad row(s)" in info.value.message
    assert failed_import_id(info.value) is not None


@pytest.mark.parametrize("fast_path", [True, False])
def test_utf8_replace_imports_with_replacement_characters_and_records_the_count(
    core: Core,
    tenant: Tenant,
    do_import: Callable[..., ImportResult],
    stored: Callable[..., list[tuple[int, list[str]]]],
    tmp_path: Path,
    fast_path: bool,
) -> None:
    path = _almost_utf8(tmp_path)
    result = do_import(path, encoding="utf-8-replace", fast_path=fast_path)
    assert result.rows == 3001 and result.write_path == ("csv-copy" if fast_path else "reader-copy")
    rows = stored(result.import_id)
    assert rows[0] == (2, ["srv0000", "Lïnux"]) and rows[-1] == (3002, ["srv-bad", "L\ufffdnux"])
    assert sum("\ufffd" in cell for _, cells in rows for cell in cells) == 1
    assert any("1 invalid UTF-8 byte sequence replaced" in w for w in result.warnings)
    assert result.to_json()["warnings"] == result.warnings
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, result.import_id)
        assert imp is not None
        meta = imp.import_metadata
    assert meta["encoding"] == "utf-8" and meta["encoding_errors"] == "replace"
    assert meta["encoding_details"]["invalid_sequences_replaced"] == 1
    assert meta["encoding_details"]["first_invalid"]["row"] == 3002 and meta["warnings"] == result.warnings


def test_low_confidence_encoding_guess_is_a_warning_in_result_and_metadata(
    core: Core, tenant: Tenant, do_import: Callable[..., ImportResult], tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"Name,Note\n" + b"".join(b"srv%d,\x81\x8d\x8f\x90\x9d\n" % i for i in range(50)))
    result = do_import(path)
    [warning] = result.warnings
    assert "low confidence" in warning and "row 2, column 'Note'" in warning
    with core.uow(tenant) as uow:
        imp = uow.session.get(DataImport, result.import_id)
        assert imp is not None
        assert imp.import_metadata["warnings"] == [warning]
        assert imp.import_metadata["encoding_details"]["confident"] is False


def _cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MD_USER": "Test Consultant <tester@example.com>"}
    env.pop("MD_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", database_url, *args],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_cli_refuses_almost_utf8_and_imports_it_with_utf8_replace(
    core: Core, engagement: Any, tmp_path: Path
) -> None:
    path = _almost_utf8(tmp_path)
    names = ["--client", engagement.client_name, "--engagement", engagement.engagement_name]
    refused = _cli("import", str(path), *names, database_url=core.db.app_url)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: file mojibake.csv, row 3002, column 'OS':")
    assert "--encoding utf-8-replace" in refused.stderr and "Traceback" not in refused.stderr

    replaced = _cli(
        "import", str(path), *names, "--encoding", "utf-8-replace", "--json", database_url=core.db.app_url
    )
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(replaced.stdout)["rows"] == 3001
    assert "warning: 1 invalid UTF-8 byte sequence replaced" in replaced.stderr

    helped = _cli("import", "--help", database_url=core.db.app_url)
    assert "utf-8-replace" in helped.stdout


def test_wizard_preview_names_the_bad_bytes_and_reads_with_utf8_replace(tmp_path: Path) -> None:
    from desktop_app.wizard import service

    path = _almost_utf8(tmp_path)
    with pytest.raises(UserInputError) as info:
        service.read_preview(str(path), service.ReadOptions())
    assert (info.value.row, info.value.column) == (3002, "OS")
    preview = service.read_preview(str(path), service.ReadOptions(encoding="utf-8-replace"))
    assert preview.encoding == "utf-8-replace" and preview.rows[0] == ["srv0000", "Lïnux"]
    assert any("row 3002" in w for w in preview.warnings)
