"""RVTools workbooks: recognising one, its metadata, and reading its per-VM detail sheets.

An RVTools export is one workbook with a sheet per vSphere object list: `vInfo` (one row per VM)
and, among others, `vDisk`, `vPartition`, `vNetwork`, `vSnapshot`, `vTools`, `vHost`, `vCluster`,
`vSource` and `vMetaData`. It is recognised by that sheet set (`is_rvtools_sheet_set`), never by
its file name. `vMetaData` (RVTools 4.x: one row per vCenter; older versions: Property/Value
rows) names the RVTools version and the vCenter, which become the import's source system.

The detail sheets have a known layout, read by header name (`LAYOUTS`): each attribute lists the
headers different RVTools versions give it ("IPv4 Address" / "IP Address"), so a renamed or
missing column costs that attribute only, and is reported. Every row becomes a `DetailRow`: typed
attributes, per attribute the source column and raw cell (lineage), and the keys that join it to
its VM (VM UUID, VM id, VM name, vCenter) or, for host and cluster rows, to their VMs.

Only the public reader API is used (`open_table(path, sheet=...)` and `TableInfo.sheets`), so
this works for every workbook format the reader supports.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import UserInputError
from core.ingest.detect import detect_format
from core.ingest.model import SourceColumn, TableInfo
from core.ingest.reader import open_table, workbook_sheets
from core.values import parse_bool, parse_date, parse_number
from core.values.network import normalise_mac

MAIN_SHEET = "vInfo"
METADATA_SHEETS = ("vMetaData", "vSource")
#: the sheets RVTools 3.x/4.x writes (recognition counts them)
KNOWN_SHEETS = frozenset(
    name.casefold()
    for name in (
        "vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vCD", "vUSB", "vSnapshot", "vTools",
        "vSource", "vRP", "vCluster", "vHost", "vHBA", "vNIC", "vSwitch", "vPort", "dvSwitch", "dvPort",
        "vSC_VMK", "vDatastore", "vMultiPath", "vLicense", "vFileInfo", "vHealth", "vMetaData",
    )
)  # fmt: skip
MIN_KNOWN_SHEETS = 4
"""vInfo, a metadata sheet and at least two more of RVTools' sheets make a workbook an RVTools export."""
HEADER_ROW = 1
"""RVTools writes every sheet's header on its first row."""
MAX_LISTED = 10
"""Problem rows listed by number per column (all are counted)."""
_NOT_WORKBOOKS = frozenset({"csv", "json", "jsonl", "zip"})
_SPACES = re.compile(r"\s+")
_LIST = re.compile(r"[\s,;|]+")


def header_key(text: str) -> str:
    """How headers are compared: case-insensitive, whitespace collapsed."""
    return _SPACES.sub(" ", text).strip().casefold()


# ----------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Attribute:
    """One value a detail row carries: its key, the headers RVTools versions give it, its type.

    `kind`: text | int | number | mib (a size in MiB, kept in MiB) | bool | datetime (ISO text) |
    ip_list (list of addresses) | mac.
    """

    key: str
    headers: tuple[str, ...]
    kind: str = "text"


@dataclass(frozen=True)
class Layout:
    """A detail sheet: the kind of detail its rows are and the attributes read from them."""

    sheet: str
    kind: str
    attributes: tuple[Attribute, ...]
    keys: tuple[Attribute, ...]
    """Join keys (kept apart from the attributes); at least one of `required` must be present."""
    required: tuple[str, ...]


def _a(key: str, *headers: str, kind: str = "text") -> Attribute:
    return Attribute(key, headers, kind)


_VM_KEYS = (
    _a("vm", "VM", "VM Name", "Virtual Machine"),
    _a("vm_uuid", "VM UUID", "Instance UUID", "VM Instance UUID"),
    _a("vm_id", "VM ID", "VM Id", "VMRef"),
    _a("vcenter", "VI SDK Server", "vCenter", "vCenter Server"),
    _a("host", "Host"),
    _a("cluster", "Cluster"),
)
_VM_REQUIRED = ("vm", "vm_uuid")

LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "vDisk",
        "disk",
        (
            _a("disk", "Disk", "Label"),
            _a("capacity_mib", "Capacity MiB", "Capacity MB", kind="mib"),
            _a("thin", "Thin", kind="bool"),
            _a("mode", "Disk Mode"),
            _a("controller", "Controller"),
            _a("unit", "Unit #", kind="int"),
            _a("path", "Path", "Disk Path"),
            _a("raw", "Raw", kind="bool"),
        ),
        _VM_KEYS,
        _VM_REQUIRED,
    ),
    Layout(
        "vPartition",
        "partition",
        (
            _a("disk", "Disk", "Partition"),
            _a("capacity_mib", "Capacity MiB", "Capacity MB", kind="mib"),
            _a("consumed_mib", "Consumed MiB", "Consumed MB", kind="mib"),
            _a("free_mib", "Free MiB", "Free MB", kind="mib"),
            _a("free_pct", "Free %", kind="number"),
        ),
        _VM_KEYS,
        _VM_REQUIRED,
    ),
    Layout(
        "vNetwork",
        "nic",
        (
            _a("nic", "NIC label", "NIC", "Network adapter"),
            _a("adapter", "Adapter"),
            _a("network", "Network", "Port Group"),
            _a("switch", "Switch"),
            _a("connected", "Connected", kind="bool"),
            _a("mac", "Mac Address", "MAC", kind="mac"),
            _a("ipv4", "IPv4 Address", "IP Address", "IP Addresses", kind="ip_list"),
            _a("ipv6", "IPv6 Address", "IP 6 Address", kind="ip_list"),
        ),
        _VM_KEYS,
        _VM_REQUIRED,
    ),
    Layout(
        "vSnapshot",
        "snapshot",
        (
            _a("name", "Name", "Snapshot name", "Snapshot"),
            _a("description", "Description"),
            _a("created", "Date / time", "Date/time", "Date / Time", "Created", kind="datetime"),
            _a("size_mib", "Size MiB (total)", "Size MB (total)", "Size MiB (vmsn)", "Size MB", kind="mib"),
            _a("quiesced", "Quiesced", kind="bool"),
            _a("state", "State"),
        ),
        _VM_KEYS,
        _VM_REQUIRED,
    ),
    Layout(
        "vTools",
        "tools",
        (
            _a("status", "Tools", "Tools Status", "Tools status"),
            _a("version", "Tools Version"),
            _a("required_version", "Required Version"),
            _a("upgradeable", "Upgradeable", kind="bool"),
            _a("upgrade_policy", "Upgrade Policy"),
            _a("heartbeat", "Heartbeat status"),
        ),
        _VM_KEYS,
        _VM_REQUIRED,
    ),
    Layout(
        "vHost",
        "host",
        (
            _a("cpu_model", "CPU Model"),
            _a("cpus", "# CPU", kind="int"),
            _a("cores", "# Cores", kind="int"),
            _a("memory_mib", "# Memory", kind="mib"),
            _a("esx_version", "ESX Version"),
            _a("vendor", "Vendor"),
            _a("model", "Model"),
            _a("vms", "# VMs", kind="int"),
            _a("maintenance", "in Maintenance Mode", kind="bool"),
        ),
        (_a("host", "Host", "Name"), _a("cluster", "Cluster"), _a("vcenter", "VI SDK Server", "vCenter")),
        ("host",),
    ),
    Layout(
        "vCluster",
        "cluster",
        (
            _a("hosts", "NumHosts", "# Hosts", kind="int"),
            _a("cores", "NumCpuCores", kind="int"),
            _a("threads", "NumCpuThreads", kind="int"),
            _a("ha_enabled", "HA enabled", kind="bool"),
            _a("drs_enabled", "DRS enabled", kind="bool"),
            _a("drs_behavior", "DRS default VM behavior"),
            _a("status", "OverallStatus", "Config status"),
        ),
        (_a("cluster", "Name", "Cluster"), _a("vcenter", "VI SDK Server", "vCenter")),
        ("cluster",),
    ),
)
LAYOUT_BY_SHEET = {layout.sheet.casefold(): layout for layout in LAYOUTS}
DETAIL_SHEETS = tuple(layout.sheet for layout in LAYOUTS)


