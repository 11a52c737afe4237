"""`core.db.bulk.insert_rows`: many rows in one statement per batch, values typed by PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from core.bootstrap import Core
from core.db import bulk
from core.db.models import InfrastructureService, MoveGroup, SyncChange
from core.uow import Tenant


def test_rows_keep_their_types_and_get_the_column_defaults(
    core: Core, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BATCH", 2)  # several batches
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    rows = [
        {"key": f"g{i}", "name": f"Group {i}", "applications": ["CRM", f"App{i}"],
         "reasons": [{"why": "named", "n": i}], "internal_connections": i, **scope}
        for i in range(5)
    ]  # fmt: skip
    with core.uow(tenant) as uow:
        before = uow.session.scalar(select(func.count()).select_from(SyncChange))
        assert bulk.insert_rows(uow.session, MoveGroup, rows) == 5
        got = {g.key: g for g in uow.session.scalars(select(MoveGroup))}
        assert set(got) == {f"g{i}" for i in range(5)}
        g3 = got["g3"]
        assert isinstance(g3.id, uuid.UUID)  # the Python default of `id`
        assert g3.applications == ["CRM", "App3"] and g3.reasons == [{"why": "named", "n": 3}]
        assert g3.environments == []  # default=list
        assert g3.internal_connections == 3 and isinstance(g3.created_at, dt.datetime)
        # the change log has every row (statement triggers), in the same transaction
        assert uow.session.scalar(select(func.count()).select_from(SyncChange)) == before + 5
        uow.commit()


def test_rows_naming_other_columns_or_an_unknown_one_are_refused(core: Core, tenant: Tenant) -> None:
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    with core.uow(tenant) as uow:
        with pytest.raises(ValueError, match="same columns"):
            mixed = [{"key": "a", "name": "A", **scope}, {"key": "b", **scope}]
            bulk.insert_rows(uow.session, MoveGroup, mixed)
        with pytest.raises(ValueError, match="no column colour"):
            bulk.insert_rows(uow.session, InfrastructureService, [{"colour": "red", **scope}])
        assert bulk.insert_rows(uow.session, MoveGroup, []) == 0
