"""`db seed-demo`: two demo client accounts with realistic engagements, imports, flows and assets.

Deterministic (fixed random seed, UUIDv5 keys) and idempotent: running it twice adds nothing.
Everything is written through tenant-scoped units of work as the current consultant, so the
data passes the same row-level security as real work; flows are created and brought to their
phase through `core.flows` (the one write path for flow state), and each demo flow's stored
artefacts match its flags, so `reconcile` finds nothing to repair.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.bootstrap import Core
from core.db.models import (
    Asset,
    DataImport,
    ImportFieldMapping,
    MasterFlow,
    RawImportRecord,
)
from core.flows import PHASES, complete_phase, create_discovery_flow, mark_import_completed
from core.services import tenancy
from core.uow import UnitOfWork

NAMESPACE = uuid.UUID("6f1c2a4e-4a59-4d7b-9b1e-6c1f0f1d2e3a")


@dataclass(frozen=True)
class DemoEngagement:
    client: str
    industry: str
    engagement: str
    domain: str
    sites: tuple[str, ...]
    imports: tuple[tuple[str, str, int], ...]  # (file name, source system, phases completed)


DEMO = (
    DemoEngagement(
        "Northwind Bank (demo)",
        "Financial services",
        "Datacenter exit 2027",
        "nwb.example.com",
        ("London DC2", "Frankfurt DC1"),
        (
            ("cmdb_ci_server_export.csv", "ServiceNow", 6),
            ("rvtools_vinfo_fra.xlsx", "RVTools", 3),
            ("app_owners_q3.xlsx", "Spreadsheet", 1),
        ),
    ),
    DemoEngagement(
        "Contoso Manufacturing (demo)",
        "Manufacturing",
        "Azure landing 2026",
        "contoso-mfg.example.net",
        ("Chicago Plant", "Dallas Colo"),
        (
            ("azure_migrate_assessment.csv", "Azure Migrate", 4),
            ("plant_servers.csv", "Spreadsheet", 0),
        ),
    ),
)

OS_CHOICES = (
    ("Microsoft Windows Server 2019 Standard", "10.0.17763", "windows"),
    ("Microsoft Windows Server 2016 Datacenter", "10.0.14393", "windows"),
    ("Microsoft Windows Server 2012 R2 Standard", "6.3.9600", "windows"),
    ("Red Hat Enterprise Linux 8 (64-bit)", "8.8", "linux"),
    ("Red Hat Enterprise Linux 7 (64-bit)", "7.9", "linux"),
    ("Ubuntu Linux 22.04 LTS", "22.04", "linux"),
    ("SUSE Linux Enterprise 15 (64-bit)", "15 SP4", "linux"),
    ("Oracle Solaris 11", "11.4", "unix"),
)
ROLES = (
    ("app", "Application server"),
    ("db", "Database server"),
    ("web", "Web server"),
    ("fs", "File server"),
    ("dc", "Domain controller"),
    ("mq", "Message broker"),
)
APPS = (
    "Core Banking",
    "Payments Hub",
    "CRM",
    "Data Warehouse",
    "SAP ERP",
    "Intranet",
    "Payroll",
    "MES",
    "Customer Portal",
    "Exchange",
)
ENVS = ("production", "production", "production", "test", "development", "uat", "dr")
OWNERS = ("Priya Shah", "Tom Becker", "Mei Chen", "Luis Ortega", "Anna Schmidt", "Kofi Mensah")


def _uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


def _asset_rows(demo: DemoEngagement, count: int, rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for i in range(1, count + 1):
        prefix, role_desc = rng.choice(ROLES)
        site = rng.choice(demo.sites)
        host = f"{prefix}-{site[:3].lower()}{i:03d}"
        os_name, os_version, family = rng.choice(OS_CHOICES)
        virtual = rng.random() < 0.8
        app = rng.choice(APPS)
        cores = rng.choice((2, 4, 4, 8, 8, 16, 32))
        memory = rng.choice((4, 8, 16, 16, 32, 64, 128, 256))
        rows.append(
            {
                "asset_name": host.upper() if rng.random() < 0.3 else host,
                "hostname": host,
                "fqdn": f"{host}.{demo.domain}",
                "asset_type": "virtual_machine" if virtual else ("database" if prefix == "db" else "server"),
                "ip_address": f"10.{rng.randint(1, 60)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}",
                "operating_system": os_name,
                "os_version": os_version,
                "os_family": family,
                "cpu_cores": cores,
                "memory_gb": float(memory),
                "storage_gb": float(rng.choice((100, 250, 500, 1000, 2048))),
                "cpu_utilization_avg_pct": round(rng.uniform(3, 75), 1),
                "is_virtual": virtual,
                "virtualization_platform": "VMware vSphere" if virtual else None,
                "environment": rng.choice(ENVS),
                "location": site,
                "datacenter": site,
                "application_name": app,
                "business_owner": rng.choice(OWNERS),
                "business_criticality": rng.choice(("low", "medium", "high", "critical")),
                "description": f"{role_desc} for {app}",
                "power_state": "on" if rng.random() < 0.93 else "off",
                "discovery_source": "ServiceNow" if i % 2 else "RVTools",
            }
        )
    return rows


def _demo_analyses(filename: str, assets: int) -> dict[str, dict[str, Any]]:
    """What the demo's analysis phases leave behind, stored when those phases complete."""
    return {
        "dependency_analysis": {
            "dependencies": {"source": filename, "assets_analysed": assets, "edges": 0, "demo": True}
        },
        "tech_debt_assessment": {
            "tech_debt_analysis": {
                "source": filename,
                "unsupported_os": 0,
                "assets_assessed": assets,
                "demo": True,
            }
        },
    }


