"""Per-asset details of a whole RVTools export: joined to the VM, summed into asset fields, read.

An RVTools import (`import FILE --rvtools`) stores each row of its detail sheets — vDisk,
vPartition, vNetwork, vSnapshot, vTools, vHost, vCluster — as an `asset_details` row
(`core.imports.rvtools`). This module is everything the inventory does with them:

- `join_details` (every inventory run of the import, before its records are loaded): joins each
  VM-level row (disk, partition, nic, snapshot, tools) to the import's vInfo record of its VM — by
  VM UUID (instance UUID) when the row and vInfo have one, else by VM id (MoRef) + vCenter, else
  by VM name + vCenter (VI SDK Server), else by a VM name that only one VM has — and stores which
  record and how (`record_id`, `match`). A row whose VM vInfo does not list keeps `match` NULL:
  it is counted and reported, never dropped. Host and cluster rows are shared by their VMs; they
  count as joined when a VM of the import runs on that host or in that cluster. Only what changed
  is written, so a re-run writes nothing.
- `attach` (wherever records are loaded for resolving an asset: the inventory, merges, splits):
  gives each joined vInfo record the values its details add — `disk_count` and `storage_gb` from
  vDisk, `storage_used_gb` from vPartition's consumed space, `nic_count` and `ip_addresses` from
  vNetwork (`ip_address`, `mac_address` where vInfo had none), `snapshot_count` (0 when the sheet
  was read and names no snapshot of the VM), `tools_status` and `tools_version` from vTools — with
  lineage naming the detail sheet, its rows, the source column and the raw cells. A detail value
  replaces the vInfo value of the same field (vInfo's "In Use MiB" counts swap and snapshot files,
  the partitions count what the guest stores); the rule says which vInfo cell it replaced.
- `assign_assets`: after the assets are written, each joined row points at the asset holding its
  record (`asset_id`), also after a merge or a split.
- `asset_details_of`: an asset's details for the lineage panel and the CLI, host and cluster
  through the VM's own host and cluster, with sheet, row and column of every value.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text

from core.db.models import Asset, AssetDetail, DataImport
from core.ingest.rvtools import header_key
from core.inventory.identity import Record, same_value
from core.uow import UnitOfWork
from core.values.identifiers import uuid_key

VM_KINDS = ("disk", "partition", "nic", "snapshot", "tools")
SHARED_KINDS = ("host", "cluster")
MAX_UNKNOWN_LISTED = 20
MAX_LINEAGE_ROWS = 50
MAX_RAW_SHOWN = 12
MIB_PER_GB = 1024
_SHARED_KEYS = ("host", "cluster", "vcenter")

#: the vInfo columns the join reads (tolerant across RVTools versions, like the detail sheets)
VINFO_KEYS: dict[str, tuple[str, ...]] = {
    "vm": ("VM", "VM Name", "Virtual Machine"),
    "vm_uuid": ("VM UUID", "Instance UUID", "VM Instance UUID"),
    "vm_id": ("VM ID", "VM Id", "VMRef"),
    "vcenter": ("VI SDK Server", "vCenter", "vCenter Server"),
    "host": ("Host",),
    "cluster": ("Cluster",),
}

# how a row was joined (`asset_details.match`)
BY_UUID, BY_VM_ID, BY_NAME_VCENTER, BY_NAME = "vm_uuid", "vm_id+vcenter", "name+vcenter", "name"


def _fold(value: str | None) -> str:
    return (value or "").strip().casefold()


def _positions(columns: Sequence[str]) -> dict[str, int]:
    """Position of each join key's column in the import's header (first alias found)."""
    by_key: dict[str, int] = {}
    for i, name in enumerate(columns):
        by_key.setdefault(header_key(name), i)
    out: dict[str, int] = {}
    for key, headers in VINFO_KEYS.items():
        for header in headers:
            if header_key(header) in by_key:
                out[key] = by_key[header_key(header)]
                break
    return out


@dataclass
class _VmIndex:
    """The import's VMs by every key a detail row may name them by."""

    by_uuid: dict[str, str] = field(default_factory=dict)
    by_ref: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    names: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    refs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    hosts: set[tuple[str, str]] = field(default_factory=set)
    clusters: set[tuple[str, str]] = field(default_factory=set)
    has_uuids: bool = False
    has_vcenter: bool = False

    def add(self, record_id: str, keys: Mapping[str, str | None]) -> None:
        vc = _fold(keys.get("vcenter"))
        self.has_vcenter = self.has_vcenter or bool(vc)
        key = uuid_key(keys.get("vm_uuid") or "")
        if key:
            self.has_uuids = True
            self.by_uuid.setdefault(key, record_id)
        ref = _fold(keys.get("vm_id"))
        if ref:
            self.by_ref[(vc, ref)].append(record_id)
            self.refs[ref].append(record_id)
        name = _fold(keys.get("vm"))
        if name:
            self.by_name[(vc, name)].append(record_id)
            self.names[name].append(record_id)
        for kind, found in (("host", self.hosts), ("cluster", self.clusters)):
            value = _fold(keys.get(kind))
            if value:
                found.add((vc, value))
                found.add(("", value))

    def vm(self, keys: Mapping[str, str]) -> tuple[str | None, str | None]:
        """(record id, how) of a VM-level row's VM; (None, None) when vInfo does not list it."""
        key = uuid_key(keys.get("vm_uuid") or "")
        if key and self.has_uuids:  # both sides know UUIDs: the UUID decides
            found = self.by_uuid.get(key)
            return (found, BY_UUID) if found else (None, None)
        vc = _fold(keys.get("vcenter"))
        ref = _fold(keys.get("vm_id"))
        if ref:
            hits = self.by_ref.get((vc, ref)) if vc and self.has_vcenter else self.refs.get(ref)
            if hits and len(hits) == 1:
                return hits[0], BY_VM_ID
        name = _fold(keys.get("vm"))
        if not name:
            return None, None
        if vc and self.has_vcenter:
            hits = self.by_name.get((vc, name))
            return (hits[0], BY_NAME_VCENTER) if hits and len(hits) == 1 else (None, None)
        hits = self.names.get(name)
        return (hits[0], BY_NAME) if hits and len(hits) == 1 else (None, None)

    def shared(self, kind: str, keys: Mapping[str, str]) -> str | None:
        """`host` / `cluster` when a VM of the import runs on that host / in that cluster."""
        value = _fold(keys.get(kind))
        if not value:
            return None
        vc = _fold(keys.get("vcenter")) if self.has_vcenter else ""
        found = self.hosts if kind == "host" else self.clusters
        return kind if (vc, value) in found else None


