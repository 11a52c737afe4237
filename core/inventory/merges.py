"""Consultant merges: join assets the inventory kept apart, and split a merge again.

Why recorded: a merge deletes the merged assets and keeps their records behind the kept one for
every later inventory run (`asset_merge_decisions.record_ids` is a must-link). To undo it, the
decision also records what it joined (`merged_assets`: each asset's id, records, creation time
and flows) and which dependencies it re-pointed (`moved_dependencies`). A split gives each merged
asset back its id and its records — its values, lineage and conflicts recomputed from those
records exactly as the inventory computes them — puts the dependencies back, and marks the
decision split so inventory runs no longer keep the records together. The kept asset keeps its
id and whatever records remain (including records later runs added to it).

A merge recorded before schema 0005 cannot be split (which records were whose was not kept), and
a merge whose records a later merge joined again is split only after that later one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, text, update

from core.changes import OpChanges, ids
from core.db.models import Asset, AssetDependency, AssetMergeDecision, RawImportRecord, User
from core.errors import UserInputError
from core.inventory import details
from core.inventory.identity import ImportInfo, Record
from core.inventory.query import asset_detail
from core.inventory.service import COLUMNS, MANAGED, asset_row, load_import_infos, resolve
from core.uow import UnitOfWork


def merge_assets(
    uow: UnitOfWork, keep_id: uuid.UUID, merge_ids: Sequence[uuid.UUID], *, note: str | None = None
) -> dict[str, Any]:
    """Merge assets into `keep_id`: records, lineage and conflicts recomputed by precedence.

    The decision is stored (`asset_merge_decisions`) with what it joined, so later inventory runs
    keep the records together and `split_merge` can undo it; dependencies of the merged assets
    move to the kept one. Returns the kept asset's detail plus `merge_id`. Does not commit.
    """
    merge_ids = [m for m in dict.fromkeys(merge_ids) if m != keep_id]
    if not merge_ids:
        raise UserInputError("choose at least one other asset to merge into the kept one")
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("merging needs a tenant unit of work")
    s = uow.session
    assets = {a.id: a for a in s.scalars(select(Asset).where(Asset.id.in_([keep_id, *merge_ids])))}
    missing = [str(i) for i in [keep_id, *merge_ids] if i not in assets]
    if missing:
        raise UserInputError(f"no asset(s) {', '.join(missing)} in this engagement")
    ordered = [assets[keep_id], *(assets[m] for m in merge_ids)]
    record_ids = [uuid.UUID(r) for a in ordered for r in (a.source_record_ids or [])]
    no_records = [a.asset_name or str(a.id) for a in ordered if not a.source_record_ids]
    if no_records:
        raise UserInputError(
            f"cannot merge assets that did not come from an import: {', '.join(no_records)}",
            hint="edit them by hand instead",
        )
    keep = assets[keep_id]
    parts = [_part(a, kept=a.id == keep_id) for a in ordered]
    touching = AssetDependency.source_asset_id.in_(merge_ids) | AssetDependency.target_asset_id.in_(merge_ids)
    moved = [_dependency(d) for d in s.scalars(select(AssetDependency).where(touching))]
    _write_asset(uow, keep, _records(uow, record_ids))
    decision = AssetMergeDecision(
        kept_asset_id=keep_id,
        record_ids=[str(r) for r in record_ids],
        decided_by=tenant.user_id,
        note=note,
        merged_assets=parts,
        moved_dependencies=moved,
        client_account_id=tenant.client_account_id,
        engagement_id=tenant.engagement_id,
    )
    s.add(decision)
    s.execute(
        update(AssetDependency)
        .where(AssetDependency.source_asset_id.in_(merge_ids))
        .values(source_asset_id=keep_id)
    )
    s.execute(
        update(AssetDependency)
        .where(AssetDependency.target_asset_id.in_(merge_ids))
        .values(target_asset_id=keep_id)
    )
    s.execute(delete(Asset).where(Asset.id.in_(merge_ids)))
    s.flush()
    details.assign_assets(uow, dict.fromkeys((str(r) for r in record_ids), keep_id))
    uow.note(OpChanges(assets=True, asset_ids=ids(keep_id, *merge_ids), count=len(merge_ids)))
    return {**asset_detail(uow, keep_id), "merge_id": str(decision.id)}


def split_merge(uow: UnitOfWork, merge_id: uuid.UUID) -> dict[str, Any]:
    """Undo a recorded merge: each merged asset comes back with its id, records and lineage.

    Returns `{merge_id, kept: <kept asset's detail>, restored: [asset ids]}`. Refused (with what to
    do) for a merge already split, one recorded before merges could be split, one a later merge
    builds on, or one none of whose records is behind an asset any more. Does not commit.
    """
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("splitting a merge needs a tenant unit of work")
    s = uow.session
    decision = s.get(AssetMergeDecision, merge_id)
    if decision is None:
        raise UserInputError(f"no merge {merge_id} in this engagement", hint="reload the list of merges")
    if decision.split_at is not None:
        raise UserInputError("this merge was already undone", hint="reload the list of merges")
    parts = list(decision.merged_assets or [])
    if not parts:
        raise UserInputError(
            "this merge was recorded before merges could be undone: which records were whose was not kept",
            hint="re-run the inventory of the flow after correcting the mapping instead",
        )
    mine = set(decision.record_ids or [])
    later = _later_merge(uow, decision, mine)
    if later is not None:
        raise UserInputError(
            f"a later merge ({later.created_at:%Y-%m-%d %H:%M}) joined these records again",
            hint="undo that merge first",
        )
    holder = _holder(uow, decision, mine)
    held = list(holder.source_record_ids or [])
    restored_parts = [p for p in parts if not p.get("kept")]
    taken: set[str] = set()
    groups: list[tuple[dict[str, Any], list[str]]] = []
    for part in restored_parts:
        records = [r for r in part.get("record_ids") or [] if r in set(held) and r not in taken]
        taken.update(records)
        if records:
            groups.append((part, records))
    remaining = [r for r in held if r not in taken]
    if not remaining:
        raise UserInputError(
            "nothing of the kept asset would remain after the split",
            hint="its own records were removed (an import deleted?): re-run the inventory instead",
        )
    existing = set(s.scalars(select(Asset.id).where(Asset.id.in_([uuid.UUID(p["id"]) for p, _ in groups]))))
    restored: list[uuid.UUID] = []
    for part, records in groups:
        part_id = uuid.UUID(part["id"])
        if part_id in existing:
            raise UserInputError(f"asset {part_id} exists again; the merge cannot be split")
        asset = Asset(
            id=part_id,
            client_account_id=tenant.client_account_id,
            engagement_id=tenant.engagement_id,
            master_flow_id=_uuid(part.get("master_flow_id")),
            discovery_flow_id=_uuid(part.get("discovery_flow_id")),
        )
        if part.get("created_at"):
            asset.created_at = datetime.fromisoformat(part["created_at"])
        _write_asset(uow, asset, _records(uow, [uuid.UUID(r) for r in records]))
        s.add(asset)
        restored.append(part_id)
    _write_asset(uow, holder, _records(uow, [uuid.UUID(r) for r in remaining]))
    s.flush()
    owners: dict[str, uuid.UUID | None] = dict.fromkeys(remaining, holder.id)
    for (_part, records), part_id in zip(groups, restored, strict=True):
        owners.update(dict.fromkeys(records, part_id))
    details.assign_assets(uow, owners)  # the restored assets' disks, NICs, ... go back with their records
    _restore_dependencies(uow, holder.id, decision.moved_dependencies or [], set(restored))
    decision.split_at = datetime.now(UTC)
    decision.split_by = tenant.user_id
    s.flush()
    uow.note(OpChanges(assets=True, asset_ids=ids(holder.id, *restored), count=len(restored)))
    return {"merge_id": str(decision.id), "kept": asset_detail(uow, holder.id), "restored": restored}


def recorded_merges(
    uow: UnitOfWork, *, include_split: bool = False, limit: int = 500
) -> list[dict[str, Any]]:
    """The engagement's merges, newest first: who, when, what was joined, whether it can be split.

    `asset_names` names the joined assets as they were, the kept one first.
    """
    s = uow.session
    stmt = (
        select(AssetMergeDecision, User.display_name)
        .outerjoin(User, User.id == AssetMergeDecision.decided_by)
        .order_by(AssetMergeDecision.created_at.desc(), AssetMergeDecision.id.desc())
        .limit(max(limit, 0))
    )
    if not include_split:
        stmt = stmt.where(AssetMergeDecision.split_at.is_(None))
    rows = s.execute(stmt).all()
    kept_ids = {d.kept_asset_id for d, _ in rows if d.kept_asset_id}
    names = dict(s.execute(select(Asset.id, Asset.asset_name).where(Asset.id.in_(kept_ids))).all())
    active = [(d.created_at, set(d.record_ids or [])) for d, _ in rows if d.split_at is None]
    out: list[dict[str, Any]] = []
    for d, who in rows:
        parts = list(d.merged_assets or [])
        reason = None
        if d.split_at is not None:
            reason = "already undone"
        elif not parts:
            reason = "recorded before merges could be undone"
        elif any(when > d.created_at and joined & set(d.record_ids or []) for when, joined in active):
            reason = "a later merge builds on it: undo that first"
        out.append(
            {
                "id": d.id,
                "created_at": d.created_at,
                "decided_by": who,
                "note": d.note,
                "kept_asset_id": d.kept_asset_id,
                "kept_name": names.get(d.kept_asset_id) if d.kept_asset_id else None,
                "asset_names": [str(p.get("label") or p.get("asset_name") or p.get("id")) for p in parts],
                "records": len(d.record_ids or []),
                "split_at": d.split_at,
                "can_split": reason is None,
                "why_not": reason,
            }
        )
    return out


# ----------------------------------------------------------------------------- helpers


def _part(asset: Asset, *, kept: bool) -> dict[str, Any]:
    """What a split needs to give an asset back (JSON)."""
    return {
        "id": str(asset.id),
        "kept": kept,
        "asset_name": asset.asset_name,
        "label": _label(asset),
        "record_ids": list(asset.source_record_ids or []),
        "created_at": asset.created_at.isoformat() if asset.created_at else None,
        "master_flow_id": str(asset.master_flow_id) if asset.master_flow_id else None,
        "discovery_flow_id": str(asset.discovery_flow_id) if asset.discovery_flow_id else None,
    }


def _label(asset: Asset) -> str:
    """Name plus what tells same-named assets apart (FQDN, else IP, else serial)."""
    name = asset.asset_name or asset.hostname or str(asset.id)
    for value in (asset.fqdn, asset.ip_address, asset.serial_number):
        if value and value != name:
            return f"{name} · {value}"
    return name


def _dependency(dep: AssetDependency) -> dict[str, str | None]:
    """A dependency's ends before the merge re-points them (JSON; None for an unresolved end)."""
    return {
        "id": str(dep.id),
        "source_asset_id": str(dep.source_asset_id) if dep.source_asset_id else None,
        "target_asset_id": str(dep.target_asset_id) if dep.target_asset_id else None,
    }


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _write_asset(uow: UnitOfWork, asset: Asset, records: list[Record]) -> None:
    """Set the inventory's columns of `asset` from its records, as the inventory phase would."""
    tenant = uow.tenant
    assert tenant is not None
    row = asset_row(
        asset.id,
        (tenant.client_account_id, tenant.engagement_id),
        resolve(records),
        (asset.master_flow_id, asset.discovery_flow_id),
    )
    values = dict(zip(COLUMNS, row, strict=True))
    for name in MANAGED:
        v = values[name]
        setattr(asset, name, getattr(v, "obj", v))  # unwrap Jsonb


