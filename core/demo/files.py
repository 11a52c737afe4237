"""The demo's source files, written the way the tools that make them write them.

Why real files: the demo goes through `core.imports.import_file` like a consultant's upload, so the
rows, columns, sheet names and lineage it shows are what a real import shows. Each layout is one
tool's view of the estate (`core.demo.estate`): its headers, its units (RVTools counts memory in MiB,
ServiceNow in MB) and the machines it knows.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from core.demo.estate import Host

Cell = str | int | float | None


@dataclass(frozen=True)
class Layout:
    """One tool's export: headers, one row per host it knows, and the sheet (XLSX only)."""

    headers: tuple[str, ...]
    row: Callable[[Host], Sequence[Cell]]
    includes: Callable[[Host], bool] = lambda host: True
    sheet: str | None = None


def _label(environment: str) -> str:
    """How people write environments in their files ("Production", "UAT")."""
    return environment.upper() if len(environment) <= 3 else environment.title()


def _servicenow(h: Host) -> Sequence[Cell]:
    name = h.hostname.upper() if h.number % 3 == 0 else h.hostname
    return (
        name,
        h.fqdn,
        h.ip_address,
        h.os_name,
        h.os_version,
        h.cpu_cores,
        h.memory_gb * 1024,
        h.storage_gb,
        _label(h.environment),
        h.site,
        h.owner,
        h.serial_number,
        "true" if h.virtual else "false",
        h.manufacturer,
        h.model,
        h.role,
    )


def _rvtools(h: Host) -> Sequence[Cell]:
    provisioned = h.storage_gb * 1024
    return (
        h.hostname,
        "poweredOn" if h.powered_on else "poweredOff",
        h.fqdn,
        h.cpu_cores,
        h.memory_gb * 1024,
        provisioned,
        round(provisioned * h.storage_used_pct),
        h.ip_address,
        h.site,
        f"{h.site.split()[0]}-CL{1 + h.number % 3:02d}",
        f"esx{h.number % 7 + 1:02d}.{h.fqdn.split('.', 1)[1]}",
        h.os_name,
    )


COMMENTS = ("", "", "", "owner to confirm", "", "decommission planned 2027", "", "shared with DR")


def _app_owners(h: Host) -> Sequence[Cell]:
    comment = COMMENTS[h.number % len(COMMENTS)]
    return (h.hostname.upper(), h.application, h.owner, h.criticality.title(), _label(h.environment), comment)


def _azure_size(h: Host) -> str:
    """The VM size Azure Migrate would recommend: general purpose, or memory optimised."""
    if h.os_family == "unix":
        return "Not ready for Azure"
    family = "D" if h.memory_gb <= 4 * h.cpu_cores else "E"
    return f"Standard_{family}{min(h.cpu_cores, 64)}s_v5"


def _azure_migrate(h: Host) -> Sequence[Cell]:
    return (
        h.hostname,
        h.ip_address,
        h.os_name,
        h.cpu_cores,
        h.memory_gb * 1024,
        h.storage_gb,
        h.cpu_utilization_pct,
        _azure_size(h),
    )


def _plant_servers(h: Host) -> Sequence[Cell]:
    return (h.hostname, h.ip_address, h.os_name, h.site, h.owner, _label(h.environment), h.memory_gb)


LAYOUTS: dict[str, Layout] = {
    "ServiceNow": Layout(
        (
            "name",
            "fqdn",
            "ip_address",
            "os",
            "os_version",
            "cpu_core_count",
            "ram",
            "disk_space",
            "environment",
            "location",
            "assigned_to",
            "serial_number",
            "virtual",
            "manufacturer",
            "model_id",
            "short_description",
        ),
        _servicenow,
    ),
    "RVTools": Layout(
        (
            "VM",
            "Powerstate",
            "DNS Name",
            "CPUs",
            "Memory",
            "Provisioned MiB",
            "In Use MiB",
            "Primary IP Address",
            "Datacenter",
            "Cluster",
            "Host",
            "OS according to the configuration file",
        ),
        _rvtools,
        includes=lambda h: h.virtual,
        sheet="vInfo",
    ),
    "Spreadsheet:owners": Layout(
        ("Server", "Application", "Business Owner", "Criticality", "Environment", "Comments"),
        _app_owners,
        includes=lambda h: h.number % 5 in (0, 2),
        sheet="Owners",
    ),
    "Azure Migrate": Layout(
        (
            "Machine name",
            "IP address",
            "Operating system",
            "Cores",
            "Memory (MB)",
            "Storage (GB)",
            "CPU utilization (%)",
            "Recommended size",
        ),
        _azure_migrate,
    ),
    "Spreadsheet:plant": Layout(
        ("Hostname", "IP", "OS", "Site", "Owner", "Environment", "RAM (GB)"),
        _plant_servers,
        includes=lambda h: h.number % 4 == 1,
    ),
}


def write_source(path: Path, layout: Layout, hosts: Sequence[Host]) -> int:
    """Write `layout`'s view of `hosts` to `path` (CSV or XLSX by its suffix); returns the row count."""
    rows = [list(layout.row(h)) for h in hosts if layout.includes(h)]
    if path.suffix.lower() == ".xlsx":
        wb = Workbook(write_only=True)
        sheet = wb.create_sheet(layout.sheet or "Sheet1")
        sheet.append(list(layout.headers))
        for row in rows:
            sheet.append(row)
        wb.save(path)
    else:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(layout.headers)
            writer.writerows(rows)
    return len(rows)
