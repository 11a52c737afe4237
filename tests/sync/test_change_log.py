"""The change log (schema 0012: statement triggers with transition tables) records every row a
statement changes — one change per row, with the version it replaced — whatever wrote it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from core.bootstrap import Core
from core.uow import Tenant, UnitOfWork

INSERT = (
    "INSERT INTO asset_dependencies (id, client_account_id, engagement_id, source_endpoint,"
    " target_endpoint, dependency_type, connection_key, created_at, updated_at)"
    " SELECT gen_random_uuid(), :c, :e, 'src' || k, 'dst' || k, 'network_connection', k,"
    " now() - interval '1 day', now() - interval '1 day' FROM unnest(CAST(:keys AS text[])) k"
)


def _log(uow: UnitOfWork, since: int) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        text(
            "SELECT c.op, c.base_updated_at, d.connection_key AS key, c.row_id FROM sync_changes c"
            " LEFT JOIN asset_dependencies d ON d.id = c.row_id"
            " WHERE c.table_name = 'asset_dependencies' AND c.seq > :since ORDER BY c.seq"
        ),
        {"since": since},
    )
    return [dict(r._mapping) for r in rows]


def _last_seq(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(text("SELECT coalesce(max(seq), 0) FROM sync_changes")))


def test_each_row_of_a_statement_is_logged_with_the_version_it_replaced(core: Core, tenant: Tenant) -> None:
    scope = {"c": tenant.client_account_id, "e": tenant.engagement_id}
    with core.uow(tenant) as uow:
        s = uow.session
        start = _last_seq(uow)
        s.execute(text(INSERT), {**scope, "keys": ["k1", "k2", "k3"]})
        inserted = _log(uow, start)
        assert sorted(r["key"] for r in inserted) == ["k1", "k2", "k3"]
        assert all(r["op"] == "upsert" and r["base_updated_at"] is None for r in inserted)
        before = dict(s.execute(text("SELECT connection_key, updated_at FROM asset_dependencies")).all())

        mark = _last_seq(uow)
        s.execute(text("UPDATE asset_dependencies SET observation_count = observation_count + 1"))
        updated = _log(uow, mark)
        assert sorted(r["key"] for r in updated) == ["k1", "k2", "k3"]
        assert all(r["op"] == "upsert" and r["base_updated_at"] == before[r["key"]] for r in updated)

        mark = _last_seq(uow)  # an upsert: one row new, one already there
        s.execute(
            text(
                INSERT + " ON CONFLICT (engagement_id, connection_key) DO UPDATE SET"
                " observation_count = asset_dependencies.observation_count + 1"
            ),
            {**scope, "keys": ["k3", "k4"]},
        )
        upserted = {r["key"]: r for r in _log(uow, mark)}
        assert set(upserted) == {"k3", "k4"}
        assert upserted["k4"]["base_updated_at"] is None and upserted["k3"]["base_updated_at"] is not None

        mark = _last_seq(uow)
        ids = s.scalars(text("SELECT id FROM asset_dependencies WHERE connection_key IN ('k1', 'k2')")).all()
        s.execute(text("DELETE FROM asset_dependencies WHERE id = ANY(:ids)"), {"ids": list(ids)})
        deleted = _log(uow, mark)
        assert sorted(r["row_id"] for r in deleted) == sorted(ids)
        assert all(r["op"] == "delete" and r["base_updated_at"] is not None for r in deleted)

        mark = _last_seq(uow)  # what a pull replays is not logged again
        s.execute(text("SELECT set_config('md.sync_replaying', 'on', true)"))
        s.execute(text("UPDATE asset_dependencies SET observation_count = 7"))
        s.execute(text("DELETE FROM asset_dependencies"))
        assert _log(uow, mark) == []


def test_a_pairing_taught_in_another_engagement_of_the_client_can_be_taught_again(
    core: Core, tenant: Tenant, engagement, tmp_path
) -> None:
    """Mapping memory is the client's: approving in engagement 2 the pairing engagement 1 taught
    updates engagement 1's row. Its change is this engagement's to send (the change log's policy
    refused it: 'new row violates row-level security policy for table "sync_changes"')."""
    from core import tenancy
    from core.actions import mapping
    from core.imports import import_file

    csv = tmp_path / "servers.csv"
    csv.write_text("Server Name,Operating System\nsrv01,Windows Server 2019\nsrv02,RHEL 8\n", "utf-8")
    second = core.tenant_for(
        tenancy.ensure_engagement(core.db.admin_sessions(), engagement.client_name, "Second", core.user_id)
    )
    for t in (tenant, second):
        made = import_file(core.uows, t, csv)
        mapping.ensure_suggestions(core.uows, t, made.import_id)
        with core.uow(t) as uow:
            row_id, version = uow.session.execute(
                text("SELECT id, version FROM import_field_mappings WHERE data_import_id = :i"
                     " AND source_field = 'Server Name'"), {"i": made.import_id},
            ).one()  # fmt: skip
        mapping.approve(core.uows, t, row_id, version, auto_finish=False)
    with core.uow(second) as uow:
        counts = uow.session.execute(
            text(
                "SELECT engagement_id, approved_count FROM mapping_memory WHERE source_header = 'Server Name'"
            )
        ).all()
        assert [(e, n) for e, n in counts] == [(tenant.engagement_id, 2)]  # one pairing, taught twice
        logged = uow.session.scalar(
            text("SELECT count(*) FROM sync_changes WHERE table_name = 'mapping_memory'")
        )
        assert logged >= 1  # in this engagement's outbox