def _vm_index(uow: UnitOfWork, imp: DataImport) -> _VmIndex:
    index = _VmIndex()
    positions = _positions(list(imp.columns or []))
    if not positions:
        return index
    keys = list(positions)
    cells = ", ".join(f"cells[{positions[k] + 1}]" for k in keys)
    rows = uow.session.execute(
        text(f"SELECT id::text, {cells} FROM raw_import_records WHERE data_import_id = :imp"),
        {"imp": imp.id},
    )
    for rid, *values in rows:
        index.add(rid, dict(zip(keys, values, strict=True)))
    return index


def join_details(uow: UnitOfWork, import_id: uuid.UUID) -> dict[str, Any] | None:
    """Join the import's detail rows to its vInfo records (see the module docstring); None without any.

    Returns counts: rows, joined, unknown (VM-level rows whose VM vInfo does not list, with the
    first of them), per kind, how rows were joined, and the rows this run changed.
    """
    s = uow.session
    imp = s.get(DataImport, import_id)
    if imp is None:
        return None
    rows = s.execute(
        select(
            AssetDetail.id,
            AssetDetail.kind,
            AssetDetail.sheet,
            AssetDetail.row_index,
            AssetDetail.join_keys,
            AssetDetail.record_id,
            AssetDetail.match,
        )
        .where(AssetDetail.data_import_id == import_id)
        .order_by(AssetDetail.sheet, AssetDetail.row_index)
    ).all()
    if not rows:
        return None
    index = _vm_index(uow, imp)
    by_kind: dict[str, dict[str, int]] = {}
    how: dict[str, int] = defaultdict(int)
    unknown: list[dict[str, Any]] = []
    unknown_count = 0
    changes: list[tuple[uuid.UUID, uuid.UUID | None, str | None]] = []
    for row in rows:
        keys = row.join_keys or {}
        if row.kind in VM_KINDS:
            rid, match = index.vm(keys)
        else:
            rid, match = None, index.shared(row.kind, keys)
        tally = by_kind.setdefault(row.kind, {"rows": 0, "joined": 0})
        tally["rows"] += 1
        if match:
            tally["joined"] += 1
            how[match] += 1
        elif row.kind in VM_KINDS:
            unknown_count += 1
            if len(unknown) < MAX_UNKNOWN_LISTED:
                unknown.append(
                    {
                        "sheet": row.sheet,
                        "row": row.row_index,
                        "vm": keys.get("vm"),
                        "vm_uuid": keys.get("vm_uuid"),
                        "vcenter": keys.get("vcenter"),
                    }
                )
        record = uuid.UUID(rid) if rid else None
        if (record, match) != (row.record_id, row.match):
            changes.append((row.id, record, match))
    if changes:
        s.execute(
            text(
                "UPDATE asset_details d SET record_id = c.rid, match = c.how,"
                " asset_id = CASE WHEN c.rid IS DISTINCT FROM d.record_id THEN NULL ELSE d.asset_id END,"
                " updated_at = now()"
                " FROM unnest(CAST(:ids AS uuid[]), CAST(:rids AS uuid[]), CAST(:hows AS text[]))"
                " AS c(id, rid, how) WHERE d.id = c.id"
            ),
            {
                "ids": [c[0] for c in changes],
                "rids": [c[1] for c in changes],
                "hows": [c[2] for c in changes],
            },
        )
    vm_rows = sum(t["rows"] for k, t in by_kind.items() if k in VM_KINDS)
    return {
        "rows": len(rows),
        "vm_rows": vm_rows,
        "joined": vm_rows - unknown_count,
        "unknown_vm_rows": unknown_count,
        "unknown": unknown,
        "by_kind": by_kind,
        "matched_by": dict(how),
        "changed": len(changes),
    }


