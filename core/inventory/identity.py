"""Which raw records describe the same machine, and whose value wins when they disagree.

Identity (deduplication across all imports of an engagement)
------------------------------------------------------------
Records are clustered with a union-find over match keys, strongest first; a weaker key never
joins two clusters that a stronger key tells apart:

1. consultant merge decisions (`asset_merge_decisions`): always joined;
2. `external_id` within the same source system (import `source_system`, else the import itself);
3. `vm_id` + `vcenter` (a bare `vm_id` only when it is a globally unique UUID);
4. `serial_number`, by its key (`core.values.identifiers.serial_key`): the VMware serial
   `VMware-42 1a ...`, vCenter's BIOS UUID `421a...-...` and the SMBIOS UUID Windows reports with its
   first three fields byte-swapped are one key; placeholder serials such as "To be filled by O.E.M."
   are ignored;
5. `fqdn` exactly; a bare host name (`web01`, or a host-name-like `asset_name` when there is
   neither host name nor FQDN) joins the one FQDN whose first label it is — only when exactly one
   FQDN in the engagement has that short name (unambiguous); bare names with no FQDN join each other;
6. `ip_address` + short host name (resolves the bare names left ambiguous by step 5).

Host names are compared case-insensitively (cleansing lower-cases them). Two clusters *conflict*
— and are not joined by a weaker key — when both know a stronger key and the values differ:
different external ids of the same source system, different vm ids of the same vCenter,
different serials, or different FQDNs.

Source precedence (which value an asset shows)
----------------------------------------------
Each import is classified from its `import_metadata["source_kind"]`, else from words in its
`source_system`, file and sheet name: *discovery* tools (RVTools, vCenter, Azure Migrate,
Lansweeper, SCCM, ...), *cmdb* (ServiceNow, BMC Helix, iTop, ...) or *spreadsheet* (anything else).

- Technical fields (hardware, OS, network, virtualisation, utilisation): discovery > cmdb >
  spreadsheet — tools measure, people type.
- Business fields (`BUSINESS_FIELDS`: environment, owners, criticality, application, cost centre,
  lifecycle, migration planning, ...): cmdb > spreadsheet > discovery — tools do not know owners.
- Ties: the newer import (later `created_at`) wins; inside one import the earlier row wins.

The losing values are not lost: every field on which the records disagree gets an entry in the
asset's `field_conflicts` with each distinct value, where it came from and which one was chosen.
Numbers within 0.5 % of each other, strings equal up to case/whitespace and identifiers with the
same key (`same_field_value`: one serial or VM id written two ways) are not conflicts.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.values import identifiers

DISCOVERY, CMDB, SPREADSHEET = "discovery", "cmdb", "spreadsheet"
SOURCE_KINDS = (DISCOVERY, CMDB, SPREADSHEET)
TECHNICAL_RANK = {DISCOVERY: 3, CMDB: 2, SPREADSHEET: 1}
BUSINESS_RANK = {CMDB: 3, SPREADSHEET: 2, DISCOVERY: 1}
BUSINESS_FIELDS = frozenset(
    {
        "asset_tag", "description", "environment", "location", "business_unit", "application_name",
        "business_owner", "technical_owner", "support_group", "business_criticality", "cost_center",
        "data_classification", "tags", "operational_status", "warranty_expiration", "migration_wave",
        "sixr_strategy", "migration_complexity",
    }
)  # fmt: skip

_CMDB_WORDS = (
    "cmdb",
    "servicenow",
    "service-now",
    "service now",
    "bmc",
    "helix",
    "remedy",
    "ivanti",
    "jira assets",
    "itop",
    "topdesk",
    "cherwell",
    "freshservice",
    "hp sm",
    "ucmdb",
    "ci export",
)
_DISCOVERY_WORDS = (
    "rvtools",
    "rv tools",
    "vcenter",
    "vsphere",
    "vmware",
    "discovery",
    "scan",
    "lansweeper",
    "sccm",
    "mecm",
    "configmgr",
    "azure migrate",
    "application discovery",
    "device42",
    "flexera",
    "tanium",
    "cloudamize",
    "movere",
    "qualys",
    "dynatrace",
    "datadog",
    "solarwinds",
    "stratozone",
    "hyper-v",
    "nutanix",
    "prism",
    "tool",
    "agent",
    "collector",
)


def source_kind(
    source_system: str | None, filename: str | None, sheet: str | None, metadata: dict[str, Any] | None
) -> str:
    """discovery, cmdb or spreadsheet for one import (see the module docstring)."""
    explicit = (metadata or {}).get("source_kind")
    if explicit in SOURCE_KINDS:
        return str(explicit)
    words = " ".join(x for x in (source_system, filename, sheet) if x).casefold()
    if any(w in words for w in _CMDB_WORDS):
        return CMDB
    if any(w in words for w in _DISCOVERY_WORDS):
        return DISCOVERY
    return SPREADSHEET


@dataclass
class ImportInfo:
    """What precedence and lineage need to know about one import.

    `field_sources` is the mapping snapshot of the import's cleansing run (its quality report):
    lineage reads the rule text of a recorded source column from it. `lineage_cache` memoises that.
    """

    id: uuid.UUID
    filename: str
    sheet: str | None
    columns: list[str]  # the header: recorded lineage names a source column by its position here
    source_system: str | None
    kind: str
    created_at: datetime
    order: int = 0  # position by created_at: higher is newer
    flow_id: uuid.UUID | None = None
    master_flow_id: uuid.UUID | None = None
    field_sources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lineage_cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    sid: str = ""

    def __post_init__(self) -> None:
        self.sid = str(self.id)


@dataclass(slots=True)
class Record:
    """One cleansed raw record taking part in the inventory (ranks precomputed: hot path).

    `lineage` is the record's `cleansed_lineage` (per field the position of the cell cleansing kept
    the value from, in `imp.columns` and `cells`; see `core.cleansing.service`); None for a record
    cleansed before lineage was recorded.
    """

    id: str  # the raw record's uuid as text (as in `source_record_ids`)
    imp: ImportInfo
    index: int
    cells: list[str | None]
    values: dict[str, Any]
    lineage: dict[str, Any] | None = None
    rank_t: tuple[int, int, int] = (0, 0, 0)
    rank_b: tuple[int, int, int] = (0, 0, 0)
    detail_lineage: dict[str, Any] | None = None
    """Lineage of the values an RVTools export's detail sheets added (`core.inventory.details.attach`)."""

    def __post_init__(self) -> None:
        self.rank_t = (TECHNICAL_RANK[self.imp.kind], self.imp.order, -self.index)
        self.rank_b = (BUSINESS_RANK[self.imp.kind], self.imp.order, -self.index)

    def rank(self, business: bool) -> tuple[int, int, int]:
        return self.rank_b if business else self.rank_t


