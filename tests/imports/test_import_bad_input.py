"""Bad input: one clear error naming where and what to do, a `failed` import, nothing else touched."""

from __future__ import annotations

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
    from core.services import tenancy

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
