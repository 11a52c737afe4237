"""A wide RVTools-like import for the mapping review tests: 58 real vInfo headers, many without a target.

Why its own builder: the small `builders.make_import` sheet has seven friendly headers; the problems
of a real engagement (long look-alike headers, dozens of "(no match)" columns, a default-sized
window) only show with a sheet like the one consultants bring.
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import DataImport, RawImportRecord
from core.flows import create_discovery_flow, mark_import_completed
from core.uow import Tenant

VINFO = Path(__file__).resolve().parents[1] / "mapping" / "cases" / "rvtools_vinfo.csv"

#: further vInfo headers of RVTools 4.x (with a plausible value each), 28 of them: 58 columns in all
EXTRA: tuple[tuple[str, str], ...] = (
    ("Consolidation Needed", "False"),
    ("Overall Cpu Readiness", "0.67"),
    ("HW version", "vmx-19"),
    ("HW upgrade status", "none"),
    ("HW upgrade policy", "never"),
    ("Firmware", "efi"),
    ("Latency Sensitivity", "normal"),
    ("EnableUUID", "True"),
    ("CBT", "False"),
    ("Network #2", "VLAN200-Backup"),
    ("Network #3", ""),
    ("Num Monitors", "1"),
    ("Video Ram KiB", "8192"),
    ("vApp", ""),
    ("DAS protection", "True"),
    ("FT State", "notConfigured"),
    ("FT Latency", "0"),
    ("Path", "[ds-prod-01] db-muc001/db-muc001.vmx"),
    ("Log directory", "[ds-prod-01] db-muc001/"),
    ("Snapshot directory", "[ds-prod-01] db-muc001/"),
    ("Change Version", "2024-02-16T15:59:00.123Z"),
    ("HA Restart Priority", "medium"),
    ("HA Isolation Response", "none"),
    ("Boot Required", "False"),
    ("Boot delay", "0"),
    ("EFI Secure boot", "False"),
    ("Tools upgrade policy", "manual"),
    ("Last Discovered", "2025-01-10 08:00:00"),
)


def rvtools_sheet() -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the wide vInfo sheet (the 30 columns of the mapping case + `EXTRA`)."""
    with VINFO.open(newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    header = table[0] + [name for name, _ in EXTRA]
    rows = [cells + [value for _, value in EXTRA] for cells in table[1:]]
    return header, rows


def make_sheet_import(
    core: Core,
    tenant: Tenant,
    columns: list[str],
    rows: list[list[str]],
    *,
    filename: str = "rvtools-vinfo.xlsx",
) -> tuple[uuid.UUID, uuid.UUID]:
    """A completed import of these cells, its flow waiting for review, and stored suggestions."""
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    with core.uow(tenant) as uow:
        imp = DataImport(
            filename=filename,
            status="completed",
            columns=columns,
            total_records=len(rows),
            processed_records=len(rows),
            **scope,
        )
        uow.session.add(imp)
        uow.session.flush()
        for i, cells in enumerate(rows):
            uow.session.add(RawImportRecord(data_import_id=imp.id, record_index=i + 2, cells=cells, **scope))
        flow = create_discovery_flow(uow, data_import_id=imp.id, flow_name=f"Discovery of {filename}")
        mark_import_completed(uow, flow.id)
        uow.commit()
        import_id, flow_id = imp.id, flow.id
    mapping_actions.generate_suggestions(core.uows, tenant, import_id, use_semantic=False)
    return import_id, flow_id


def make_rvtools_import(core: Core, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    columns, rows = rvtools_sheet()
    return make_sheet_import(core, tenant, columns, rows)
