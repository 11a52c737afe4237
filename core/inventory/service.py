"""The asset-inventory phase: cleansed records -> deduplicated, typed assets with lineage.

Every run re-derives the engagement's inventory from the records that take part in it — the
records already behind an asset plus every cleansed record of the import being inventoried — so
the result does not depend on the order imports were inventoried in, and re-running after a
mapping change updates assets in place: a cluster keeps the asset id that most of its records
already belonged to, unchanged assets are not written at all, and assets whose records all moved
elsewhere are removed. Identity rules and source precedence: `core.inventory.identity`.

Lineage: `field_lineage[field] = {import_id, record_id, record_index, source_column, raw_value,
rule}` names the raw cell behind each value. The cell is the one cleansing recorded when it kept
the value (`raw_import_records.cleansed_lineage`; for derived values, the cell they were derived
from), copied from the record whose value won — never re-derived here. `rule` is the coercion rule
of that source column in the run's mapping snapshot (the quality report's `field_sources`).
Inferred values have `rule` "inferred: ..." and no cell. Each value in `field_conflicts` carries
its own recorded `source_column` and `raw_value`. `source_record_ids` lists every record.

Speed: one query loads the records, clustering and precedence run in memory, and assets are
COPYed into a temporary table and applied with set-based INSERT / UPDATE ... IS DISTINCT FROM /
DELETE statements in the caller's transaction.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import select, text

from core.cleansing.fields import asset_fields
from core.cleansing.service import phase_reporter
from core.db.models import AssetMergeDecision, DataImport, DiscoveryFlow, ImportQualityReport
from core.db.stats import refresh_statistics
from core.errors import UserInputError
from core.inventory import details
from core.inventory.identity import (
    BUSINESS_FIELDS,
    ImportInfo,
    Record,
    cluster,
    identity_key,
    same_field_value,
    source_kind,
)
from core.progress import CancelToken, ProgressFn
from core.uow import UnitOfWork

CANONICAL: tuple[str, ...] = tuple(asset_fields())
PROVENANCE = ("source_record_ids", "field_lineage", "field_conflicts", "identity_key")
#: columns the inventory writes (and compares on re-runs)
MANAGED = ("data_import_id", *CANONICAL, *PROVENANCE)
COLUMNS = ("id", "client_account_id", "engagement_id", "master_flow_id", "discovery_flow_id", *MANAGED)

_NETWORK_VENDORS = (
    "cisco",
    "juniper",
    "arista",
    "palo alto",
    "fortinet",
    "checkpoint",
    "check point",
    "aruba",
    "extreme networks",
    "brocade",
    "mellanox",
    "ubiquiti",
)
_STORAGE_VENDORS = (
    "netapp",
    "emc",
    "pure storage",
    "hitachi vantara",
    "3par",
    "nimble",
    "isilon",
    "dell emc",
)
_LB_VENDORS = ("f5", "citrix adc", "netscaler", "a10", "kemp")


# ----------------------------------------------------------------------------- loading


def load_import_infos(uow: UnitOfWork, import_ids: set[uuid.UUID]) -> dict[uuid.UUID, ImportInfo]:
    s = uow.session
    rows = s.execute(
        select(DataImport).where(DataImport.id.in_(import_ids)).order_by(DataImport.created_at, DataImport.id)
    ).scalars()
    infos: dict[uuid.UUID, ImportInfo] = {}
    for order, imp in enumerate(rows):
        infos[imp.id] = ImportInfo(
            id=imp.id,
            filename=imp.filename,
            sheet=imp.sheet_name,
            columns=list(imp.columns or ()),
            source_system=imp.source_system,
            kind=source_kind(imp.source_system, imp.filename, imp.sheet_name, imp.import_metadata),
            created_at=imp.created_at,
            order=order,
            master_flow_id=imp.master_flow_id,
        )
    for fid, iid, master in s.execute(
        select(DiscoveryFlow.id, DiscoveryFlow.data_import_id, DiscoveryFlow.master_flow_id)
        .where(DiscoveryFlow.data_import_id.in_(import_ids))
        .order_by(DiscoveryFlow.created_at)
    ):
        info = infos.get(iid)
        if info is not None:
            info.flow_id, info.master_flow_id = fid, master
    for iid, report in s.execute(
        select(ImportQualityReport.data_import_id, ImportQualityReport.report).where(
            ImportQualityReport.data_import_id.in_(import_ids)
        )
    ):
        if iid in infos and isinstance(report, dict):
            infos[iid].field_sources = report.get("field_sources") or {}
    return infos


def load_records(uow: UnitOfWork, import_id: uuid.UUID, record_ids: Sequence[str]) -> list[Record]:
    """Cleansed records of the import plus the given ones; oldest import first, in row order."""
    rows = uow.session.execute(
        text(
            "SELECT id::text, data_import_id, record_index, cells, cleansed_data, cleansed_lineage"
            " FROM raw_import_records"
            " WHERE (data_import_id = :imp OR id = ANY(CAST(:ids AS uuid[]))) AND cleansed_data IS NOT NULL"
        ),
        {"imp": import_id, "ids": list(record_ids)},
    ).all()
    infos = load_import_infos(uow, {r[1] for r in rows} | {import_id})
    records = [
        Record(rid, infos[iid], idx, cells or [], data, lin) for rid, iid, idx, cells, data, lin in rows
    ]
    records.sort(key=lambda r: (r.imp.order, r.index))
    details.attach(uow, records)  # what an RVTools export's detail sheets add to its VM records
    return records


# ----------------------------------------------------------------------------- resolving one asset


#: the rule of a value whose record was cleansed before cleansing recorded lineage (schema 0003)
NOT_RECORDED = "source cell not recorded (cleansed before lineage was kept): run data cleansing again"


def _column(imp: ImportInfo, position: int) -> str | None:
    """The source column at a recorded position (the import's header)."""
    return imp.columns[position] if 0 <= position < len(imp.columns) else None


def _rule(imp: ImportInfo, name: str, position: int, via: str | None, also: tuple[int, ...]) -> str | None:
    """The rule text for a recorded cell: its column's coercion rule in the run's snapshot (cached)."""
    key = (name, via, position, also)
    hit = imp.lineage_cache.get(key)
    if hit is not None:
        return hit[0]
    sources = imp.field_sources.get(via or name) or ()
    label = next((src.get("rule") for src in sources if src.get("position") == position), None)
    rule = label
    if via and via != name:
        rule = f"derived from {via}" + (f" ({label})" if label else "")
    elif via:
        rule = (label + "; " if label else "") + "split into host name and domain"
    if also:
        names = ", ".join(_column(imp, p) or "?" for p in also)
        rule = (rule + "; " if rule else "") + "merged with " + names
    imp.lineage_cache[key] = (rule,)
    return rule


def _raw(rec: Record, position: int) -> str | None:
    cells = rec.cells
    return cells[position] if 0 <= position < len(cells) else None


def _lineage(rec: Record, name: str) -> dict[str, Any]:
    """The winning value's cell, as cleansing recorded it for this record (`cleansed_lineage`), or
    the detail-sheet rows it was summed from (`core.inventory.details`)."""
    if rec.detail_lineage is not None and name in rec.detail_lineage:
        return rec.detail_lineage[name]
    recorded = rec.lineage
    if recorded is None or name not in recorded["position"]:
        return {**_empty_lineage(rec), "rule": NOT_RECORDED}
    position = recorded["position"][name]
    derived = recorded.get("derived_from")
    via = derived.get(name) if derived else None
    merged = recorded.get("merged")
    also = tuple(merged.get(name) or ()) if merged else ()
    row = recorded.get("row")
    out = {
        "import_id": rec.imp.sid,
        "record_id": rec.id,
        "record_index": rec.index if row is None else row,
        "source_column": _column(rec.imp, position),
        "raw_value": _raw(rec, position),
        "rule": _rule(rec.imp, name, position, via, also),
    }
    if also:
        out["merged_from"] = [{"source_column": _column(rec.imp, p), "raw_value": _raw(rec, p)} for p in also]
    return out


def _conflict_value(value: Any, rec: Record, name: str) -> dict[str, Any]:
    """One of a field's disagreeing values: where it came from, with the cell cleansing recorded."""
    derived = rec.detail_lineage.get(name) if rec.detail_lineage is not None else None
    if derived is not None:
        return {
            "value": value,
            "import_id": rec.imp.sid,
            "filename": rec.imp.filename,
            "source_kind": rec.imp.kind,
            "record_id": rec.id,
            "record_index": derived.get("record_index"),
            "sheet": derived.get("sheet"),
            "source_column": derived.get("source_column"),
            "raw_value": derived.get("raw_value"),
        }
    recorded = rec.lineage
    position = recorded["position"].get(name) if recorded is not None else None
    return {
        "value": value,
        "import_id": rec.imp.sid,
        "filename": rec.imp.filename,
        "source_kind": rec.imp.kind,
        "record_id": rec.id,
        "record_index": rec.index,
        "source_column": None if position is None else _column(rec.imp, position),
        "raw_value": None if position is None else _raw(rec, position),
    }


def _infer_type(values: dict[str, Any]) -> tuple[str, str]:
    """Asset type (and why) where no column said it."""
    if values.get("is_template") is True:
        return "virtual_machine", "inferred: VM template (is_template)"
    if values.get("is_virtual") is True or values.get("vm_id") or values.get("physical_host"):
        return "virtual_machine", "inferred: virtual machine (is_virtual / vm_id / physical_host)"
    serial = str(values.get("serial_number") or "").lower()
    if serial.startswith("vmware-"):
        return "virtual_machine", "inferred: VMware serial number"
    vendor = f"{values.get('manufacturer') or ''} {values.get('model') or ''}".lower()
    if any(v in vendor for v in _LB_VENDORS):
        return "load_balancer", "inferred: load-balancer vendor"
    if any(v in vendor for v in _NETWORK_VENDORS):
        return "network_device", "inferred: network vendor"
    if any(v in vendor for v in _STORAGE_VENDORS):
        return "storage", "inferred: storage vendor"
    machine = ("operating_system", "cpu_cores", "memory_gb", "hostname", "fqdn", "ip_address")
    if values.get("database_engine") and not any(values.get(k) for k in machine[:3]):
        return "database", "inferred: database engine without host details"
    if any(values.get(k) for k in machine) or values.get("is_virtual") is False:
        return "server", "inferred: host details (OS, CPU, memory or network name)"
    if values.get("application_name"):
        return "application", "inferred: application name only"
    return "other", "inferred: no distinguishing fields"


def _rank_of(entry: tuple[tuple[int, int, int], Any, Record]) -> tuple[int, int, int]:
    return entry[0]


def resolve(records: Sequence[Record]) -> dict[str, Any]:
    """Field values by precedence, with lineage and conflicts, for one asset's records."""
    best: dict[str, tuple[tuple[int, int, int], Any, Record]] = {}
    seen: dict[str, list[tuple[tuple[int, int, int], Any, Record]]] = {}
    single = len(records) == 1
    for rec in records:
        tech, biz = rec.rank_t, rec.rank_b
        for name, value in rec.values.items():
            if value is None or name not in FIELD_TYPES:
                continue
            rank = biz if name in BUSINESS_FIELDS else tech
            entry = (rank, value, rec)
            if not single:
                seen.setdefault(name, []).append(entry)
            current = best.get(name)
            if current is None or rank > current[0]:
                best[name] = entry
    values: dict[str, Any] = {}
    lineage: dict[str, Any] = {}
    conflicts: dict[str, Any] = {}
    for name, (_rank, value, rec) in best.items():
        values[name] = value
        lineage[name] = _lineage(rec, name)
        entries = seen.get(name, ())
        if len(entries) > 1:
            ordered = sorted(entries, key=_rank_of, reverse=True)
            distinct = [ordered[0]]
            for e in ordered[1:]:
                for d in distinct:
                    if same_field_value(name, e[1], d[1]):
                        break
                else:
                    distinct.append(e)
            if len(distinct) > 1:
                conflicts[name] = {
                    "chosen": value,
                    "values": [_conflict_value(v, r, name) for _k, v, r in distinct],
                }
    primary = records[0] if single else max(records, key=lambda r: r.rank_t)
    if "asset_type" not in values:
        kind, why = _infer_type(values)
        values["asset_type"] = kind
        lineage["asset_type"] = {**_empty_lineage(primary), "rule": why}
    elif values["asset_type"] == "server" and values.get("is_virtual") is True:
        values["asset_type"] = "virtual_machine"
        lineage["asset_type"] = {**lineage["asset_type"], "rule": "refined: server with is_virtual = true"}
    if "is_virtual" not in values and values["asset_type"] == "virtual_machine":
        values["is_virtual"] = True
        lineage["is_virtual"] = {**_empty_lineage(primary), "rule": "inferred: asset type virtual_machine"}
    if "discovery_source" not in values and primary.imp.source_system:
        values["discovery_source"] = primary.imp.source_system
        lineage["discovery_source"] = {**_empty_lineage(primary), "rule": "source system of the import"}
    if "asset_name" not in values:
        name = values.get("hostname") or values.get("fqdn") or values.get("ip_address")
        if name:
            values["asset_name"] = name
            origin = (
                "hostname" if values.get("hostname") else ("fqdn" if values.get("fqdn") else "ip_address")
            )
            lineage["asset_name"] = {**lineage[origin], "rule": f"copied from {origin}"}
    return {
        "values": values,
        "lineage": lineage,
        "conflicts": conflicts,
        "source_record_ids": [r.id for r in records],
        "primary": primary,
    }


def _empty_lineage(rec: Record) -> dict[str, Any]:
    return {
        "import_id": rec.imp.sid,
        "record_id": rec.id,
        "record_index": rec.index,
        "source_column": None,
        "raw_value": None,
        "rule": None,
    }


FIELD_TYPES = {name: spec.type for name, spec in asset_fields().items()}


def _as_datetime(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _as_int(value: Any) -> Any:
    return int(value) if not isinstance(value, bool) else None


def _as_float(value: Any) -> Any:
    return float(value) if not isinstance(value, bool) else None


def _as_bool(value: Any) -> Any:
    return value if isinstance(value, bool) else None


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "datetime": _as_datetime,
    "integer": _as_int,
    "float": _as_float,
    "boolean": _as_bool,
    "json": Jsonb,
    "string": str,
}
#: field -> (position in COLUMNS, converter) for the fields an asset row carries
_SLOTS: dict[str, tuple[int, Callable[[Any], Any]]] = {
    name: (6 + i, _CONVERT[FIELD_TYPES[name]]) for i, name in enumerate(CANONICAL)
}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def asset_row(
    asset_id: uuid.UUID,
    tenant_ids: tuple[uuid.UUID, uuid.UUID],
    resolved: dict[str, Any],
    flow: tuple[uuid.UUID | None, uuid.UUID | None],
) -> tuple[Any, ...]:
    """One row in `COLUMNS` order; a value that does not fit its column's type is left empty."""
    values = resolved["values"]
    primary: Record = resolved["primary"]
    row: list[Any] = [None] * len(COLUMNS)
    row[:6] = (asset_id, tenant_ids[0], tenant_ids[1], flow[0], flow[1], primary.imp.id)
    for name, value in values.items():
        slot = _SLOTS.get(name)
        if slot is not None and value is not None:
            try:
                row[slot[0]] = slot[1](value)
            except (TypeError, ValueError):
                row[slot[0]] = None
    row[-4:] = (
        Jsonb(resolved["source_record_ids"], _dumps),
        Jsonb(resolved["lineage"], _dumps),
        Jsonb(resolved["conflicts"], _dumps),
        identity_key(values),
    )
    return tuple(row)


# ----------------------------------------------------------------------------- the phase


STAGE = "asset_inventory"


def build_inventory(
    uow: UnitOfWork,
    import_id: uuid.UUID,
    *,
    flow_id: uuid.UUID | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Create or update the engagement's assets from this import's cleansed records; returns counts.

    Progress and cancellation follow `core.progress` (`Progress("asset_inventory", done, total)`).
    """
    s = uow.session
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("the inventory needs a tenant unit of work")
    imp = s.get(DataImport, import_id)
    if imp is None:
        raise UserInputError(f"no data import {import_id} in this engagement")
    uncleansed = s.scalar(
        text("SELECT count(*) FROM raw_import_records WHERE data_import_id = :i AND cleansed_data IS NULL"),
        {"i": import_id},
    )
    if uncleansed:
        raise UserInputError(
            f"{uncleansed} record(s) of the import are not cleansed yet",
            file=imp.filename,
            hint="run the data-cleansing phase first",
        )
    reporter = phase_reporter(progress, cancel)
    reporter.check()
    joined = details.join_details(uow, import_id)  # detail rows of an RVTools export -> their VM records
    existing: dict[str, uuid.UUID] = {}
    records_of: dict[uuid.UUID, list[str]] = {}
    asset_created: dict[uuid.UUID, datetime] = {}
    asset_flow: dict[uuid.UUID, tuple[uuid.UUID | None, uuid.UUID | None]] = {}
    for aid, rids, created, master, flow in s.execute(
        text(
            "SELECT id, source_record_ids, created_at, master_flow_id, discovery_flow_id FROM assets"
            " WHERE jsonb_array_length(source_record_ids) > 0"
        )
    ):
        asset_created[aid] = created
        asset_flow[aid] = (master, flow)
        records_of[aid] = list(rids)
        for rid in records_of[aid]:
            existing[rid] = aid
    clock = {"start": time.perf_counter()}
    records = load_records(uow, import_id, list(existing))
    clock["load"] = time.perf_counter()
    position = {r.id: i for i, r in enumerate(records)}
    total = len(records)
    reporter.report(STAGE, 0, total, force=True)
    must_link: list[list[int]] = []
    merges = select(AssetMergeDecision.record_ids).where(AssetMergeDecision.split_at.is_(None))
    for ids in s.scalars(merges.order_by(AssetMergeDecision.created_at)):  # a split merge links nothing
        linked = sorted(position[str(x)] for x in ids or [] if str(x) in position)
        if len(linked) > 1:
            must_link.append(linked)
    reporter.check()
    groups, lost = cluster(records, must_link)
    clock["cluster"] = time.perf_counter()
    reporter.check()

    # stable asset ids: each cluster keeps the existing asset most of its records belong to
    votes: list[tuple[int, datetime, str, int, uuid.UUID]] = []
    for gi, group in enumerate(groups):
        counts = Counter(existing[records[i].id] for i in group if records[i].id in existing)
        for aid, n in counts.items():
            votes.append((n, asset_created[aid], str(aid), gi, aid))
    votes.sort(key=lambda v: (-v[0], v[1], v[2]))
    chosen: dict[int, uuid.UUID] = {}
    taken: set[uuid.UUID] = set()
    for _n, _c, _s, gi, aid in votes:
        if gi not in chosen and aid not in taken:
            chosen[gi] = aid
            taken.add(aid)
    # an asset none of whose re-clustered records kept it is gone; assets whose records are all
    # outside this run (a deleted import) are left alone
    participating = {r.id for r in records}
    obsolete = [
        aid
        for aid, rids in records_of.items()
        if aid not in taken and any(rid in participating for rid in rids)
    ]

    tenant_ids = (tenant.client_account_id, tenant.engagement_id)
    rows: list[tuple[Any, ...]] = []
    new_ids: set[uuid.UUID] = set()
    owners: dict[str, uuid.UUID | None] = {
        records[i].id: None for i in lost if records[i].detail_lineage is not None
    }
    skipped = done = 0
    for gi, group in enumerate(groups):
        if gi % 5000 == 0:
            reporter.check()
            if gi:
                reporter.report(STAGE, done, total)
        done += len(group)
        aid = chosen.get(gi)
        if aid is not None and _untouched(records, group, records_of[aid], import_id):
            skipped += 1  # same records as before, none from this import: nothing can have changed
            owners.update((records[i].id, aid) for i in group if records[i].detail_lineage is not None)
            continue
        resolved = resolve([records[i] for i in group])
        if aid is None:
            aid = uuid.uuid4()
            new_ids.add(aid)
            primary = resolved["primary"].imp
            flow = (primary.master_flow_id, primary.flow_id or flow_id)
        else:
            flow = asset_flow[aid]
        owners.update((records[i].id, aid) for i in group if records[i].detail_lineage is not None)
        rows.append(asset_row(aid, tenant_ids, resolved, flow))
    reporter.check()
    clock["resolve"] = time.perf_counter()
    counts = _write(uow, rows, new_ids, obsolete)
    if joined is not None:
        joined["assets_changed"] = details.assign_assets(uow, owners)
    clock["write"] = time.perf_counter()
    counts["unchanged"] += skipped
    assets, several, conflicted = s.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE jsonb_array_length(source_record_ids) > 1),"
            " count(*) FILTER (WHERE field_conflicts <> '{}'::jsonb) FROM assets"
            " WHERE jsonb_array_length(source_record_ids) > 0"
        )
    ).one()
    reporter.report(STAGE, total, total, force=True)
    return {
        "import_id": str(import_id),
        "records": total,
        "unidentifiable_records": len(lost),
        "assets": assets,
        "assets_from_several_records": several,
        "assets_with_conflicts": conflicted,
        "recomputed": len(rows),
        **counts,
        **({"details": joined} if joined is not None else {}),
        "seconds": {
            step: round(clock[step] - clock[prev], 2)
            for prev, step in (
                ("start", "load"),
                ("load", "cluster"),
                ("cluster", "resolve"),
                ("resolve", "write"),
            )
        },
    }


def _untouched(records: Sequence[Record], group: list[int], before: list[str], import_id: uuid.UUID) -> bool:
    if len(group) != len(before):
        return False
    if any(records[i].imp.id == import_id for i in group):
        return False
    return {records[i].id for i in group} == set(before)


def _write(
    uow: UnitOfWork, rows: list[tuple[Any, ...]], new_ids: set[uuid.UUID], obsolete: list[uuid.UUID]
) -> dict[str, int]:
    s = uow.session
    pg = s.connection().connection.driver_connection
    assert pg is not None
    cols = ", ".join(COLUMNS)
    with pg.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS md_assets (LIKE assets INCLUDING DEFAULTS, is_new boolean)"
            " ON COMMIT DROP"
        )
        cur.execute("TRUNCATE md_assets")
        with cur.copy(f"COPY md_assets ({cols}, is_new) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, row[0] in new_ids))
    managed = ", ".join(MANAGED)
    theirs = ", ".join(f"t.{c}" for c in MANAGED)
    mine = ", ".join(f"a.{c}" for c in MANAGED)
    # update before insert, and as a hash join: the planner's row estimate for `assets` is stale
    # inside this transaction, and a nested loop over it would be quadratic
    s.execute(text("SET LOCAL enable_nestloop = off"))
    updated = s.execute(
        text(
            f"UPDATE assets a SET ({managed}, updated_at) = ({theirs}, now())"
            " FROM (SELECT * FROM md_assets WHERE NOT is_new) t"
            f" WHERE a.id = t.id AND ({mine}) IS DISTINCT FROM ({theirs})"
        )
    ).rowcount
    s.execute(text("SET LOCAL enable_nestloop = on"))
    created = s.execute(
        text(f"INSERT INTO assets ({cols}) SELECT {cols} FROM md_assets WHERE is_new")
    ).rowcount
    deleted = 0
    if obsolete:
        deleted = s.execute(text("DELETE FROM assets WHERE id = ANY(:ids)"), {"ids": obsolete}).rowcount
    if created + deleted > 1000:  # a first inventory of a big estate: the next phases join on it
        refresh_statistics(s, "assets")
    return {
        "created": created,
        "updated": updated,
        "unchanged": len(rows) - created - updated,
        "deleted": deleted,
    }
