"""The CLI on the embedded default, and bad configuration giving one clear message (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from core.db.database import Database
from core.db.embedded import EmbeddedServer, server_pid
from core.db.models import Asset

ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    full_env.update({"MD_USER": "Test Consultant <tester@example.com>", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=ROOT,
    )


def test_upgrade_validate_seed_on_the_embedded_default(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    for cmd in (["db", "upgrade"], ["db", "validate"]):
        res = run_cli("--data-dir", data, *cmd)
        assert res.returncode == 0, res.stderr
    first = run_cli("--data-dir", data, "db", "seed-demo", "--json")
    assert first.returncode == 0, first.stderr
    added = json.loads(first.stdout)["added"]
    assert added["clients"] == 2 and added["assets"] >= 200
    again = run_cli("--data-dir", data, "db", "seed-demo", "--json")
    assert json.loads(again.stdout)["added"] == {"clients": 0, "imports": 0, "flows": 0, "assets": 0}
    # the server was stopped when the last command exited
    assert server_pid(tmp_path / "data" / "pgdata") is None


def test_validate_exits_1_and_lists_differences(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("--data-dir", str(data), "db", "upgrade").returncode == 0
    server = EmbeddedServer(data)
    server.start()
    try:
        with psycopg.connect(server.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("ALTER TABLE assets DROP COLUMN cpu_cores")
        res = run_cli("--data-dir", str(data), "db", "validate")
    finally:
        server.stop()
    assert res.returncode == 1
    assert "assets.cpu_cores" in res.stdout


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://nobody@127.0.0.1:1/md", "cannot connect"),
        ("mysql://root@127.0.0.1/md", "needs PostgreSQL"),
        ("not a url at all", "not a database URL"),
    ],
)
def test_bad_server_url_gives_one_clear_message(url: str, expected: str) -> None:
    res = run_cli("--database-url", url, "db", "validate", timeout=60)
    assert res.returncode == 2
    assert expected in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_wrong_password_gives_one_clear_message(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "pw")
    server.start()
    try:
        hba = server.pgdata / "pg_hba.conf"
        with psycopg.connect(
            server.url(database="postgres").replace("+psycopg", ""), autocommit=True
        ) as conn:
            conn.execute("CREATE ROLE pw_user LOGIN PASSWORD 'right-password'")
            hba.write_text("local all pw_user scram-sha-256\n" + hba.read_text())
            conn.execute("SELECT pg_reload_conf()")
        url = f"postgresql://pw_user:wrong-password@/postgres?host={server.socket_dir}"
        res = run_cli("--database-url", url, "db", "validate", timeout=60)
    finally:
        server.stop()
    assert res.returncode == 2
    assert "password authentication failed" in res.stderr
    assert "wrong-password" not in res.stderr  # never echo the password
    assert "Traceback" not in res.stderr


def test_unwritable_data_dir_gives_one_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    res = run_cli("--data-dir", str(blocker / "data"), "db", "upgrade")
    assert res.returncode == 2
    assert "data directory is not writable" in res.stderr
    assert "--data-dir" in res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_command_is_a_usage_error() -> None:
    res = run_cli("no-such-command")
    assert res.returncode == 2


def test_assets_table_has_every_contract_field_with_its_type() -> None:
    contract = yaml.safe_load((ROOT / "resources" / "asset_fields.yaml").read_text())["fields"]
    python_types = {"string": str, "integer": int, "float": float, "boolean": bool}
    columns = Asset.__table__.columns
    for field in contract:
        assert field["name"] in columns, field["name"]
        col = columns[field["name"]]
        if field["type"] == "datetime":
            assert col.type.timezone
        elif field["type"] == "json":
            assert col.type.__class__.__name__ == "JSONB"
        else:
            assert col.type.python_type is python_types[field["type"]], field["name"]


def test_contract_copy_is_identical_to_the_shared_contract() -> None:
    shared = ROOT.parent / "shared" / "contracts" / "asset_fields.yaml"
    if not shared.exists():
        pytest.skip("shared/ is not beside this checkout")
    assert yaml.safe_load(shared.read_text()) == yaml.safe_load(
        (ROOT / "resources" / "asset_fields.yaml").read_text()
    )


def test_cli_start_up_loads_no_heavy_packages() -> None:
    """`--help` (and so every command's start) must not pay for Qt, SQLAlchemy or Alembic — nor for the AI
    extra (crewai and what it pulls in: chromadb, lancedb, OpenTelemetry), imported only when a crew runs."""
    code = (
        "import sys; from desktop_app.cli.main import build_parser; build_parser();"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'sqlalchemy', 'alembic',"
        " 'crewai', 'torch', 'onnxruntime', 'pandas', 'numpy', 'ortools', 'igraph', 'leidenalg',"
        " 'python_calamine', 'chromadb', 'lancedb', 'litellm', 'openai', 'opentelemetry'});"
        " print(','.join(heavy))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ""


# --- one message per failure on stderr, the details in the log file ---------------------------------


@pytest.fixture
def viewer(migrated_db: Database, role_url: Callable[[str, str], str]) -> Iterator[dict[str, str]]:
    """A consultant login granted `viewer` on a fresh engagement with `db grant`, as an admin would."""
    admin_dsn = migrated_db.admin_url.replace("postgresql+psycopg", "postgresql")
    role = f"md_t_viewer_{uuid.uuid4().hex[:6]}"
    client, engagement = f"Viewer client {role[-6:]}", "Viewed"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        granted = run_cli(
            "--database-url", migrated_db.admin_url, "db", "grant", "--client", client,
            "--engagement", engagement, "--user", role, "--role", "viewer",
        )  # fmt: skip
        assert granted.returncode == 0, granted.stderr
        yield {"url": role_url(migrated_db.admin_url, role), "client": client, "engagement": engagement}
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def test_import_as_a_viewer_is_one_message_and_records_nothing(
    viewer: dict[str, str], migrated_db: Database, tmp_path: Path
) -> None:
    csv_file = tmp_path / "servers.csv"
    csv_file.write_text("Hostname,IP\nweb01,10.0.0.1\n", encoding="utf-8")
    data_dir = tmp_path / "data"
    res = run_cli(
        "--database-url", viewer["url"], "--data-dir", str(data_dir), "import", str(csv_file),
        "--client", viewer["client"], "--engagement", viewer["engagement"],
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines() == [
        "error: file servers.csv: you cannot import into this engagement: your membership is read-only "
        "(viewer) — ask the engagement lead to make you a member"
    ]
    with psycopg.connect(migrated_db.admin_url.replace("postgresql+psycopg", "postgresql")) as conn:
        recorded = conn.execute(
            "SELECT count(*) FROM data_imports d JOIN client_accounts c ON c.id = d.client_account_id"
            " WHERE c.name = %s",
            (viewer["client"],),
        ).fetchone()
    assert recorded == (0,)  # not even an attempt at a `failed` row the viewer may not write

    verbose = run_cli(
        "--database-url", viewer["url"], "--data-dir", str(data_dir), "-v", "import", str(csv_file),
        "--client", viewer["client"], "--engagement", viewer["engagement"],
    )  # fmt: skip
    assert verbose.returncode == 2 and "read-only" in verbose.stderr
    assert "could not record" not in verbose.stderr  # no attempt to write, so nothing to fail


def test_output_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    """`… | head`: the reader closes the pipe; the command stops like other Unix tools (exit 141,
    nothing on stderr) instead of printing 'error: BrokenPipeError' and a log file."""
    wide = tmp_path / "wide.csv"  # its suggestions are far more than a pipe holds (64 kB)
    header = ",".join(f"Column {i}" for i in range(600))
    wide.write_text(header + "\n" + ",".join(str(i) for i in range(600)) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(tmp_path / "data"), "map", "suggest",
         str(wide), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100)  # the reader takes the first lines, then goes away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == (141 if os.name == "posix" else 1), err
    assert "error" not in err.lower() and "Traceback" not in err, err