def _advance_demo_flow(
    uow: UnitOfWork, flow_id: uuid.UUID, done: int, extras: dict[str, dict[str, Any]]
) -> None:
    """Bring a demo flow to its phase through the one write path (no direct flag writes)."""
    for phase in PHASES[:done]:
        if phase == PHASES[0]:
            mark_import_completed(uow, flow_id)
        else:
            complete_phase(uow, flow_id, phase, extra_updates=extras.get(phase), commit=False)


def seed_demo(core: Core, *, assets_per_engagement: int = 100) -> dict[str, int]:
    """Create the demo data where missing; returns counts of what was added."""
    added = {"clients": 0, "imports": 0, "flows": 0, "assets": 0}
    admin = core.db.admin_sessions()
    for demo in DEMO:
        existing = tenancy.find_engagement(core.sessions, demo.client, demo.engagement)
        ref = existing or tenancy.ensure_engagement(admin, demo.client, demo.engagement, core.user_id)
        added["clients"] += existing is None
        rng = random.Random(f"{demo.client}/{demo.engagement}")
        tenant = core.tenant_for(ref)
        assets = _asset_rows(demo, assets_per_engagement, rng)
        with core.uow(tenant) as uow:
            s = uow.session
            for n, (filename, source, done) in enumerate(demo.imports):
                import_id = _uid(ref.engagement_id, "import", filename)
                if s.get(DataImport, import_id) is not None:
                    continue
                master_id = _uid(ref.engagement_id, "master", filename)
                flow_id = _uid(ref.engagement_id, "flow", filename)
                started = datetime(2026, 9, 1, 9, 0, tzinfo=UTC) + timedelta(days=7 * n)
                scope = {"client_account_id": ref.client_account_id, "engagement_id": ref.engagement_id}
                s.add(
                    MasterFlow(
                        id=master_id,
                        flow_type="discovery",
                        status="running",
                        master_state={"source": filename},
                        created_by=core.user_id,
                        **scope,
                    )
                )
                s.flush()
                # done == 0: the file is still being imported (no rows yet), so nothing is complete
                slice_ = assets[n * 30 : n * 30 + 40] if done else []
                columns = [
                    "Name",
                    "FQDN",
                    "IP Address",
                    "Operating System",
                    "CPU Cores",
                    "RAM (GB)",
                    "Environment",
                    "Application",
                    "Owner",
                ]
                s.add(
                    DataImport(
                        id=import_id,
                        master_flow_id=master_id,
                        filename=filename,
                        file_size=2048 + 180 * len(slice_),
                        source_system=source,
                        status="completed" if done else "pending",
                        columns=columns,
                        total_records=len(slice_),
                        processed_records=len(slice_),
                        completed_at=started + timedelta(minutes=2) if done else None,
                        imported_by=core.user_id,
                        mime_type="text/csv"
                        if filename.endswith(".csv")
                        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        import_metadata={"demo": True, "encoding": "utf-8"},
                        **scope,
                    )
                )
                s.flush()
                for idx, a in enumerate(slice_, start=2):
                    cells = [
                        str(a["asset_name"]),
                        str(a["fqdn"]),
                        str(a["ip_address"]),
                        str(a["operating_system"]),
                        str(a["cpu_cores"]),
                        str(int(a["memory_gb"])),
                        str(a["environment"]).title(),
                        str(a["application_name"]),
                        str(a["business_owner"]),
                    ]
                    s.add(
                        RawImportRecord(
                            id=_uid(import_id, idx),
                            data_import_id=import_id,
                            record_index=idx,
                            cells=cells,
                            is_processed=done >= 3,
                            **scope,
                        )
                    )
                targets = (
                    "asset_name",
                    "fqdn",
                    "ip_address",
                    "operating_system",
                    "cpu_cores",
                    "memory_gb",
                    "environment",
                    "application_name",
                    "business_owner",
                )
                for pos, (col, target) in enumerate(zip(columns, targets, strict=True) if done else ()):
                    status = "approved" if done >= 2 else "suggested"
                    s.add(
                        ImportFieldMapping(
                            data_import_id=import_id,
                            source_field=col,
                            source_position=pos,
                            target_field=target,
                            confidence_score=0.92 - 0.03 * (pos % 4),
                            match_type="synonym",
                            suggested_by="rules",
                            status=status,
                            approved_by=core.user_id if status == "approved" else None,
                            approved_at=started + timedelta(hours=1) if status == "approved" else None,
                            explanation=f"header {col!r} is a known name for {target}",
                            **scope,
                        )
                    )
                s.flush()
                create_discovery_flow(
                    uow,
                    data_import_id=import_id,
                    flow_name=f"Discovery of {filename}",
                    master_flow_id=master_id,
                    flow_id=flow_id,
                )
                added["imports"] += 1
                added["flows"] += 1
                if done >= 4:
                    for k, a in enumerate(slice_):
                        asset_id = _uid(ref.engagement_id, "asset", a["hostname"])
                        if s.get(Asset, asset_id) is not None:
                            continue
                        s.add(
                            Asset(
                                id=asset_id,
                                master_flow_id=master_id,
                                discovery_flow_id=flow_id,
                                data_import_id=import_id,
                                source_record_ids=[str(_uid(import_id, k + 2))],
                                identity_key=f"hostname:{a['hostname']}",
                                **scope,
                                **a,
                            )
                        )
                        added["assets"] += 1
                    s.flush()
                _advance_demo_flow(uow, flow_id, done, _demo_analyses(filename, len(slice_)))
            # the rest of the estate, known but not yet tied to an import of this demo
            for a in assets:
                asset_id = _uid(ref.engagement_id, "asset", a["hostname"])
                if (
                    s.get(Asset, asset_id) is None
                    and s.scalar(select(Asset.id).where(Asset.id == asset_id)) is None
                ):
                    s.add(
                        Asset(
                            id=asset_id,
                            identity_key=f"hostname:{a['hostname']}",
                            client_account_id=ref.client_account_id,
                            engagement_id=ref.engagement_id,
                            **a,
                        )
                    )
                    added["assets"] += 1
            uow.commit()
    return added