# ----------------------------------------------------------------------------- recognition


@dataclass(frozen=True)
class RVToolsExport:
    """What makes a workbook an RVTools export, and what its metadata says."""

    sheets: list[str]
    """Every sheet of the workbook, in workbook order."""
    version: str | None = None
    servers: tuple[str, ...] = ()
    """The vCenter(s) (or ESXi hosts) the export was taken from."""
    metadata_sheet: str | None = None
    sheet_rows: dict[str, int] = field(default_factory=dict)
    """Used rows (header included) of each sheet, as `core.ingest.workbook_sheets` counts them."""

    @property
    def detail_sheets(self) -> list[str]:
        """The detail sheets present (their names as in the workbook), in `LAYOUTS` order."""
        present = {s.casefold(): s for s in self.sheets}
        return [present[layout.sheet.casefold()] for layout in LAYOUTS if layout.sheet.casefold() in present]

    @property
    def missing_sheets(self) -> list[str]:
        """Detail sheets RVTools writes that this workbook lacks."""
        present = {s.casefold() for s in self.sheets}
        return [layout.sheet for layout in LAYOUTS if layout.sheet.casefold() not in present]

    @property
    def main_sheet(self) -> str:
        return next((s for s in self.sheets if s.casefold() == MAIN_SHEET.casefold()), MAIN_SHEET)

    @property
    def source_system(self) -> str:
        """`RVTools 4.4.2 — vcenter01.corp.local` (what is known of it)."""
        name = f"RVTools {self.version}" if self.version else "RVTools"
        if self.servers:
            shown = ", ".join(self.servers[:3]) + (
                f" and {len(self.servers) - 3} more" if len(self.servers) > 3 else ""
            )
            name += f" — {shown}"
        return name


def is_rvtools_sheet_set(sheets: list[str]) -> bool:
    """vInfo, vMetaData or vSource, and enough of RVTools' other sheets."""
    names = {s.strip().casefold() for s in sheets}
    if MAIN_SHEET.casefold() not in names:
        return False
    if not any(m.casefold() in names for m in METADATA_SHEETS):
        return False
    return len(names & KNOWN_SHEETS) >= MIN_KNOWN_SHEETS


def recognise(path: str | os.PathLike[str]) -> RVToolsExport | None:
    """The RVTools export `path` is, or None when it is not one (any other table or workbook).

    Lists the workbook's sheets (`workbook_sheets`: no sheet is read) and reads its metadata sheet
    only (small); raises the reader's `UserInputError` for a workbook that cannot be read at all.
    """
    p = Path(path)
    if detect_format(p) != "xlsx":  # any workbook format
        return None
    listed = workbook_sheets(p)
    sheets = [name for name, _ in listed]
    if not is_rvtools_sheet_set(sheets):
        return None
    rows = dict(listed)
    present = {s.casefold(): s for s in sheets}
    meta = next((present[m.casefold()] for m in METADATA_SHEETS if m.casefold() in present), None)
    if meta is None:
        return RVToolsExport(sheets, sheet_rows=rows)
    with open_table(p, sheet=meta, header_row=HEADER_ROW) as table:
        found = _recognised(sheets, table.info, _rows(table))
    return dataclasses.replace(found, sheet_rows=rows) if found is not None else None


def _rows(table: Any, limit: int = 200) -> list[list[str]]:
    return table.sample(limit)