def _later_merge(uow: UnitOfWork, decision: AssetMergeDecision, mine: set[str]) -> AssetMergeDecision | None:
    """An active merge made after `decision` that joins some of its records again."""
    for other in uow.session.scalars(
        select(AssetMergeDecision)
        .where(
            AssetMergeDecision.split_at.is_(None),
            AssetMergeDecision.id != decision.id,
            AssetMergeDecision.created_at > decision.created_at,
        )
        .order_by(AssetMergeDecision.created_at)
    ):
        if mine & set(other.record_ids or []):
            return other
    return None


def _holder(uow: UnitOfWork, decision: AssetMergeDecision, mine: set[str]) -> Asset:
    """The asset the merged records are behind now (the kept one, unless a re-run moved them)."""
    s = uow.session
    holders = list(
        s.scalars(
            select(Asset).where(
                text("assets.source_record_ids ?| CAST(:rids AS text[])").bindparams(rids=sorted(mine))
            )
        )
    )
    if not holders:
        raise UserInputError(
            "none of the merged records is behind an asset any more", hint="re-run the inventory instead"
        )
    if len(holders) > 1:
        kept = next((a for a in holders if a.id == decision.kept_asset_id), None)
        if kept is None:
            raise UserInputError(
                "the merged records are spread over several assets", hint="re-run the inventory first"
            )
        return kept
    return holders[0]


