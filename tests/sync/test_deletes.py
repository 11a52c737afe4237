"""A row deleted on the server while a laptop changed what belongs to it (issue 15: "no accepted
write silently overwritten"): the deletion stands, the laptop's change is kept as a conflict.

Before schema 0011's push check, the push sent the deleted row again as a "missing parent" of
the laptop's new child rows, undoing the other consultant's deletion without anyone knowing.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import func, select, text

from core.actions.analysis import set_infrastructure_override
from core.actions.mapping import finish_flow_mapping
from core.actions.sync import list_conflicts
from core.bootstrap import Core
from core.db.models import Asset, InfrastructureOverride, SyncChange
from core.imports import import_file
from core.phases import PHASES
from core.pipeline import run_flow
from core.sync.service import run
from core.uow import Tenant, UnitOfWork

from .conftest import SharedServer


def _estate(core: Core, tenant: Tenant, tmp_path: Path) -> None:
    lines = ["Server Name,IP Address,Operating System,Application"]
    lines += [f"srv{i:03d},10.0.0.{i + 1},Windows Server 2019,App{i % 3}" for i in range(30)]
    path = tmp_path / "servers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_file(core.uows, tenant, path)
    finish_flow_mapping(core.uows, tenant, result.flow_id, auto=True)
    run_flow(core.uows, tenant, result.flow_id, through=PHASES[-1])


def _server(shared: SharedServer, tenant: Tenant) -> UnitOfWork:
    theirs = Tenant(tenant.client_account_id, tenant.engagement_id, shared.user_id, "server")
    return UnitOfWork(shared.db.app_sessions(), theirs)


def _asset_id(core: Core, tenant: Tenant, hostname: str) -> uuid.UUID:
    with core.uow(tenant) as uow:
        return uow.session.scalars(select(Asset.id).where(Asset.hostname == hostname)).one()


def test_a_server_side_delete_stands_and_the_offline_child_is_a_conflict(
    core: Core, tenant: Tenant, shared: SharedServer, tmp_path: Path
) -> None:
    _estate(core, tenant, tmp_path)
    assert run(core.db, tenant, shared.consultant_url).rejected == []
    doomed = _asset_id(core, tenant, "srv007")
    with _server(shared, tenant) as uow:  # another consultant removes the server on the shared server
        uow.session.execute(text("DELETE FROM assets WHERE id = :id"), {"id": doomed})
        uow.commit()
    # offline, this consultant decides something about that server (a child row of it)
    set_infrastructure_override(core.uows, tenant, doomed, is_infrastructure=True, reason="backup server")

    report = run(core.db, tenant, shared.consultant_url)

    assert report.rejected == []
    with _server(shared, tenant) as uow:  # the deletion stands: the server did not come back
        assert uow.session.get(Asset, doomed) is None
        assert uow.session.scalar(select(func.count()).select_from(Asset)) == 29
        assert uow.session.scalar(select(func.count()).select_from(InfrastructureOverride)) == 0
    conflicts = [c for c in list_conflicts(core.uows, tenant) if c["table"] == "infrastructure_overrides"]
    assert len(conflicts) == 1, list_conflicts(core.uows, tenant)
    (c,) = conflicts
    assert c["local"]["asset_id"] == str(doomed) and c["local"]["reason"] == "backup server"
    with _server(shared, tenant) as uow:  # who deleted it: the server's change log says
        name = uow.session.scalar(
            text("SELECT display_name FROM users WHERE id = :id"), {"id": shared.user_id}
        )
    assert name and c["changed_by"] == name
    assert c["server"]["deleted"] and c["server"]["parent_deleted"] == {
        "table": "assets",
        "row_id": str(doomed),
    }
    with core.uow(tenant) as uow:  # the pull followed the deletion; nothing is left waiting
        assert uow.session.get(Asset, doomed) is None
        assert (
            uow.session.scalar(
                select(func.count()).select_from(SyncChange).where(SyncChange.origin.is_(None))
            )
            == 0
        )
    again = run(core.db, tenant, shared.consultant_url)  # and nothing is sent or listed twice
    assert again.pushed == {} and again.conflicts == [] and again.rejected == []


def test_a_pulled_delete_keeps_the_offline_child_it_takes_with_it_as_a_conflict(
    core: Core, tenant: Tenant, shared: SharedServer, tmp_path: Path
) -> None:
    """`sync --pull-only`: the deletion cascades to the laptop's unsent child row; that change is
    listed as a conflict instead of vanishing with its outbox row."""
    from core.sync.service import SyncOptions

    _estate(core, tenant, tmp_path)
    assert run(core.db, tenant, shared.consultant_url).rejected == []
    doomed = _asset_id(core, tenant, "srv011")
    with _server(shared, tenant) as uow:
        uow.session.execute(text("DELETE FROM assets WHERE id = :id"), {"id": doomed})
        uow.commit()
    set_infrastructure_override(core.uows, tenant, doomed, is_infrastructure=True, reason="tape library")

    run(core.db, tenant, shared.consultant_url, options=SyncOptions(push=False))

    with core.uow(tenant) as uow:
        assert uow.session.get(Asset, doomed) is None
        assert uow.session.scalar(select(func.count()).select_from(InfrastructureOverride)) == 0
    (c,) = [c for c in list_conflicts(core.uows, tenant) if c["table"] == "infrastructure_overrides"]
    assert c["local"]["reason"] == "tape library"
    assert c["server"]["parent_deleted"] == {"table": "assets", "row_id": str(doomed)}
    report = run(core.db, tenant, shared.consultant_url)  # the rest of the outbox still goes
    assert report.rejected == []
    with _server(shared, tenant) as uow:
        assert uow.session.get(Asset, doomed) is None
        assert uow.session.scalar(select(func.count()).select_from(InfrastructureOverride)) == 0


def test_a_conflict_whose_parent_was_deleted_reads_so_and_cannot_be_reapplied(
    core: Core, tenant: Tenant, shared: SharedServer, tmp_path: Path
) -> None:
    import pytest

    from core.actions.sync import resolve_conflict
    from core.errors import UserInputError
    from desktop_app.sync_dialogs import changed_fields, deleted_text

    _estate(core, tenant, tmp_path)
    run(core.db, tenant, shared.consultant_url)
    doomed = _asset_id(core, tenant, "srv003")
    with _server(shared, tenant) as uow:
        uow.session.execute(text("DELETE FROM assets WHERE id = :id"), {"id": doomed})
        uow.commit()
    set_infrastructure_override(core.uows, tenant, doomed, is_infrastructure=True, reason="print server")
    run(core.db, tenant, shared.consultant_url)
    (c,) = [c for c in list_conflicts(core.uows, tenant) if c["table"] == "infrastructure_overrides"]
    assert deleted_text(c["server"]) == "(deleted on the server with its assets row)"
    assert "reason" in changed_fields(c["local"], c["server"]) and "deleted" not in changed_fields(
        c["local"], c["server"]
    )
    with pytest.raises(UserInputError, match="deleted on the server; it cannot be re-applied"):
        resolve_conflict(core.uows, tenant, uuid.UUID(c["id"]), "reapply")
    resolve_conflict(core.uows, tenant, uuid.UUID(c["id"]), "drop")
    assert [x for x in list_conflicts(core.uows, tenant) if x["table"] == "infrastructure_overrides"] == []
