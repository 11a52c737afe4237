"""Test setup: imports with raw records, decided mappings and a discovery flow, made directly.

Until `core.imports` lands the rows are created here the way the import pipeline would: raw
cells aligned with `DataImport.columns`, one `ImportFieldMapping` per column, and a flow whose
data-import phase is complete (`mark_import_completed`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.bootstrap import Core
from core.db.models import DataImport, ImportFieldMapping, RawImportRecord
from core.flows import create_discovery_flow, mark_import_completed
from core.uow import Tenant


@dataclass(frozen=True)
class Made:
    import_id: uuid.UUID
    flow_id: uuid.UUID


def make_import(
    core: Core,
    tenant: Tenant,
    filename: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str | None]],
    mappings: dict[str, str | tuple[str, dict[str, Any]] | None],
    *,
    source_system: str | None = None,
    status: str = "approved",
    pending: Sequence[str] = (),
) -> Made:
    """One import; `mappings` maps a column to a target (or (target, rules)); `pending` stay suggested."""
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    with core.uow(tenant) as uow:
        s = uow.session
        imp = DataImport(
            filename=filename,
            source_system=source_system,
            status="completed",
            columns=list(columns),
            total_records=len(rows),
            **scope,
        )
        s.add(imp)
        s.flush()
        for i, cells in enumerate(rows, start=2):
            s.add(RawImportRecord(data_import_id=imp.id, record_index=i, cells=list(cells), **scope))
        for pos, col in enumerate(columns):
            spec = mappings.get(col)
            target, rules = (spec if isinstance(spec, tuple) else (spec, None)) if spec else (None, None)
            s.add(
                ImportFieldMapping(
                    data_import_id=imp.id,
                    source_field=col,
                    source_position=pos,
                    target_field=target,
                    confidence_score=0.9,
                    status="suggested" if col in pending else (status if target else "rejected"),
                    transformation_rules=rules,
                    **scope,
                )
            )
        flow = create_discovery_flow(uow, data_import_id=imp.id, flow_name=f"Discovery of {filename}")
        mark_import_completed(uow, flow.id)
        uow.commit()
        return Made(imp.id, flow.id)