def _restore_dependencies(
    uow: UnitOfWork, holder_id: uuid.UUID, moved: list[dict[str, Any]], restored: set[uuid.UUID]
) -> None:
    """Point the dependencies the merge moved back at the assets that came back."""
    s = uow.session
    by_id = {uuid.UUID(m["id"]): m for m in moved}
    if not by_id:
        return
    for dep in s.scalars(select(AssetDependency).where(AssetDependency.id.in_(list(by_id)))):
        was = by_id[dep.id]
        source, target = _uuid(was.get("source_asset_id")), _uuid(was.get("target_asset_id"))
        if dep.source_asset_id == holder_id and source in restored:
            dep.source_asset_id = source
        if dep.target_asset_id == holder_id and target in restored:
            dep.target_asset_id = target


def _records(uow: UnitOfWork, record_ids: Sequence[uuid.UUID]) -> list[Record]:
    """The cleansed records, oldest import first and in row order (as the inventory orders them)."""
    rows = uow.session.execute(
        select(
            RawImportRecord.id,
            RawImportRecord.data_import_id,
            RawImportRecord.record_index,
            RawImportRecord.cells,
            RawImportRecord.cleansed_data,
            RawImportRecord.cleansed_lineage,
        ).where(RawImportRecord.id.in_(record_ids), RawImportRecord.cleansed_data.is_not(None))
    ).all()
    infos: dict[uuid.UUID, ImportInfo] = load_import_infos(uow, {r.data_import_id for r in rows})
    out = [
        Record(
            str(r.id),
            infos[r.data_import_id],
            r.record_index,
            r.cells or [],
            r.cleansed_data,
            r.cleansed_lineage,
        )
        for r in rows
    ]
    out.sort(key=lambda r: (r.imp.order, r.index))
    details.attach(uow, out)  # as the inventory loads them: with what RVTools detail sheets add
    return out