# ----------------------------------------------------------------------------- asset fields


@dataclass
class _Rows:
    """One kind of detail of one record: its sheet and rows (in row order) with their attributes."""

    sheet: str
    rows: list[int] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    lineage: list[dict[str, Any]] = field(default_factory=list)

    def column(self, key: str) -> str | None:
        return next((lin[key]["column"] for lin in self.lineage if key in lin), None)

    def raws(self, key: str) -> list[str]:
        return [str(lin[key]["raw"]) for lin in self.lineage if key in lin]

    def values(self, key: str) -> list[Any]:
        return [a[key] for a in self.attributes if a.get(key) is not None]

    def first_row(self, test: Callable[[dict[str, Any]], bool]) -> int:
        """The sheet row of the first of these rows whose attributes pass `test`."""
        return next(r for r, a in zip(self.rows, self.attributes, strict=True) if test(a))


def _snapshot_sheets(uow: UnitOfWork, import_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Imports whose vSnapshot sheet was read (so no row means no snapshot), with its name."""
    out: dict[uuid.UUID, str] = {}
    rows = uow.session.execute(
        select(DataImport.id, DataImport.import_metadata["rvtools"]).where(
            DataImport.id.in_(list(import_ids)), DataImport.import_metadata.has_key("rvtools")
        )
    )
    for iid, summary in rows:
        for sheet in (summary or {}).get("sheets") or []:
            if sheet.get("kind") == "snapshot" and not sheet.get("skipped"):
                out[iid] = str(sheet.get("sheet") or "vSnapshot")
    return out


def attach(uow: UnitOfWork, records: Sequence[Record]) -> None:
    """Give each record joined to detail rows the values they add (module docstring), in place."""
    if not records:
        return
    imports = {r.imp.id for r in records}
    snapshot_sheets = _snapshot_sheets(uow, imports)
    has_details = snapshot_sheets.keys() | set(
        uow.session.scalars(
            select(AssetDetail.data_import_id)
            .where(AssetDetail.data_import_id.in_(list(imports)), AssetDetail.record_id.is_not(None))
            .distinct()
        )
    )
    if not has_details:
        return
    by_id = {r.id: r for r in records if r.imp.id in has_details}
    result = uow.session.execute(
        select(
            AssetDetail.record_id,
            AssetDetail.kind,
            AssetDetail.sheet,
            AssetDetail.row_index,
            AssetDetail.attributes,
            AssetDetail.lineage,
        )
        .where(
            AssetDetail.data_import_id.in_(list(has_details)),
            AssetDetail.record_id.is_not(None),
            AssetDetail.kind.in_(VM_KINDS),
        )
        .order_by(AssetDetail.record_id, AssetDetail.kind, AssetDetail.sheet, AssetDetail.row_index)
        .execution_options(yield_per=5000)
    )
    current: str | None = None
    kinds: dict[str, _Rows] = {}
    seen: set[str] = set()
    for rid, kind, sheet, row, attributes, lineage in result:
        key = str(rid)
        if key != current:
            if current is not None and current in by_id:
                _apply(by_id[current], kinds, snapshot_sheets.get(by_id[current].imp.id))
                seen.add(current)
            current, kinds = key, {}
        rows = kinds.setdefault(kind, _Rows(sheet))
        rows.rows.append(row)
        rows.attributes.append(attributes or {})
        rows.lineage.append(lineage or {})
    if current is not None and current in by_id:
        _apply(by_id[current], kinds, snapshot_sheets.get(by_id[current].imp.id))
        seen.add(current)
    for rid, rec in by_id.items():  # no snapshot rows, but the sheet was read: none
        if rid not in seen and rec.imp.id in snapshot_sheets:
            _apply(rec, {}, snapshot_sheets[rec.imp.id])


def _replaced(rec: Record, name: str, value: Any) -> str:
    """What the record's own cell for `name` said, when a detail value takes its place."""
    recorded = rec.lineage
    if not recorded or name not in recorded.get("position", {}) or rec.values.get(name) is None:
        return ""
    position = recorded["position"][name]
    column = rec.imp.columns[position] if 0 <= position < len(rec.imp.columns) else None
    if column is None:
        return ""
    where = rec.imp.sheet or "the main sheet"
    if same_value(rec.values[name], value):
        return f"; {where} {column!r} says the same"
    raw = rec.cells[position] if 0 <= position < len(rec.cells) else None
    return f"; replaces {where} {column!r} = {raw!r}"


def _lineage(
    rec: Record,
    rows: _Rows | None,
    sheet: str,
    key: str | None,
    rule: str,
    *,
    only: list[int] | None = None,
    also: str | None = None,
) -> dict[str, Any]:
    """Lineage of a value read from detail rows: sheet, rows, the column (`key`'s) and its raw cells
    (and those of `also`, a second column the value was read from)."""
    listed = rows.rows if rows is not None and only is None else (only or [])
    raws = [*rows.raws(key), *(rows.raws(also) if also else [])] if rows is not None and key else []
    raw = "; ".join(raws[:MAX_RAW_SHOWN]) + ("; …" if len(raws) > MAX_RAW_SHOWN else "") if raws else None
    return {
        "import_id": rec.imp.sid,
        "record_id": rec.id,
        "record_index": listed[0] if listed else None,
        "sheet": sheet,
        "rows": listed[:MAX_LINEAGE_ROWS],
        "source_column": rows.column(key) if rows is not None and key else None,
        "raw_value": raw,
        "rule": rule,
    }


def _gb(mib: float) -> float:
    return round(mib / MIB_PER_GB, 6)


def _primary_ip(addresses: list[str]) -> str | None:
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if not (ip.is_link_local or ip.is_loopback or ip.is_unspecified):
            return address
    return addresses[0] if addresses else None


def _apply(rec: Record, kinds: dict[str, _Rows], snapshot_sheet: str | None) -> None:
    values: dict[str, Any] = {}
    lineage: dict[str, dict[str, Any]] = {}

    def put(name: str, value: Any, lin: dict[str, Any], *, fill_only: bool = False) -> None:
        if fill_only and rec.values.get(name) is not None:
            return
        if not fill_only:
            lin = {**lin, "rule": lin["rule"] + _replaced(rec, name, value)}
        values[name] = value
        lineage[name] = lin

    disks = kinds.get("disk")
    if disks is not None:
        rule = f"number of {disks.sheet} rows of the VM"
        put("disk_count", len(disks.rows), _lineage(rec, disks, disks.sheet, None, rule))
        sizes = disks.values("capacity_mib")
        if sizes:
            column = disks.column("capacity_mib")
            rule = f"sum of {column!r} over {len(sizes)} {disks.sheet} row(s), MiB → GB"
            put("storage_gb", _gb(sum(sizes)), _lineage(rec, disks, disks.sheet, "capacity_mib", rule))
    parts = kinds.get("partition")
    if parts is not None:
        used = parts.values("consumed_mib")
        if used:
            column = parts.column("consumed_mib")
            rule = f"sum of {column!r} over {len(used)} {parts.sheet} row(s) (space the guest uses), MiB → GB"
            put("storage_used_gb", _gb(sum(used)), _lineage(rec, parts, parts.sheet, "consumed_mib", rule))
    nics = kinds.get("nic")
    if nics is not None:
        _nic_fields(rec, nics, put)
    snaps = kinds.get("snapshot")
    if snaps is not None:
        rule = f"number of {snaps.sheet} rows"
        put("snapshot_count", len(snaps.rows), _lineage(rec, snaps, snaps.sheet, None, rule))
    elif snapshot_sheet is not None:
        rule = f"no {snapshot_sheet} row names this VM"
        put("snapshot_count", 0, _lineage(rec, None, snapshot_sheet, None, rule))
    tools = kinds.get("tools")
    if tools is not None:
        for name, key in (("tools_status", "status"), ("tools_version", "version")):
            found = tools.values(key)
            if found:
                rule = f"{tools.column(key)!r} of {tools.sheet}"
                row = tools.first_row(lambda a, k=key: a.get(k) is not None)
                lin = {**_lineage(rec, tools, tools.sheet, key, rule, only=[row]), "raw_value": str(found[0])}
                put(name, str(found[0]), lin)
    if values:
        rec.values = {**rec.values, **values}
    rec.detail_lineage = lineage  # also when empty: the record has details (their asset follows it)


def _nic_fields(rec: Record, nics: _Rows, put: Callable[..., None]) -> None:
    """nic_count, ip_addresses, and the primary IP and MAC where vInfo had none."""
    put("nic_count", len(nics.rows), _lineage(rec, nics, nics.sheet, None, f"number of {nics.sheet} rows"))
    addresses: list[str] = []
    for key in ("ipv4", "ipv6"):
        for found in nics.values(key):
            addresses.extend(a for a in found if a not in addresses)
    if addresses:
        used = [k for k in ("ipv4", "ipv6") if nics.values(k)]
        key, also = used[0], (used[1] if len(used) > 1 else None)
        columns = " and ".join(repr(nics.column(k)) for k in used)
        rule = f"every address in {columns} of {nics.sheet}"
        put("ip_addresses", ", ".join(addresses), _lineage(rec, nics, nics.sheet, key, rule, also=also))
        primary = _primary_ip(addresses)
        if primary:
            row = nics.first_row(lambda a: primary in _ips_of(a))
            rule = f"first address of {nics.sheet} (vInfo had no primary IP)"
            put("ip_address", primary, _lineage(rec, nics, nics.sheet, key, rule, only=[row]), fill_only=True)
    macs = nics.values("mac")
    if macs:
        row = nics.first_row(lambda a: a.get("mac") == macs[0])
        rule = f"MAC address of the first NIC in {nics.sheet}"
        lin = {**_lineage(rec, nics, nics.sheet, "mac", rule, only=[row]), "raw_value": macs[0]}
        put("mac_address", macs[0], lin, fill_only=True)


def _ips_of(attributes: Mapping[str, Any]) -> list[str]:
    return [*(attributes.get("ipv4") or []), *(attributes.get("ipv6") or [])]


# ----------------------------------------------------------------------------- assets


def assign_assets(uow: UnitOfWork, owners: Mapping[str, uuid.UUID | None]) -> int:
    """Point the detail rows of these records at the asset now holding each record; returns rows changed."""
    if not owners:
        return 0
    result = uow.session.execute(
        text(
            "UPDATE asset_details d SET asset_id = o.aid, updated_at = now()"
            " FROM unnest(CAST(:rids AS uuid[]), CAST(:aids AS uuid[])) AS o(rid, aid)"
            " WHERE d.record_id = o.rid AND d.asset_id IS DISTINCT FROM o.aid"
        ),
        {"rids": list(owners), "aids": list(owners.values())},
    )
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


# ----------------------------------------------------------------------------- reading


def asset_details_of(uow: UnitOfWork, asset: Asset) -> list[dict[str, Any]]:
    """The asset's detail rows, in kind order then file order: VM-level rows joined to it, and the
    host and cluster its VM record names (same import and vCenter).

    Each: `{kind, attributes, file, sheet, row, import_id, columns: {attribute: source column},
    raw: {attribute: raw cell}, match}`.
    """
    s = uow.session
    rows = list(
        s.execute(
            select(AssetDetail, DataImport.filename)
            .join(DataImport, DataImport.id == AssetDetail.data_import_id)
            .where(AssetDetail.asset_id == asset.id)
        ).all()
    )
    rows += _shared_rows(uow, asset)
    order = {k: i for i, k in enumerate((*VM_KINDS[:3], "snapshot", "tools", *SHARED_KINDS))}
    rows.sort(key=lambda r: (order.get(r[0].kind, 99), r[0].sheet, r[0].row_index))
    out: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    for detail, filename in rows:
        if detail.id in seen:
            continue
        seen.add(detail.id)
        lineage = detail.lineage or {}
        out.append(
            {
                "id": str(detail.id),
                "kind": detail.kind,
                "attributes": dict(detail.attributes or {}),
                "keys": dict(detail.join_keys or {}),
                "file": filename,
                "sheet": detail.sheet,
                "row": detail.row_index,
                "import_id": str(detail.data_import_id),
                "columns": {k: v.get("column") for k, v in lineage.items()},
                "raw": {k: v.get("raw") for k, v in lineage.items()},
                "match": detail.match,
            }
        )
    return out


def _shared_rows(uow: UnitOfWork, asset: Asset) -> list[Any]:
    """The host and cluster rows of the imports behind the asset that its VM records name."""
    s = uow.session
    record_ids = [uuid.UUID(r) for r in asset.source_record_ids or []]
    if not record_ids:
        return []
    vms: dict[uuid.UUID, list[list[str | None]]] = defaultdict(list)
    for iid, cells in s.execute(
        text("SELECT data_import_id, cells FROM raw_import_records WHERE id = ANY(CAST(:ids AS uuid[]))"),
        {"ids": record_ids},
    ):
        vms[iid].append(cells or [])
    candidates = s.execute(
        select(AssetDetail, DataImport.filename, DataImport.columns)
        .join(DataImport, DataImport.id == AssetDetail.data_import_id)
        .where(AssetDetail.data_import_id.in_(list(vms)), AssetDetail.kind.in_(SHARED_KINDS))
    ).all()
    out: list[Any] = []
    named: dict[uuid.UUID, list[dict[str, str | None]]] = {}
    for detail, filename, columns in candidates:
        iid = detail.data_import_id
        if iid not in named:
            positions = {k: p for k, p in _positions(list(columns or [])).items() if k in _SHARED_KEYS}
            named[iid] = [{k: c[p] if p < len(c) else None for k, p in positions.items()} for c in vms[iid]]
        if any(_names_shared(detail, vm) for vm in named[iid]):
            out.append((detail, filename))
    return out


def _names_shared(detail: AssetDetail, vm: Mapping[str, str | None]) -> bool:
    """Whether a VM record (its host, cluster and vCenter cells) runs on this host / in this cluster."""
    keys = detail.join_keys or {}
    name = _fold(keys.get(detail.kind))
    if not name or name != _fold(vm.get(detail.kind)):
        return False
    vc, vm_vc = _fold(keys.get("vcenter")), _fold(vm.get("vcenter"))
    return not vc or not vm_vc or vc == vm_vc