# ----------------------------------------------------------------------------- keys

_HOSTLIKE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

#: the serial key (`core.values.identifiers`); named here too, where the identity rules are read
serial_key = identifiers.serial_key


def short_name(values: dict[str, Any]) -> str | None:
    """Short host name: host name, else first FQDN label, else a host-name-like asset name."""
    host = values.get("hostname")
    if host:
        return str(host).split(".", 1)[0].lower()
    fqdn = values.get("fqdn")
    if fqdn:
        return str(fqdn).split(".", 1)[0].lower()
    name = values.get("asset_name")
    if isinstance(name, str):
        low = name.strip().lower()
        first = low.split(".", 1)[0]
        if _HOSTLIKE.match(first) and ("." not in low or _HOSTLIKE.match(low.replace(".", "-"))):
            return first
    return None


def full_name(values: dict[str, Any]) -> str | None:
    """FQDN, also from a dotted host-name-like asset name when neither host nor FQDN is known."""
    fqdn = values.get("fqdn")
    if fqdn:
        return str(fqdn).lower()
    if values.get("hostname"):
        return None
    name = values.get("asset_name")
    if isinstance(name, str):
        low = name.strip().lower().rstrip(".")
        if (
            "." in low
            and all(_HOSTLIKE.match(p) for p in low.split("."))
            and not low.replace(".", "").isdigit()
        ):
            return low
    return None


