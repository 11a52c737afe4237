"""The demo estate: realistic servers of one engagement, the same on every run.

Why a generator of its own: every demo source file (CMDB export, RVTools, spreadsheets) describes the
same machines in its own layout, so the inventory merges them as it would a real client's exports.
One `random.Random` seeded with the engagement's name makes the estate, so two runs (and two
machines) write the same files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

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
CRITICALITY = ("low", "medium", "high", "critical")
VENDORS = (("Dell Inc.", "PowerEdge R740"), ("HPE", "ProLiant DL380 Gen10"), ("Lenovo", "ThinkSystem SR650"))


@dataclass(frozen=True)
class Host:
    """One machine of the demo estate, as the truth every source file reports a view of."""

    number: int
    hostname: str
    fqdn: str
    role: str
    site: str
    ip_address: str
    os_name: str
    os_version: str
    os_family: str
    virtual: bool
    cpu_cores: int
    memory_gb: int
    storage_gb: int
    storage_used_pct: float
    cpu_utilization_pct: float
    environment: str
    application: str
    owner: str
    criticality: str
    powered_on: bool
    serial_number: str
    manufacturer: str
    model: str


def estate(seed: str, domain: str, sites: tuple[str, ...], count: int) -> list[Host]:
    """`count` servers spread over `sites`; `seed` (the engagement) makes them reproducible."""
    rng = random.Random(seed)
    hosts = []
    for i in range(1, count + 1):
        prefix, role = rng.choice(ROLES)
        site = rng.choice(sites)
        name = f"{prefix}-{site[:3].lower()}{i:03d}"
        os_name, os_version, family = rng.choice(OS_CHOICES)
        virtual = rng.random() < 0.8
        app = rng.choice(APPS)
        manufacturer, model = ("VMware, Inc.", "VMware Virtual Platform") if virtual else rng.choice(VENDORS)
        hosts.append(
            Host(
                number=i,
                hostname=name,
                fqdn=f"{name}.{domain}",
                role=f"{role} for {app}",
                site=site,
                ip_address=f"10.{rng.randint(1, 60)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}",
                os_name=os_name,
                os_version=os_version,
                os_family=family,
                virtual=virtual,
                cpu_cores=rng.choice((2, 4, 4, 8, 8, 16, 32)),
                memory_gb=rng.choice((4, 8, 16, 16, 32, 64, 128, 256)),
                storage_gb=rng.choice((100, 250, 500, 1000, 2048)),
                storage_used_pct=round(rng.uniform(0.2, 0.9), 2),
                cpu_utilization_pct=round(rng.uniform(3, 75), 1),
                environment=rng.choice(ENVS),
                application=app,
                owner=rng.choice(OWNERS),
                criticality=rng.choice(CRITICALITY),
                powered_on=rng.random() < 0.93,
                serial_number=f"{'VMware-42' if virtual else 'CZ'}{rng.randrange(16**10):010X}",
                manufacturer=manufacturer,
                model=model,
            )
        )
    return hosts
