"""All or nothing: cancel, SIGKILL mid-COPY and a real full disk leave no partial import behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import core.progress as progress_protocol
from core.bootstrap import Core
from core.db.database import Database
from core.db.models import DataImport
from core.errors import OperationCancelled, UserInputError
from core.imports import CancelToken, ImportResult, Progress, copy_writer, failed_import_id
from core.tenancy import EngagementRef
from core.uow import Tenant

from . import builders

ROOT = Path(__file__).resolve().parents[2]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def big_csv(tmp_path: Path) -> Path:
    """~250 000 rows (~25 MB), written in well under a second."""
    return builders.repeat_csv(tmp_path / "big.csv", builders.CMDB_HEADER, builders.cmdb_rows(1000), 250)


def _assert_cancelled(
    core: Core, tenant: Tenant, exc: BaseException, before: dict[str, Any], after: dict[str, Any]
) -> None:
    assert after["counts"] == before["counts"]
    assert after["imports"][: len(before["imports"])] == before["imports"]
    [new] = after["imports"][len(before["imports"]) :]
    assert new[0] == failed_import_id(exc) and new[1] == "failed" and new[5] == 0
    with core.uow(tenant) as uow:
        row = uow.session.get(DataImport, new[0])
        assert row is not None and row.error_details == {"kind": "cancelled"}


@pytest.mark.parametrize("fast_path", [True, False])
def test_cancel_from_the_progress_callback_while_reading(
    core: Core,
    tenant: Tenant,
    do_import: Callable[..., ImportResult],
    earlier_import: ImportResult,
    state: Callable[[], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    big_csv: Path,
    fast_path: bool,
) -> None:
    monkeypatch.setattr(progress_protocol, "REPORT_INTERVAL", 0.0)
    token = CancelToken()
    seen: list[Progress] = []

    def on_progress(p: Progress) -> None:
        seen.append(p)
        if p.stage == "reading" and p.done > 0:
            token.cancel()

    before = state()
    with pytest.raises(OperationCancelled) as info:
        do_import(big_csv, progress=on_progress, cancel=token, fast_path=fast_path)
    assert seen[-1].stage == "reading" and 0 < seen[-1].done < 250_000
    _assert_cancelled(core, tenant, info.value, before, state())


def test_cancel_from_another_thread_interrupts_the_insert(
    core: Core,
    tenant: Tenant,
    do_import: Callable[..., ImportResult],
    state: Callable[[], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    big_csv: Path,
) -> None:
    """The GUI's cancel button: the running INSERT … SELECT is cancelled on the server."""
    monkeypatch.setattr(copy_writer, "BLOCKS_PER_BATCH", 10**6)  # one long statement
    token = CancelToken()
    storing = threading.Event()

    def on_progress(p: Progress) -> None:
        if p.stage == "storing":
            storing.set()

    def press_cancel() -> None:
        storing.wait(30)
        time.sleep(0.1)
        token.cancel()

    presser = threading.Thread(target=press_cancel)
    presser.start()
    before = state()
    started = time.monotonic()
    try:
        with pytest.raises(OperationCancelled) as info:
            do_import(big_csv, progress=on_progress, cancel=token)
    finally:
        presser.join()
    assert storing.is_set() and time.monotonic() - started < 60
    _assert_cancelled(core, tenant, info.value, before, state())


def _copy_backend(admin_dsn: str, database: str, role: str) -> int | None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND usename = %s AND state = 'active'"
            " AND query ILIKE 'COPY%%'",
            (database, role),
        ).fetchone()
    return row[0] if row else None


def _backend_alive(admin_dsn: str, pid: int) -> bool:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() is not None


