"""Duplicate review: assets that share a key but were kept apart, paged, and "not a duplicate".

Why: the inventory keeps assets apart on purpose when a stronger key disagrees or a short name is
ambiguous, and a consultant settles each case — merge (`core.inventory.merges`) or say the assets
are different machines. An engagement of 40,000 machines has well over a thousand such groups,
so the review pages them in SQL with a total, and a pair said to be distinct
(`asset_distinct_decisions`) is not proposed again: a group is listed while any pair in it is
undecided.

Serial numbers group by the same key as identity (`core.values.identifiers.serial_key`):
`SERIAL_KEY_SQL` is its SQL twin (a test keeps them agreeing), so one VM's serial written as a
VMware serial and as a (byte-swapped) UUID is one "same serial number" group, and placeholder
serials ("To be filled by O.E.M.") group nothing.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from core.changes import OpChanges, ids
from core.db.models import Asset, AssetDistinctDecision
from core.errors import UserInputError
from core.uow import UnitOfWork
from core.values.identifiers import JUNK_SERIALS

#: a serial lower-cased without prefix and separators (`uuid_digits` in SQL); `{col}` is the column
SERIAL_HEX_SQL = (
    "regexp_replace(regexp_replace(lower(btrim({col})), '^(vmware-|urn:uuid:|uuid:)', ''),"
    " '[\\s\\-:{{}}]', '', 'g')"
)
_SWAPPED = (
    "substr(h,7,2)||substr(h,5,2)||substr(h,3,2)||substr(h,1,2)"
    "||substr(h,11,2)||substr(h,9,2)||substr(h,15,2)||substr(h,13,2)||substr(h,17)"
)
#: the serial upper-cased without whitespace (what `serial_key` compares a non-UUID serial by)
SERIAL_TEXT_SQL = "upper(regexp_replace({col}, '\\s+', '', 'g'))"
_JUNK = ", ".join(f"'{j}'" for j in sorted(JUNK_SERIALS))
#: the key of `serial_key` in SQL, over subquery columns `h` (`SERIAL_HEX_SQL`) and `n`
#: (`SERIAL_TEXT_SQL`): order-free 32 hex digits for a UUID-shaped serial, the text for another, NULL
#: for a placeholder, a short one or one of a single repeated character
SERIAL_KEY_SQL = (
    "CASE WHEN h ~ '^[0-9a-f]{32}$' THEN"
    f' CASE WHEN h ~ \'^(.)\\1{{31}}$\' THEN NULL ELSE least(h COLLATE "C", ({_SWAPPED}) COLLATE "C") END'
    f" WHEN n IN ({_JUNK}) OR length(n) < 4 OR n ~ '^(.)\\1*$' THEN NULL ELSE n END"
)

_KEYED_SQL = f"""
  SELECT 'same host name' AS reason, 1 AS prio, lower(hostname) AS key,
         array_agg(id ORDER BY created_at, id) AS ids,
         array_agg(coalesce(fqdn, asset_name) ORDER BY created_at, id) AS names
    FROM assets WHERE hostname IS NOT NULL GROUP BY lower(hostname) HAVING count(*) > 1
  UNION ALL
  SELECT 'same serial number', 0, CASE WHEN bool_or(uuid_like) THEN min(serial_number) ELSE k END,
         array_agg(id ORDER BY created_at, id), array_agg(asset_name ORDER BY created_at, id)
    FROM (SELECT id, created_at, asset_name, serial_number, h ~ '^[0-9a-f]{{32}}$' AS uuid_like,
                 {SERIAL_KEY_SQL} AS k
            FROM (SELECT id, created_at, asset_name, serial_number,
                         {SERIAL_HEX_SQL.format(col="serial_number")} AS h,
                         {SERIAL_TEXT_SQL.format(col="serial_number")} AS n FROM assets
                   WHERE serial_number IS NOT NULL) s) s
   WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1
  UNION ALL
  SELECT 'same IP address', 2, ip_address, array_agg(id ORDER BY created_at, id),
         array_agg(asset_name ORDER BY created_at, id)
    FROM assets WHERE ip_address IS NOT NULL GROUP BY ip_address HAVING count(*) > 1
  UNION ALL
  SELECT 'same name', 3, lower(asset_name), array_agg(id ORDER BY created_at, id),
         array_agg(asset_name ORDER BY created_at, id)
    FROM assets WHERE asset_name IS NOT NULL GROUP BY lower(asset_name) HAVING count(*) > 1
