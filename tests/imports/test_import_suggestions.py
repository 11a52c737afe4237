"""An import stores its mapping suggestions in the same transaction (issue 12, item 12).

Before, only the wizard generated them after the import, so `map list` right after a CLI import
printed nothing and `map finish --auto` refused with "generate suggestions first".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from core.bootstrap import Core
from core.db.models import FlowEvent, ImportFieldMapping
from core.imports import ImportResult
from core.tenancy import EngagementRef
from core.uow import Tenant

from . import builders

ROOT = Path(__file__).resolve().parents[2]


def cli(core: Core, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env.update({"MD_USER": "Test Consultant <tester@example.com>", "MD_NO_SEMANTIC": "1"})
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


def test_import_file_stores_one_suggestion_per_column_with_the_import(
    core: Core, tenant: Tenant, do_import: Callable[..., ImportResult], tmp_path: Path
) -> None:
    path = builders.write_csv(tmp_path / "servers.csv", [builders.CMDB_HEADER, *builders.cmdb_rows(50)])
    result = do_import(path)
    with core.uow(tenant) as uow:
        rows = uow.session.execute(
            select(
                ImportFieldMapping.source_field, ImportFieldMapping.status, ImportFieldMapping.target_field
            )
            .where(ImportFieldMapping.data_import_id == result.import_id)
            .order_by(ImportFieldMapping.source_position)
        ).all()
        events = uow.session.scalars(
            select(FlowEvent.event_type).where(FlowEvent.flow_id == result.flow_id)
        ).all()
    assert [r.source_field for r in rows] == builders.CMDB_HEADER
    assert all(r.status == "suggested" for r in rows)
    by_column = {r.source_field: r.target_field for r in rows}
    assert by_column["Hostname"] == "hostname" and by_column["IP Address"] == "ip_address"
    assert "mapping_suggested" in events
    assert result.mappings_suggested == len(builders.CMDB_HEADER)
    assert result.mappings_with_target == sum(1 for t in by_column.values() if t)
    assert result.changes.mappings and result.import_id in result.changes.import_ids
    assert "suggesting" in result.timings


def test_suggestions_made_while_the_rows_are_stored_equal_those_made_from_the_stored_records(
    core: Core, tenant: Tenant, do_import: Callable[..., ImportResult], tmp_path: Path
) -> None:
    """The reader path suggests from the first rows it read, on a thread while the server stores
    them; what is stored must be what the suggester makes from the stored records afterwards."""
    from core.mapping_review.suggestions import generate_suggestions

    rows = [builders.CMDB_HEADER, *builders.cmdb_rows(260)]
    rows[3][2] = ""  # an empty cell among the sampled rows
    path = builders.write_csv(tmp_path / "servers.csv", rows)
    result = do_import(path, fast_path=False)
    assert result.write_path == "reader-copy"

    def proposals() -> list[tuple[str, dict[str, object] | None]]:
        with core.uow(tenant) as uow:
            return [
                (m.source_field, m.suggestion)
                for m in uow.session.scalars(
                    select(ImportFieldMapping)
                    .where(ImportFieldMapping.data_import_id == result.import_id)
                    .order_by(ImportFieldMapping.source_position)
                )
            ]

    stored = proposals()
    with core.uow(tenant) as uow:
        generate_suggestions(uow, result.import_id, use_semantic=False)
        uow.commit()
    assert proposals() == stored and len(stored) == len(builders.CMDB_HEADER)


def test_cli_import_then_map_list_and_finish_auto(
    core: Core, engagement: EngagementRef, tmp_path: Path
) -> None:
    path = builders.write_csv(tmp_path / "servers.csv", [builders.CMDB_HEADER, *builders.cmdb_rows(30)])
    names = ["--client", engagement.client_name, "--engagement", engagement.engagement_name]
    imported = cli(core, "import", str(path), *names, "--json")
    assert imported.returncode == 0, imported.stderr
    data = json.loads(imported.stdout)
    assert data["mappings_suggested"] == len(builders.CMDB_HEADER)
    flow_id = data["flow_id"]

    listed = cli(core, "map", "list", flow_id, "--json")
    assert listed.returncode == 0, listed.stderr
    mappings = json.loads(listed.stdout)["mappings"]
    assert [m["source_field"] for m in mappings] == builders.CMDB_HEADER
    text = cli(core, "map", "list", flow_id)
    assert text.returncode == 0 and "Hostname" in text.stdout and "hostname" in text.stdout

    accepted = cli(core, "map", "accept", flow_id, "--min-confidence", "0.9", "--json")
    assert accepted.returncode == 0 and json.loads(accepted.stdout)["generated"] is False
    finished = cli(core, "map", "finish", flow_id, "--auto", "--json")
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["field_mapping_completed"] is True

    again = cli(core, "import", str(path), *names, "--allow-duplicate")  # the same file, on purpose
    assert again.returncode == 0, again.stderr
    assert "map list" in again.stdout  # the text summary names the next command
    assert f"imported again: this engagement already had it as import {data['import_id']}" in again.stdout