@dataclass(slots=True)
class Keys:
    """Match keys of one record (None where the record does not know it)."""

    ext: tuple[str, str] | None = None  # (scope, id)
    vm: tuple[str, str] | None = None  # (vcenter, vm id)
    serial: str | None = None
    fqdn: str | None = None
    name: str | None = None
    ip: str | None = None

    @property
    def identifiable(self) -> bool:
        return any((self.ext, self.vm, self.serial, self.fqdn, self.name, self.ip))


def record_keys(rec: Record) -> Keys:
    v = rec.values
    keys = Keys()
    ext = v.get("external_id")
    if ext:
        scope = (rec.imp.source_system or "").strip().casefold() or f"import:{rec.imp.id}"
        keys.ext = (scope, str(ext).strip().casefold())
    vm = v.get("vm_id")
    if vm:
        vm_text = str(vm)
        vm_key = identifiers.vm_id_key(vm_text)
        vcenter = str(v.get("vcenter") or "").strip().casefold()
        if vm_key and vcenter:
            keys.vm = (vcenter, vm_key)
        elif vm_key and identifiers.uuid_digits(vm_text) is not None:
            keys.vm = ("", vm_key)  # a UUID is unique without its vCenter
    serial = v.get("serial_number")
    if serial:
        keys.serial = serial_key(str(serial))
    keys.fqdn = full_name(v)
    keys.name = short_name(v)
    ip = v.get("ip_address")
    if ip:
        keys.ip = str(ip)
    return keys


# ----------------------------------------------------------------------------- clustering


class _Component:
    """Strong keys a cluster knows (None until it knows one): what the conflict rule compares."""

    __slots__ = ("ext", "fqdn", "serial", "vm")

    def __init__(self, k: Keys) -> None:
        self.ext: dict[str, set[str]] | None = {k.ext[0]: {k.ext[1]}} if k.ext else None
        self.vm: dict[str, set[str]] | None = {k.vm[0]: {k.vm[1]}} if k.vm else None
        self.serial: set[str] | None = {k.serial} if k.serial else None
        self.fqdn: set[str] | None = {k.fqdn} if k.fqdn else None

    def absorb(self, other: _Component) -> None:
        if other.ext:
            if self.ext is None:
                self.ext = {}
            for scope, ids in other.ext.items():
                self.ext.setdefault(scope, set()).update(ids)
        if other.vm:
            if self.vm is None:
                self.vm = {}
            for scope, ids in other.vm.items():
                self.vm.setdefault(scope, set()).update(ids)
        if other.serial:
            self.serial = self.serial | other.serial if self.serial else set(other.serial)
        if other.fqdn:
            self.fqdn = self.fqdn | other.fqdn if self.fqdn else set(other.fqdn)


def _scoped_conflict(a: dict[str, set[str]] | None, b: dict[str, set[str]] | None) -> bool:
    if not a or not b:
        return False
    if len(b) < len(a):
        a, b = b, a
    return any(scope in b and ids.isdisjoint(b[scope]) for scope, ids in a.items())


# strength of each key level: a join at level L is refused when a stronger attribute conflicts
_LEVEL_EXT, _LEVEL_VM, _LEVEL_SERIAL, _LEVEL_NAME, _LEVEL_IP = 1, 2, 3, 4, 5