def test_sigkill_mid_copy_leaves_nothing_and_a_reimport_succeeds(
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    do_import: Callable[..., ImportResult],
    state: Callable[[], dict[str, Any]],
    big_csv: Path,
) -> None:
    url = make_url(core.db.app_url)
    admin_dsn = _libpq(core.db.admin_url)
    env = {**os.environ, "MD_USER": "Test Consultant <tester@example.com>"}
    command = [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, "import", str(big_csv)]
    command += ["--client", engagement.client_name, "--engagement", engagement.engagement_name, "--json"]
    before = state()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        pid = None
        while pid is None and proc.poll() is None and time.monotonic() < deadline:
            pid = _copy_backend(admin_dsn, str(url.database), str(url.username))
            time.sleep(0.01)
        assert pid is not None, "the COPY was never seen running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while _backend_alive(admin_dsn, pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _backend_alive(admin_dsn, pid), "the server kept the killed import's session"
    assert state() == before  # absent: no import row, no raw rows, no flows

    result = do_import(big_csv)
    assert result.rows == 250_000
    after = state()
    assert after["counts"]["raw_import_records"] == before["counts"]["raw_import_records"] + 250_000


def test_hundred_thousand_rows_round_trip_exactly(
    do_import: Callable[..., ImportResult],
    stored: Callable[[uuid.UUID], list[tuple[int, list[str]]]],
    tmp_path: Path,
) -> None:
    header = ["id", "name", "note", "owner", "location", "os", "ip", "comment"]
    rows = builders.tricky_rows(100_000, len(header))
    path = builders.write_csv(tmp_path / "tricky.csv", [header, *rows])
    expected = builders.expected_records(rows, first_line=2)
    result = do_import(path)
    assert result.write_path == "csv-copy" and result.rows == 100_000 and result.columns == header
    assert stored(result.import_id) == expected


# -- a real full disk -------------------------------------------------------------------------


@pytest.fixture
def tiny_tablespace(core: Core) -> Iterator[str]:
    """A 3 MB tmpfs tablespace for the test role's temp tables (needs root and a local server)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    admin_dsn = _libpq(core.db.admin_url)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
    if not os.path.isdir(data_dir):
        pytest.skip("the test server is not on this machine")
    name = f"md_tiny_{uuid.uuid4().hex[:8]}"
    mount_point = Path("/tmp") / name
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        mount_point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    database = make_url(core.db.admin_url).database
    role = make_url(core.db.app_url).username
    try:
        owner = os.stat(data_dir)
        os.chown(mount_point, owner.st_uid, owner.st_gid)
        mount_point.chmod(0o700)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f"CREATE TABLESPACE {name} LOCATION '{mount_point}'")
            conn.execute(f"GRANT CREATE ON TABLESPACE {name} TO md_app")
            conn.execute(f'ALTER ROLE "{role}" IN DATABASE "{database}" SET temp_tablespaces = {name}')
        yield name
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'ALTER ROLE "{role}" IN DATABASE "{database}" RESET temp_tablespaces')
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")
        subprocess.run(["umount", str(mount_point)], check=False)
        mount_point.rmdir()


def test_real_full_disk(
    core: Core,
    tenant: Tenant,
    engagement: EngagementRef,
    earlier_import: ImportResult,
    state: Callable[[], dict[str, Any]],
    tiny_tablespace: str,
    big_csv: Path,
) -> None:
    """The stage lands on a 3 MB filesystem: PostgreSQL fails with DiskFull mid-COPY."""
    fresh = Database(mode="shared", app_url=core.db.app_url, admin_url=core.db.admin_url)
    try:
        other = Core(settings=core.settings, db=fresh, identity=core.identity, user_id=core.user_id)
        before = state()
        from core.imports import import_file

        with pytest.raises(UserInputError) as info:
            import_file(other.uows, tenant, big_csv)
        exc = info.value
        assert isinstance(exc.__cause__, psycopg.errors.DiskFull), exc.__cause__
        assert exc.file == "big.csv" and "free disk space" in (exc.hint or "")
        after = state()
        assert after["counts"] == before["counts"]
        assert after["imports"][: len(before["imports"])] == before["imports"]
        assert after["imports"][-1][1] == "failed"
        with fresh.app_engine.connect() as conn:  # the temp files went with the rollback
            assert (
                conn.execute(
                    text("SELECT count(*) FROM pg_tables WHERE tablename = :t"), {"t": copy_writer.STAGE}
                ).scalar()
                == 0
            )
    finally:
        fresh.close()
