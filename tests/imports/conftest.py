"""Helpers for the import tests: run an import, read what was stored, snapshot an engagement."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from core.bootstrap import Core
from core.imports import ImportResult, import_file, iter_records
from core.tenancy import EngagementRef
from core.uow import Tenant

from . import builders


@pytest.fixture
def do_import(core: Core, tenant: Tenant) -> Callable[..., ImportResult]:
    def run(path: Path, **kwargs: Any) -> ImportResult:
        return import_file(core.uows, tenant, path, **kwargs)

    return run


@pytest.fixture
def stored(core: Core, tenant: Tenant) -> Callable[[uuid.UUID], list[tuple[int, list[str]]]]:
    """Every raw row of an import as (record index, cells), in order."""

    def read(import_id: uuid.UUID) -> list[tuple[int, list[str]]]:
        with core.uow(tenant) as uow:
            return list(iter_records(uow, import_id))

    return read


def engagement_state(core: Core, engagement: EngagementRef) -> dict[str, Any]:
    """Everything imported into an engagement (seen by the schema owner, past RLS)."""
    with core.db.admin_engine.connect() as conn:
        imports = conn.execute(
            text(
                "SELECT d.id, d.status, d.columns, d.processed_records, d.master_flow_id,"
                " (SELECT count(*) FROM raw_import_records r WHERE r.data_import_id = d.id),"
                " (SELECT md5(string_agg(array_to_string(r.cells, chr(31)), chr(30) ORDER BY r.record_index))"
                "    FROM raw_import_records r WHERE r.data_import_id = d.id)"
                " FROM data_imports d WHERE d.engagement_id = :e ORDER BY d.created_at, d.id"
            ),
            {"e": engagement.engagement_id},
        ).all()
        counts = {
            table: conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE engagement_id = :e"),
                {"e": engagement.engagement_id},
            ).scalar_one()
            for table in ("raw_import_records", "master_flows", "discovery_flows", "flow_events")
        }
    return {"imports": [tuple(r) for r in imports], "counts": counts}


@pytest.fixture
def state(core: Core, engagement: EngagementRef) -> Callable[[], dict[str, Any]]:
    return lambda: engagement_state(core, engagement)


@pytest.fixture
def earlier_import(do_import: Callable[..., ImportResult], tmp_path: Path) -> ImportResult:
    """A good import made first, which every failure afterwards must leave exactly as it is."""
    path = builders.write_csv(tmp_path / "earlier.csv", [builders.CMDB_HEADER, *builders.cmdb_rows(300)])
    return do_import(path)
