"""A small estate written straight into the tables the planning reads (real PostgreSQL, no mocks).

Assets and resolved connections are inserted as the inventory and the connection import store
them; nothing of the planning itself is set up by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from core.bootstrap import Core
from core.db.models import Asset, AssetDependency
from core.uow import Tenant

#: hostname, application, environment, criticality, storage GB, extra fields
SMALL = [
    ("web01", "Shop", "production", "high", 100.0, {}),
    ("web02", "Shop", "production", "high", 100.0, {}),
    ("db01", "ShopDB", "production", "critical", 500.0, {}),
    ("crm01", "CRM", "development", "low", 50.0, {}),
    ("crm02", "CRM", "development", "low", 50.0, {}),
    ("rpt01", "Reports", "test", "medium", 20.0, {}),
    ("lone01", None, "test", "low", 10.0, {}),
]
#: source depends on target
LINKS = [("web01", "db01"), ("web02", "db01"), ("rpt01", "db01"), ("crm01", "crm02")]


def add_estate(
    core: Core,
    tenant: Tenant,
    assets: Sequence[tuple] = SMALL,
    links: Sequence[tuple[str, str]] = LINKS,
) -> dict[str, uuid.UUID]:
    """Insert the assets and their connections; hostname → asset id."""
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    ids: dict[str, uuid.UUID] = {}
    with core.uow(tenant) as uow:
        s = uow.session
        for host, app, env, crit, storage, extra in assets:
            a = Asset(
                id=uuid.uuid4(), hostname=host, asset_name=host, application_name=app, environment=env,
                business_criticality=crit, storage_gb=storage, source_record_ids=[], field_lineage={},
                field_conflicts={}, **extra, **scope,
            )  # fmt: skip
            s.add(a)
            ids[host] = a.id
        s.flush()
        for src, dst in links:
            s.add(
                AssetDependency(
                    source_asset_id=ids[src],
                    target_asset_id=ids[dst],
                    source_endpoint=src,
                    target_endpoint=dst,
                    port=1433,
                    protocol="tcp",
                    observation_count=10,
                    connection_key=f"{src}|{dst}|1433|tcp",
                    **scope,
                )
            )
        uow.commit()
    return ids
