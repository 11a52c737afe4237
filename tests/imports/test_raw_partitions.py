"""Each import's rows live in their own partition: reachable only through RLS, removed with the import."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from core import tenancy
from core.bootstrap import Core
from core.db.models import DataImport
from core.db.validate import schema_differences
from core.imports import ImportResult
from core.uow import Tenant

from . import builders


def _partition(import_id: uuid.UUID) -> str:
    return "raw_import_records_" + import_id.hex


@pytest.fixture
def imported(tmp_path: Path, do_import: Callable[..., ImportResult]) -> ImportResult:
    path = builders.write_csv(
        tmp_path / "servers.csv", [["Name", "IP"], ["web01", "10.0.0.1"], ["db01", "10.0.0.2"]]
    )
    return do_import(path)


def test_an_import_gets_its_own_attached_partition(core: Core, imported: ImportResult) -> None:
    with core.db.admin_engine.connect() as conn:
        parent = conn.execute(
            text("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = to_regclass(:p)"),
            {"p": _partition(imported.import_id)},
        ).scalar_one()
        rows = conn.execute(text(f"SELECT count(*) FROM {_partition(imported.import_id)}")).scalar_one()
    assert parent == "raw_import_records"
    assert rows == 2
    assert schema_differences(core.db.admin_engine) == []  # no privilege left on the partition


def test_the_app_role_cannot_read_a_partition_directly(
    core: Core, tenant: Tenant, imported: ImportResult
) -> None:
    with core.uow(tenant) as uow, pytest.raises(ProgrammingError, match="permission denied"):
        uow.session.execute(text(f"SELECT * FROM {_partition(imported.import_id)}"))
    with core.uow(tenant) as uow, pytest.raises(ProgrammingError, match="permission denied"):
        uow.session.execute(text("SELECT * FROM raw_import_records_default"))


def test_another_engagement_cannot_create_a_partition_for_my_import(
    core: Core, tenant: Tenant, imported: ImportResult
) -> None:
    other = tenancy.ensure_engagement(
        core.db.admin_sessions(), f"Other {uuid.uuid4().hex[:6]}", "E", core.user_id
    )
    with (
        core.uow(core.tenant_for(other)) as uow,
        pytest.raises(DBAPIError, match="not part of this engagement"),
    ):
        uow.session.execute(text("SELECT md_create_raw_partition(:i)"), {"i": imported.import_id})


def test_a_viewer_cannot_create_a_partition(
    core: Core, tenant: Tenant, engagement: tenancy.EngagementRef
) -> None:
    admin = core.db.admin_sessions()
    with core.uow(tenant) as uow:
        record = DataImport(
            client_account_id=tenant.client_account_id,
            engagement_id=tenant.engagement_id,
            filename="x.csv",
            status="processing",
            columns=["a"],
        )
        uow.session.add(record)
        uow.commit()
    with admin() as s, s.begin():
        s.execute(
            text("UPDATE engagement_members SET role = 'viewer' WHERE engagement_id = :e"),
            {"e": engagement.engagement_id},
        )
    with core.uow(tenant) as uow, pytest.raises(DBAPIError, match="not allowed"):
        uow.session.execute(text("SELECT md_create_raw_partition(:i)"), {"i": record.id})


def test_a_partition_cannot_hold_another_tenants_rows(core: Core, tenant: Tenant) -> None:
    with core.uow(tenant) as uow:
        record = DataImport(
            client_account_id=tenant.client_account_id,
            engagement_id=tenant.engagement_id,
            filename="x.csv",
            status="processing",
            columns=["a"],
        )
        uow.session.add(record)
        uow.session.flush()
        part = uow.session.execute(text("SELECT md_create_raw_partition(:i)"), {"i": record.id}).scalar_one()
        with pytest.raises(DBAPIError, match="check constraint"):
            uow.session.execute(
                text(
                    f"INSERT INTO {part} (id, client_account_id, engagement_id, data_import_id, record_index,"
                    " cells) VALUES (gen_random_uuid(), gen_random_uuid(), :e, :i, 1, ARRAY['x'])"
                ),
                {"e": tenant.engagement_id, "i": record.id},
            )


def test_deleting_an_import_removes_its_rows_and_partition(
    core: Core, tenant: Tenant, imported: ImportResult
) -> None:
    with core.uow(tenant) as uow:
        uow.session.execute(text("DELETE FROM data_imports WHERE id = :i"), {"i": imported.import_id})
        uow.commit()
    with core.db.admin_engine.connect() as conn:
        assert (
            conn.execute(text("SELECT to_regclass(:p)"), {"p": _partition(imported.import_id)}).scalar()
            is None
        )
        assert (
            conn.execute(
                text("SELECT count(*) FROM raw_import_records WHERE data_import_id = :i"),
                {"i": imported.import_id},
            ).scalar_one()
            == 0
        )