class Clusters:
    """Union-find over record positions, with the conflict rule of the module docstring."""

    def __init__(self, keys: Sequence[Keys]) -> None:
        self.parent = list(range(len(keys)))
        self.comp = [_Component(k) for k in keys]

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def conflicts(self, ra: int, rb: int, level: int) -> bool:
        a, b = self.comp[ra], self.comp[rb]
        if level > _LEVEL_EXT and _scoped_conflict(a.ext, b.ext):
            return True
        if level > _LEVEL_VM and _scoped_conflict(a.vm, b.vm):
            return True
        if level > _LEVEL_SERIAL and a.serial and b.serial and a.serial.isdisjoint(b.serial):
            return True
        return level > _LEVEL_NAME - 1 and bool(a.fqdn) and bool(b.fqdn) and a.fqdn.isdisjoint(b.fqdn)

    def union(self, i: int, j: int, level: int = 0) -> bool:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return True
        if level and self.conflicts(ri, rj, level):
            return False
        if ri > rj:  # the older record's root stays root: deterministic
            ri, rj = rj, ri
        self.parent[rj] = ri
        self.comp[ri].absorb(self.comp[rj])
        self.comp[rj] = None  # type: ignore[assignment]
        return True

    def groups(self, members: Iterable[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for i in members:
            out[self.find(i)].append(i)
        return out


def cluster(
    records: Sequence[Record], must_link: Iterable[Sequence[int]] = ()
) -> tuple[list[list[int]], list[int]]:
    """Clusters of record positions (each one asset) and the positions of unidentifiable records."""
    keys = [record_keys(r) for r in records]
    uf = Clusters(keys)
    for group in must_link:
        for other in group[1:]:
            uf.union(group[0], other)

    def join_all(level: int, index: dict[Any, list[int]]) -> None:
        for members in index.values():
            first = members[0]
            for other in members[1:]:
                uf.union(first, other, level)

    by_ext: dict[Any, list[int]] = defaultdict(list)
    by_vm: dict[Any, list[int]] = defaultdict(list)
    by_serial: dict[str, list[int]] = defaultdict(list)
    by_fqdn: dict[str, list[int]] = defaultdict(list)
    bare: dict[str, list[int]] = defaultdict(list)
    by_ip_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    fqdns_of_short: dict[str, set[str]] = defaultdict(set)
    for i, k in enumerate(keys):
        if k.ext:
            by_ext[k.ext].append(i)
        if k.vm:
            by_vm[k.vm].append(i)
        if k.serial:
            by_serial[k.serial].append(i)
        if k.fqdn:
            by_fqdn[k.fqdn].append(i)
            fqdns_of_short[k.fqdn.split(".", 1)[0]].add(k.fqdn)
        elif k.name:
            bare[k.name].append(i)
        if k.ip and k.name:
            by_ip_name[(k.ip, k.name)].append(i)
    join_all(_LEVEL_EXT, by_ext)
    join_all(_LEVEL_VM, by_vm)
    join_all(_LEVEL_SERIAL, by_serial)
    join_all(_LEVEL_NAME, by_fqdn)
    for name, members in bare.items():
        fqdns = fqdns_of_short.get(name)
        if fqdns and len(fqdns) > 1:
            continue  # ambiguous short name: left to ip + name
        anchor = by_fqdn[next(iter(fqdns))][0] if fqdns else members[0]
        for other in members:
            uf.union(anchor, other, _LEVEL_NAME)
    join_all(_LEVEL_IP, by_ip_name)
    ids = [i for i, k in enumerate(keys) if k.identifiable]
    lost = [i for i, k in enumerate(keys) if not k.identifiable]
    groups = uf.groups(ids)
    return sorted(groups.values(), key=lambda g: g[0]), lost


def identity_key(values: dict[str, Any]) -> str | None:
    """Human-readable strongest name of an asset (indexed; for look-ups, not for matching)."""
    for prefix, name in (
        ("fqdn", "fqdn"),
        ("host", "hostname"),
        ("serial", "serial_number"),
        ("vm", "vm_id"),
        ("ext", "external_id"),
        ("ip", "ip_address"),
        ("name", "asset_name"),
    ):
        value = values.get(name)
        if value:
            return f"{prefix}:{str(value).lower()}"[:500]
    return None


# ----------------------------------------------------------------------------- value comparison


def same_field_value(name: str, a: Any, b: Any) -> bool:
    """Equal for conflict purposes as values of field `name`: identifiers by their key, else `same_value`."""
    if name in identifiers.KEYED_FIELDS:
        return same_value(identifiers.comparison_key(name, a), identifiers.comparison_key(name, b))
    return same_value(a, b)


def same_value(a: Any, b: Any) -> bool:
    """Equal for conflict purposes: numbers within 0.5 %, strings up to case and whitespace."""
    if a == b and type(a) is type(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=0.005, abs_tol=1e-9)
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
    return a == b