def _recognised(sheets: list[str], info: TableInfo, rows: list[list[str]]) -> RVToolsExport | None:
    if info.format in _NOT_WORKBOOKS or not is_rvtools_sheet_set(list(sheets)):
        return None
    columns = {header_key(c.original): i for i, c in reversed(list(enumerate(info.columns)))}

    def cell(row: list[str], *names: str) -> str:
        for name in names:
            i = columns.get(header_key(name))
            if i is not None and i < len(row) and row[i].strip():
                return row[i].strip()
        return ""

    version: str | None = None
    servers: list[str] = []
    if (info.sheet or "").casefold() == "vmetadata":
        if "rvtools version" in columns or "server" in columns:  # 4.x: one row per vCenter
            for row in rows:
                version = version or cell(row, "RVTools version", "RVTools major version") or None
                server = cell(row, "Server", "vCenter", "VI SDK Server")
                if server and server not in servers:
                    servers.append(server)
        else:  # older: Property / Value rows, or the header row itself is the first pair
            pairs = [[c.original for c in info.columns[:2]], *(r[:2] for r in rows)]
            for pair in pairs:
                if len(pair) < 2:
                    continue
                prop, value = header_key(pair[0]), pair[1].strip()
                if "version" in prop and "rvtools" in prop and value:
                    version = version or value
                elif prop in ("server", "vcenter", "vi sdk server") and value and value not in servers:
                    servers.append(value)
    else:  # vSource: one row per vCenter / host
        for row in rows:
            server = cell(row, "VI SDK Server", "Name")
            if server and server not in servers:
                servers.append(server)
    return RVToolsExport(list(sheets), version, tuple(servers), info.sheet)


def require(path: str | os.PathLike[str], display: str) -> RVToolsExport:
    """The RVTools export `path` is; a `UserInputError` saying what is missing when it is not one."""
    found = recognise(path)
    if found is not None:
        return found
    raise UserInputError(
        "is not an RVTools export: a whole-export import needs a workbook with the vInfo sheet, a "
        "vMetaData or vSource sheet and RVTools' other sheets (vDisk, vNetwork, ...)",
        file=display,
        hint="import it without the RVTools option (one sheet), or export again from RVTools with "
        "'Export all to xlsx'",
    )


# ----------------------------------------------------------------------------- detail rows


@dataclass
class DetailRow:
    """One row of a detail sheet: its typed attributes with their source cells, and its join keys."""

    kind: str
    sheet: str
    row: int
    attributes: dict[str, Any]
    lineage: dict[str, dict[str, str]]
    keys: dict[str, str]


@dataclass
class SheetReport:
    """How a detail sheet was read: rows, the columns used, those missing, cells not understood."""

    sheet: str
    kind: str
    rows: int = 0
    empty_rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    """attribute or key -> the header it was read from."""
    missing: list[str] = field(default_factory=list)
    """Attributes (as their usual header) the sheet has no column for."""
    missing_keys: list[str] = field(default_factory=list)
    """Join keys (as their usual header) the sheet has no column for: its rows join by the others."""
    unreadable: dict[str, list[int]] = field(default_factory=dict)
    """header -> rows (first `MAX_LISTED`) whose cell is not a value of the attribute's type."""
    unreadable_counts: Counter[str] = field(default_factory=Counter)
    skipped: str | None = None
    """Why no row of the sheet was kept (no column to join it on)."""

    def notes(self) -> list[str]:
        """What the consultant should know, in words."""
        out: list[str] = []
        if self.skipped:
            out.append(f"{self.sheet}: {self.skipped}")
            return out
        if self.missing_keys:
            out.append(
                f"{self.sheet}: no column {', '.join(repr(k) for k in self.missing_keys)}; its rows are "
                "joined to their VM by the columns it has"
            )
        if self.missing:
            out.append(f"{self.sheet}: no column for {', '.join(self.missing)} (left empty)")
        for header, count in self.unreadable_counts.items():
            rows = ", ".join(str(r) for r in self.unreadable[header])
            more = (
                f" and {count - len(self.unreadable[header])} more"
                if count > len(self.unreadable[header])
                else ""
            )
            out.append(
                f"{self.sheet}: {count} cell(s) of {header!r} are not readable values (rows {rows}{more})"
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "kind": self.kind,
            "rows": self.rows,
            "empty_rows": self.empty_rows,
            "columns": self.columns,
            "missing_columns": self.missing,
            "missing_keys": self.missing_keys,
            "unreadable": {
                h: {"count": n, "rows": self.unreadable[h]} for h, n in self.unreadable_counts.items()
            },
            "skipped": self.skipped,
        }


