"""Test data for the asset-screen tests (no tests here): a few hundred real assets.

Three overlapping exports — a CMDB, an RVTools VM list and a consultant's spreadsheet — go through
the real path: imports with decided mappings, then `run_flow` (mapping finished, cleansing,
inventory). The result has merged assets with lineage, conflicting sources, invalid values in the
quality report, and one pair of same-named machines kept apart (a duplicate candidate).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from inventory.builders import Made, make_import  # tests/inventory: the same import set-up

from core.bootstrap import Core
from core.pipeline import run_flow
from core.tenancy import EngagementRef
from core.uow import Tenant
from desktop_app.screens.registry import Selection

ROLES = ("web", "app", "db", "fs", "mq", "etl")
CMDB_ROWS = 240
RVTOOLS_ROWS = 200
SHEET_ROWS = 60
OS_NAMES = (
    "Microsoft Windows Server 2019 (64-bit)",
    "Red Hat Enterprise Linux 8 (64-bit)",
    "Ubuntu Linux (64-bit)",
)
BAD_RAM = frozenset({7, 77, 177})  # CMDB rows with "lots" as RAM (rule "number")


def host(i: int) -> str:
    return f"{ROLES[i % len(ROLES)]}{i:03d}"


def ip(i: int) -> str:
    return f"10.1.{i // 250}.{i % 250 + 1}"


@dataclass(frozen=True)
class AssetEstate:
    engagement: EngagementRef
    tenant: Tenant
    cmdb: Made
    rvtools: Made
    sheet: Made

    @property
    def selection(self) -> Selection:
        e = self.engagement
        return Selection(e.client_account_id, e.client_name, e.engagement_id, e.engagement_name)

    def import_selection(self, made: Made, name: str) -> Selection:
        return Selection(
            self.engagement.client_account_id,
            self.engagement.client_name,
            self.engagement.engagement_id,
            self.engagement.engagement_name,
            made.import_id,
            name,
            made.flow_id,
        )


def build_asset_estate(core: Core, engagement: EngagementRef) -> AssetEstate:
    tenant = core.tenant_for(engagement)
    cmdb_rows: list[list[str | None]] = []
    for i in range(CMDB_ROWS):
        name = host(i).upper() if i % 5 == 0 else host(i)
        cmdb_rows.append(
            [
                f"sys{i:04d}",
                name,
                f"{host(i)}.corp.example.com" if i % 3 == 0 else "",
                ip(i),
                f"SN{i:05d}",
                OS_NAMES[i % 3] if i % 8 else "Windows Server 2019 Standard",
                "lots" if i in BAD_RAM else str(4096 * (1 + i % 4)),
                ("PROD", "Test", "dev")[i % 3],
                f"owner{i % 7}",
                "2021-04-13" if i % 4 else "13.04.2021",
            ]
        )
    cmdb = make_import(
        core, tenant, "cmdb_ci_server.csv",
        ["sys_id", "name", "fqdn", "ip", "serial", "os", "ram_mb", "env", "owner", "installed"],
        cmdb_rows,
        {"sys_id": "external_id", "name": "hostname", "fqdn": "fqdn", "ip": "ip_address",
         "serial": "serial_number", "os": "operating_system", "ram_mb": ("memory_gb", {"scale": 1 / 1024}),
         "env": "environment", "owner": "business_owner", "installed": "install_date"},
        source_system="ServiceNow CMDB",
    )  # fmt: skip
    rv_rows: list[list[str | None]] = []
    for i in range(RVTOOLS_ROWS):
        # every 10th VM has more memory in RVTools than in the CMDB: a conflict RVTools wins
        mem = 4096 * (1 + i % 4) * (2 if i % 10 == 0 else 1)
        rv_rows.append(
            [
                host(i),
                f"{host(i)}.corp.example.com",
                ip(i),
                str(mem),
                str(2 + i % 6),
                OS_NAMES[i % 3],
                f"vm-{1000 + i}",
                "vc01",
                "poweredOn" if i % 9 else "poweredOff",
            ]
        )  # fmt: skip
    for n, domain in enumerate(("corp.example.com", "dmz.example.com")):  # same name, two machines
        rv_rows.append(
            ["dup01", f"dup01.{domain}", f"10.9.0.{n + 1}", "8192", "2", "Ubuntu Linux (64-bit)",
             f"vm-9{n}", "vc01", "poweredOn"]
        )  # fmt: skip
    rvtools = make_import(
        core, tenant, "rvtools.xlsx",
        ["VM", "DNS Name", "Primary IP Address", "Memory", "CPUs", "OS", "VM ID", "VI SDK Server",
         "Powerstate"],
        rv_rows,
        {"VM": "asset_name", "DNS Name": "fqdn", "Primary IP Address": "ip_address",
         "Memory": ("memory_gb", {"scale": 1 / 1024}), "CPUs": "cpu_cores", "OS": "operating_system",
         "VM ID": "vm_id", "VI SDK Server": "vcenter", "Powerstate": "power_state"},
        source_system="RVTools",
    )  # fmt: skip
    sheet_rows: list[list[str | None]] = []
    for i in range(SHEET_ROWS):
        j = i * 4  # every 4th machine, RAM in GB (sometimes stale)
        sheet_rows.append(
            [host(j), ip(j), str(4 * (1 + j % 4) + (8 if i % 6 == 0 else 0)),
             ("Production", "Test", "Dev")[j % 3], f"Tier {1 + i % 4}",
             "big" if i % 15 == 0 else str(50 * (1 + i % 5))]
        )  # fmt: skip
    sheet = make_import(
        core, tenant, "server_list.xlsx",
        ["Server Name", "IP", "RAM (GB)", "Environment", "Criticality", "Disk (GB)"],
        sheet_rows,
        {"Server Name": "hostname", "IP": "ip_address", "RAM (GB)": "memory_gb", "Environment": "environment",
         "Criticality": "business_criticality", "Disk (GB)": "storage_gb"},
    )  # fmt: skip
    for made in (cmdb, rvtools, sheet):
        run_flow(core.uows, tenant, made.flow_id)
    return AssetEstate(engagement, tenant, cmdb, rvtools, sheet)


def new_engagement(core: Core, label: str) -> EngagementRef:
    from core import tenancy

    suffix = uuid.uuid4().hex[:8]
    return tenancy.ensure_engagement(
        core.db.admin_sessions(), f"Acme {label} {suffix}", f"Datacentre exit {suffix}", core.user_id
    )
