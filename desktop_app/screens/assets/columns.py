"""What the asset table knows about each canonical field: header text with its unit, kind, format.

Why one module: the table, the column chooser, the lineage panel, the merge review and the
background page loader all label and format fields the same way ("memory_gb" → "Memory (GB)",
16.0 → "16", True → "✓"), and formatting happens in the worker thread, not in `data()`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from core.cleansing.fields import asset_fields

#: shown when nothing else is chosen (and by "Reset columns")
DEFAULT_COLUMNS: tuple[str, ...] = (
    "asset_name", "asset_type", "fqdn", "ip_address", "operating_system", "environment", "cpu_cores",
    "memory_gb", "storage_gb", "is_virtual", "power_state", "application_name", "business_criticality",
    "discovery_source",
)  # fmt: skip

#: groups of the column chooser menu (fields not listed land in "Other")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Identity": (
        "asset_name", "hostname", "fqdn", "asset_type", "external_id", "serial_number", "asset_tag",
        "description",
    ),
    "Network": ("ip_address", "ip_addresses", "mac_address", "subnet", "dns_domain", "nic_count"),
    "Compute": (
        "cpu_sockets", "cpu_cores", "cpu_logical_processors", "cpu_model", "cpu_speed_mhz",
        "cpu_utilization_avg_pct", "cpu_utilization_peak_pct", "memory_gb", "memory_utilization_avg_pct",
        "memory_utilization_peak_pct",
    ),
    "Storage and I/O": (
        "storage_gb", "storage_used_gb", "disk_count", "snapshot_count", "disk_read_kbps_avg",
        "disk_write_kbps_avg", "disk_read_iops_avg", "disk_write_iops_avg", "network_in_kbps_avg",
        "network_out_kbps_avg",
    ),
    "OS and virtualisation": (
        "operating_system", "os_version", "os_architecture", "os_family", "is_virtual",
        "virtualization_platform", "vm_id", "vcenter", "datacenter", "cluster", "physical_host",
        "power_state", "manufacturer", "model", "tools_status", "tools_version",
    ),
    "Business": (
        "environment", "location", "business_unit", "application_name", "business_owner",
        "technical_owner", "support_group", "business_criticality", "cost_center", "data_classification",
        "tags",
    ),
    "Lifecycle and migration": (
        "operational_status", "install_date", "last_seen", "discovery_source", "warranty_expiration",
        "database_engine", "database_version", "database_size_gb", "migration_wave", "sixr_strategy",
        "migration_complexity",
    ),
}  # fmt: skip

_WORDS = {
    "cpu": "CPU",
    "os": "OS",
    "ip": "IP",
    "fqdn": "FQDN",
    "mac": "MAC",
    "dns": "DNS",
    "vm": "VM",
    "id": "ID",
    "sixr": "6R",
    "vcenter": "vCenter",
}
#: name parts that only repeat the unit (dropped from the label, the unit goes in brackets)
_UNIT_WORDS = frozenset({"gb", "mhz", "pct", "kbps", "iops"})
_UNIT_TEXT = {"percent": "%"}
_SPECIAL = {"is_virtual": "Virtual", "id": "Asset ID"}

NUMERIC_KINDS = frozenset({"integer", "float"})
TRUE_MARK, FALSE_MARK = "✓", "✗"


@dataclass(frozen=True)
class Column:
    """One field as the table shows it."""

    name: str
    kind: str  # string | integer | float | boolean | datetime | json | uuid
    unit: str | None
    label: str

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def header(self) -> str:
        """Label with the unit: "Memory (GB)"."""
        if not self.unit:
            return self.label
        return f"{self.label} ({_UNIT_TEXT.get(self.unit, self.unit)})"


def _label(name: str) -> str:
    if name in _SPECIAL:
        return _SPECIAL[name]
    words = [w for w in name.split("_") if w not in _UNIT_WORDS] or name.split("_")
    first = _WORDS.get(words[0], words[0][:1].upper() + words[0][1:])
    return " ".join([first, *(_WORDS.get(w, w) for w in words[1:])])


@cache
def columns() -> dict[str, Column]:
    """Every field the table can show, in contract order (`id` first)."""
    out = {"id": Column("id", "uuid", None, _label("id"))}
    for spec in asset_fields().values():
        out[spec.name] = Column(spec.name, spec.type, spec.unit, _label(spec.name))
    return out


def column(name: str) -> Column:
    return columns()[name]


def header(name: str) -> str:
    """Header text of a field, e.g. `header("memory_gb") == "Memory (GB)"`."""
    found = columns().get(name)
    return found.header if found else name


def valid_columns(names: Iterable[str]) -> list[str]:
    """Known field names, deduplicated, in the given order (settings may hold stale names)."""
    known = columns()
    return [n for n in dict.fromkeys(names) if n in known]


def category_of(name: str) -> str:
    for title, names in CATEGORIES.items():
        if name in names:
            return title
    return "Other"


# ----------------------------------------------------------------------------- formatting


def format_number(value: float | int) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if value != value:  # NaN
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_value(kind: str, value: Any) -> str:
    """Display text of a typed value (runs in the page loader's worker thread)."""
    if value is None:
        return ""
    if kind == "boolean":
        return TRUE_MARK if value else FALSE_MARK
    if kind in NUMERIC_KINDS and isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value
        if (utc.hour, utc.minute, utc.second) == (0, 0, 0):  # a date (sources give days, stored UTC)
            return f"{utc:%Y-%m-%d}"
        return f"{value.astimezone() if value.tzinfo else value:%Y-%m-%d %H:%M}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def format_field(name: str, value: Any) -> str:
    """`format_value` for a field by name; unknown names and raw JSON shown as text."""
    found = columns().get(name)
    if found is None:
        return value if isinstance(value, str) else json.dumps(value, default=str)
    return format_value(found.kind, value)