"""
#: a group is open while one pair of its assets has no "not a duplicate" decision
_OPEN = """EXISTS (
    SELECT 1 FROM unnest({ids}) a(x), unnest({ids}) b(y)
     WHERE a.x < b.y AND NOT EXISTS (
       SELECT 1 FROM asset_distinct_decisions d WHERE d.asset_a_id = a.x AND d.asset_b_id = b.y))"""

_PER_KEY_SQL = f"""
SELECT reason, key, ids, names FROM ({_KEYED_SQL}) c WHERE {_OPEN.format(ids="c.ids")}
 ORDER BY prio, key LIMIT :limit OFFSET :offset
"""
_SETS_CTE = f"""
WITH keyed AS ({_KEYED_SQL}),
sets AS (
  SELECT DISTINCT ON (ids) ids, names, key, prio,
         string_agg(reason, ', ') OVER (
           PARTITION BY ids ORDER BY prio, key ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
         ) AS reasons
    FROM keyed ORDER BY ids, prio, key
),
open_sets AS (SELECT * FROM sets s WHERE {_OPEN.format(ids="s.ids")})
"""
_SETS_PAGE_SQL = (
    _SETS_CTE + "SELECT reasons, key, ids, names, count(*) OVER () FROM open_sets"
    " ORDER BY prio, key, ids LIMIT :limit OFFSET :offset"
)
_SETS_COUNT_SQL = _SETS_CTE + "SELECT count(*) FROM open_sets"


def duplicate_candidates(uow: UnitOfWork, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Groups of assets that share a serial, host name, IP or name but were kept apart (one per key).

    They were kept apart on purpose (a stronger key disagreed, or a short name was ambiguous); a
    consultant confirms with `merge_assets` or says they are distinct (`mark_distinct`), after
    which the group is not listed again. `duplicate_page` lists each set of assets once.
    """
    rows = uow.session.execute(text(_PER_KEY_SQL), {"limit": max(limit, 0), "offset": max(offset, 0)})
    return [
        {"reason": reason, "key": key, "asset_ids": [str(i) for i in ids_], "names": list(names)}
        for reason, key, ids_, names in rows
    ]


@dataclass(frozen=True)
class CandidatePage:
    """One page of candidate groups (each set of assets once, with every key it shares) and the total."""

    total: int
    offset: int
    groups: list[dict[str, Any]]


def duplicate_page(uow: UnitOfWork, *, offset: int = 0, limit: int = 200) -> CandidatePage:
    """Candidate groups `offset`..`offset+limit` in a stable order, with how many there are in all.

    A group's `reason` names every key its assets share ("same host name, same name"), strongest
    first; groups whose pairs were all said to be distinct are left out.
    """
    offset, limit = max(offset, 0), max(limit, 0)
    rows = uow.session.execute(text(_SETS_PAGE_SQL), {"limit": limit, "offset": offset}).all()
    # past the last page the window count has no row to ride on: count on its own
    total = int(rows[0][4]) if rows else int(uow.session.scalar(text(_SETS_COUNT_SQL)) or 0)
    groups = [
        {"reason": reasons, "key": key, "asset_ids": [str(i) for i in ids_], "names": list(names)}
        for reasons, key, ids_, names, _total in rows
    ]
    return CandidatePage(total, offset, groups)