def _find(columns: list[SourceColumn], headers: tuple[str, ...], taken: set[int]) -> SourceColumn | None:
    """The first column (file order) with one of `headers`, preferring the earlier header names."""
    by_key: dict[str, SourceColumn] = {}
    for column in columns:
        by_key.setdefault(header_key(column.original or column.name), column)
    for header in headers:
        found = by_key.get(header_key(header))
        if found is not None and found.position not in taken:
            return found
    return None


def _ips(text: str) -> list[str] | None:
    found: list[str] = []
    for part in _LIST.split(text.strip()):
        candidate = part.strip("[]()").split("%", 1)[0].split("/", 1)[0]
        if not candidate:
            continue
        try:
            address = str(ipaddress.ip_address(candidate))
        except ValueError:
            return None
        if address not in found:
            found.append(address)
    return found or None


def typed(kind: str, raw: str) -> Any:
    """The value of a cell for an attribute type; None when the cell is not such a value."""
    text = raw.strip()
    if kind == "text":
        return text
    if kind in ("int", "number", "mib"):
        number = parse_number(text)
        if number is None:
            return None
        if kind == "int" or (number.is_integer() and abs(number) < 2**53):
            return int(number)
        return number
    if kind == "bool":
        return parse_bool(text)
    if kind == "datetime":
        stamp, problem = parse_date(text)
        return None if problem is not None or stamp is None else stamp.isoformat()
    if kind == "ip_list":
        return _ips(text)
    if kind == "mac":
        mac, problem = normalise_mac(text)
        return None if problem is not None else mac
    raise ValueError(f"unknown attribute type {kind!r}")


def read_detail_sheet(
    path: str | os.PathLike[str], sheet: str, layout: Layout, report: SheetReport
) -> Iterator[DetailRow]:
    """Stream the rows of one detail sheet as `DetailRow`s, filling `report` as it goes.

    Raises the reader's `UserInputError` for a sheet that cannot be read.
    """
    with open_table(path, sheet=sheet, header_row=HEADER_ROW, skip_bad_rows=True) as table:
        columns = table.info.columns
        taken: set[int] = set()
        keys: list[tuple[Attribute, SourceColumn]] = []
        for attr in layout.keys:
            found = _find(columns, attr.headers, taken)
            if found is None:
                report.missing_keys.append(attr.headers[0])
                continue
            keys.append((attr, found))
            taken.add(found.position)
            report.columns[attr.key] = found.original or found.name
        if not any(a.key in layout.required for a, _ in keys):
            wanted = " or ".join(
                repr(h) for a in layout.keys if a.key in layout.required for h in a.headers[:2]
            )
            report.skipped = f"no column to join its rows on ({wanted}); the sheet was left out"
            return
        attrs: list[tuple[Attribute, SourceColumn]] = []
        for attr in layout.attributes:
            found = _find(columns, attr.headers, taken)
            if found is None:
                report.missing.append(attr.headers[0])
                continue
            attrs.append((attr, found))
            taken.add(found.position)
            report.columns[attr.key] = found.original or found.name
        for index, cells in table.iter_rows():
            width = len(cells)
            row_keys = {
                a.key: cells[c.position].strip()
                for a, c in keys
                if c.position < width and cells[c.position].strip()
            }
            if not any(k in row_keys for k in layout.required):
                report.empty_rows += 1
                continue
            values: dict[str, Any] = {}
            lineage: dict[str, dict[str, str]] = {}
            for attr, column in attrs:
                raw = cells[column.position] if column.position < width else ""
                if not raw.strip():
                    continue
                header = column.original or column.name
                lineage[attr.key] = {"column": header, "raw": raw}
                value = typed(attr.kind, raw)
                if value is None:
                    report.unreadable_counts[header] += 1
                    listed = report.unreadable.setdefault(header, [])
                    if len(listed) < MAX_LISTED:
                        listed.append(index)
                    continue
                values[attr.key] = value
            report.rows += 1
            yield DetailRow(layout.kind, table.info.sheet or sheet, index, values, lineage, row_keys)
        report.empty_rows += table.empty_rows_dropped
