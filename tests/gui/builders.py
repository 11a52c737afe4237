"""Test data for the GUI tests: imports with suggested mappings, CSV files, database checks."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

from core import mapping_review
from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import DataImport, RawImportRecord
from core.flows import create_discovery_flow, flow_status, mark_import_completed
from core.uow import Tenant

COLUMNS = ["Hostname", "IP Address", "Operating System", "RAM (MB)", "CPU Cores", "Environment", "Zorglub"]


def sample_rows(n: int = 30) -> list[list[str]]:
    envs = ["prod", "test", "dev"]
    oses = ["Windows Server 2019", "RHEL 8.6", "Ubuntu 22.04"]
    return [
        [
            f"srv{i:03d}",
            f"10.0.{i // 250}.{i % 250 + 1}",
            oses[i % 3],
            str(4096 * (1 + i % 4)),
            str(2 + i % 6),
            envs[i % 3],
            f"qx{i * 7 % 13}",
        ]
        for i in range(n)
    ]


def write_csv(path: Path, n: int = 30, delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(COLUMNS)
        w.writerows(sample_rows(n))
    return path


def make_import(
    core: Core, tenant: Tenant, *, rows: int = 30, filename: str = "servers.csv", suggest: bool = True
) -> tuple[uuid.UUID, uuid.UUID]:
    """A completed import (raw rows), its flow waiting for review, and stored suggestions.

    Without the optional semantic matcher: loading it costs minutes on a small CPU, and the
    vocabulary matcher alone suggests these headers.
    """
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    with core.uow(tenant) as uow:
        imp = DataImport(
            filename=filename,
            status="completed",
            columns=COLUMNS,
            total_records=rows,
            processed_records=rows,
            **scope,
        )
        uow.session.add(imp)
        uow.session.flush()
        for i, cells in enumerate(sample_rows(rows)):
            uow.session.add(RawImportRecord(data_import_id=imp.id, record_index=i + 2, cells=cells, **scope))
        flow = create_discovery_flow(uow, data_import_id=imp.id, flow_name=f"Discovery of {filename}")
        mark_import_completed(uow, flow.id)
        uow.commit()
        import_id, flow_id = imp.id, flow.id
    if suggest:
        mapping_actions.generate_suggestions(core.uows, tenant, import_id, use_semantic=False)
    return import_id, flow_id


def rows_by_source(core: Core, tenant: Tenant, import_id: uuid.UUID) -> dict[str, mapping_review.MappingRow]:
    """The stored mapping rows, by source column (checks go through the core's query)."""
    with core.uow(tenant) as uow:
        return {r.source_field: r for r in mapping_review.mapping_rows(uow, import_id)}


def status_of(core: Core, tenant: Tenant, flow_id: uuid.UUID) -> dict[str, object]:
    with core.uow(tenant) as uow:
        return flow_status(uow, flow_id)
