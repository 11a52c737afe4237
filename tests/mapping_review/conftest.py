"""Fixtures for the mapping review: imports with raw rows and a flow waiting at field mapping.

The import write path is someone else's; these tests create `DataImport` + `RawImportRecord`
rows directly (test setup), then use `core.flows` to put the flow at `field_mapping`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from core import tenancy
from core.bootstrap import Core
from core.db.models import DataImport, RawImportRecord
from core.flows import create_discovery_flow, mark_import_completed
from core.uow import Tenant

os.environ.setdefault("MD_NO_SEMANTIC", "1")  # keep the suggester deterministic and fast

SERVERS_COLUMNS = ["Server Name", "IP Address", "RAM (MB)", "Operating System", "IsPhysical", "Zorglub"]
SERVERS_ROWS = [
    ["web01", "10.0.0.1", "4096", "Windows Server 2016", "No", "a1"],
    ["db01", "10.0.0.2; 10.0.0.9", "8192", "Red Hat Enterprise Linux 7", "Yes", "b2"],
    ["app03", "10.0.0.3", "16384", "Ubuntu 20.04", "No", "c3"],
    ["app04", "10.0.0.4", "lots", "Ubuntu 22.04", "no", "d4"],
]


@dataclass(frozen=True)
class ImportRef:
    import_id: uuid.UUID
    flow_id: uuid.UUID | None
    tenant: Tenant


MakeImport = Callable[..., ImportRef]


def create_import(
    core: Core,
    tenant: Tenant,
    columns: Sequence[str] = SERVERS_COLUMNS,
    rows: Sequence[Sequence[str]] = SERVERS_ROWS,
    *,
    flow: bool = True,
    at_field_mapping: bool = True,
    filename: str = "servers.csv",
) -> ImportRef:
    with core.uow(tenant) as uow:
        scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
        imp = DataImport(
            filename=filename, status="completed", columns=list(columns), total_records=len(rows), **scope
        )
        uow.session.add(imp)
        uow.session.flush()
        uow.session.add_all(
            RawImportRecord(data_import_id=imp.id, record_index=i + 2, cells=list(r), **scope)
            for i, r in enumerate(rows)
        )
        flow_id = None
        if flow:
            f = create_discovery_flow(uow, data_import_id=imp.id, flow_name=f"Discovery of {filename}")
            flow_id = f.id
            if at_field_mapping:
                mark_import_completed(uow, f.id)
        uow.commit()
        return ImportRef(imp.id, flow_id, tenant)


@pytest.fixture
def make_import(core: Core, tenant: Tenant) -> MakeImport:
    """`make_import(columns=..., rows=..., tenant=...)`: a committed import (with a flow at field mapping)."""

    def make(
        columns: Sequence[str] = SERVERS_COLUMNS,
        rows: Sequence[Sequence[str]] = SERVERS_ROWS,
        *,
        tenant_: Tenant | None = None,
        **kw: object,
    ) -> ImportRef:
        return create_import(core, tenant_ or tenant, columns, rows, **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture
def other_client(core: Core) -> Tenant:
    """A tenant of another client account (the same consultant leads it)."""
    suffix = uuid.uuid4().hex[:8]
    ref = tenancy.ensure_engagement(
        core.db.admin_sessions(), f"Other {suffix}", f"Eng {suffix}", core.user_id
    )
    return core.tenant_for(ref)


@pytest.fixture
def same_client_other_engagement(core: Core, engagement: tenancy.EngagementRef) -> Tenant:
    """Another engagement of the per-test client."""
    ref = tenancy.ensure_engagement(
        core.db.admin_sessions(), engagement.client_name, f"Second {uuid.uuid4().hex[:6]}", core.user_id
    )
    return core.tenant_for(ref)