def mark_distinct(uow: UnitOfWork, asset_ids: Sequence[uuid.UUID], *, note: str | None = None) -> int:
    """Record that these assets are different machines (every pair of them); returns new pairs.

    The duplicate review no longer proposes a group whose pairs are all recorded. Does not commit.
    """
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("deciding duplicates needs a tenant unit of work")
    wanted = list(dict.fromkeys(asset_ids))
    if len(wanted) < 2:
        raise UserInputError("choose at least two assets that are not duplicates of each other")
    s = uow.session
    found = set(s.scalars(select(Asset.id).where(Asset.id.in_(wanted))))
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise UserInputError(
            f"no asset(s) {', '.join(missing)} in this engagement", hint="reload the duplicate review"
        )
    pairs = [tuple(sorted(p)) for p in itertools.combinations(wanted, 2)]
    rows = [
        {
            "id": uuid.uuid4(),
            "asset_a_id": a,
            "asset_b_id": b,
            "decided_by": tenant.user_id,
            "note": note,
            "client_account_id": tenant.client_account_id,
            "engagement_id": tenant.engagement_id,
        }
        for a, b in pairs
    ]
    stmt = (
        insert(AssetDistinctDecision)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["asset_a_id", "asset_b_id"])
        .returning(AssetDistinctDecision.id)
    )
    added = s.execute(stmt).all()
    uow.note(OpChanges(assets=True, asset_ids=ids(*wanted), count=len(added)))
    return len(added)


def distinct_pairs(uow: UnitOfWork) -> int:
    """How many pairs of assets were said not to be duplicates (for the review's heading)."""
    return int(uow.session.scalar(select(func.count()).select_from(AssetDistinctDecision)) or 0)


def kept_apart(uow: UnitOfWork, *, limit: int = 500) -> list[dict[str, Any]]:
    """The "not a duplicate" decisions, newest first, one entry per decision (all its pairs).

    One decision is the pairs written together (same time, author and note), so the review can list
    "these 3 assets are different machines" once and take it back as a whole (`forget_distinct`).
    """
    rows = uow.session.execute(
        text(
            """
            SELECT array_agg(d.id ORDER BY d.id) AS ids, d.created_at, d.note, u.display_name,
                   array_agg(DISTINCT x.asset_id) AS assets
              FROM asset_distinct_decisions d
              LEFT JOIN users u ON u.id = d.decided_by
              CROSS JOIN LATERAL (VALUES (d.asset_a_id), (d.asset_b_id)) AS x(asset_id)
             GROUP BY d.created_at, d.note, d.decided_by, u.display_name
             ORDER BY d.created_at DESC
             LIMIT :limit
            """
        ),
        {"limit": limit},
    ).all()
    wanted = {a for row in rows for a in row.assets}
    names = (
        {
            a.id: a.hostname or a.asset_name or a.fqdn or str(a.id)
            for a in uow.session.scalars(select(Asset).where(Asset.id.in_(wanted)))
        }
        if wanted
        else {}
    )
    return [
        {
            "decision_ids": sorted(set(row.ids)),
            "created_at": row.created_at,
            "note": row.note,
            "decided_by": row.display_name,
            "asset_ids": sorted(row.assets),
            "asset_names": sorted(names.get(a, str(a)) for a in row.assets),
        }
        for row in rows
    ]


def forget_distinct(uow: UnitOfWork, decision_ids: Sequence[uuid.UUID]) -> int:
    """Take back "not a duplicate" decisions: their groups are proposed again. Does not commit.

    Returns how many pairs were removed; ids of other engagements are invisible (row-level security)
    and so removed nothing, which is reported rather than ignored.
    """
    wanted = list(dict.fromkeys(decision_ids))
    if not wanted:
        raise UserInputError("choose a “not a duplicate” decision to take back")
    gone = uow.session.execute(
        delete(AssetDistinctDecision)
        .where(AssetDistinctDecision.id.in_(wanted))
        .returning(AssetDistinctDecision.asset_a_id, AssetDistinctDecision.asset_b_id)
    ).all()
    if not gone:
        raise UserInputError(
            "that “not a duplicate” decision no longer exists in this engagement",
            hint="reload the duplicate review",
        )
    touched = {a for pair in gone for a in pair}
    uow.note(OpChanges(assets=True, asset_ids=ids(*touched), count=len(gone)))
    return len(gone)
