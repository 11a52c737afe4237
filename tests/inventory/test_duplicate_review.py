"""The duplicate review at engagement scale (issue 12.7): paged with a total, "not a duplicate", undo merge.

Why: the Duplicates tab stopped at 200 candidate rows when ~1,300 groups existed, a pair known to be
two machines came back on every visit, and a wrong merge could not be undone (the merged assets
were deleted and the decision kept their records together for good).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

from core import tenancy
from core.actions import assets as actions
from core.bootstrap import Core
from core.db.models import Asset, AssetDependency, AssetDistinctDecision, AssetMergeDecision
from core.errors import UserInputError
from core.inventory import duplicate_candidates
from core.inventory.duplicates import SERIAL_HEX_SQL, SERIAL_KEY_SQL, SERIAL_TEXT_SQL
from core.inventory.service import COLUMNS
from core.pipeline import run_flow
from core.queries import assets as queries
from core.uow import Tenant
from core.values.identifiers import serial_key

from .builders import make_import
from .conftest import Estate
from .test_identifiers import EC2, OTHER_SERIAL, OTHER_WINDOWS, SAME_VM

PAIRS = 230  # more than the 200 the tab used to stop at


def _rows(core: Core, tenant: Tenant) -> dict[uuid.UUID, dict[str, Any]]:
    """Every asset as the inventory wrote it (all columns but updated_at)."""
    cols = ", ".join((*COLUMNS, "created_at"))
    with core.uow(tenant) as uow:
        rows = uow.session.execute(text(f"SELECT {cols} FROM assets")).mappings().all()
    return {r["id"]: dict(r) for r in rows}


def _by_name(rows: dict[uuid.UUID, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["fqdn"] or r["hostname"] or r["asset_name"] or str(r["id"]): r for r in rows.values()}


# ----------------------------------------------------------------------------- serial groups


def test_the_sql_serial_key_is_the_python_one(core: Core, tenant: Tenant) -> None:
    samples = [
        *SAME_VM,
        OTHER_SERIAL,
        OTHER_WINDOWS,
        *EC2,
        "SN 12345",
        "7xk2l13",
        "VMware-00 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00",
        "To be filled by O.E.M.",
        "Default string",
        "n/a",
        "0000",
        "abc",
    ]
    sql = (
        f"SELECT v, {SERIAL_KEY_SQL} FROM (SELECT v, {SERIAL_HEX_SQL.format(col='v')} AS h,"
        f" {SERIAL_TEXT_SQL.format(col='v')} AS n FROM unnest(CAST(:vs AS text[])) v) s"
    )
    with core.uow(tenant) as uow:
        got = dict(uow.session.execute(text(sql), {"vs": samples}).all())
    assert got == {v: serial_key(v) for v in samples}


# ----------------------------------------------------------------------------- paging


@pytest.fixture
def many_pairs(core: Core, tenant: Tenant) -> None:
    """PAIRS host names each used by two machines in different domains: one candidate group each."""
    rows = [
        [f"srv{i:03d}.{domain}", f"10.{d}.{i // 250}.{i % 250 + 1}"]
        for d, domain in enumerate(("corp.example.com", "dmz.example.com"), start=1)
        for i in range(PAIRS)
    ]
    made = make_import(
        core, tenant, "all_servers.csv", ["FQDN", "IP"], rows, {"FQDN": "fqdn", "IP": "ip_address"}
    )
    run_flow(core.uows, tenant, made.flow_id)


def test_candidates_page_beyond_200_with_a_total(core: Core, tenant: Tenant, many_pairs: None) -> None:
    first = queries.duplicate_page(core.uows, tenant, offset=0, limit=200)
    second = queries.duplicate_page(core.uows, tenant, offset=200, limit=200)
    past = queries.duplicate_page(core.uows, tenant, offset=400, limit=200)
    assert (first.total, second.total, past.total) == (PAIRS, PAIRS, PAIRS)
    assert (len(first.groups), len(second.groups), past.groups) == (200, PAIRS - 200, [])
    sets = [frozenset(g.asset_ids) for g in (*first.groups, *second.groups)]
    assert len(set(sets)) == PAIRS  # no group twice, none left out
    assert all(len(s) == 2 for s in sets) and "same host name" in first.groups[0].reason
    keys = [g.key for g in (*first.groups, *second.groups)]
    assert keys == sorted(keys)  # one stable order across pages
    assert queries.duplicate_page(core.uows, tenant, offset=0, limit=200) == first


# ----------------------------------------------------------------------------- not a duplicate


def test_not_a_duplicate_is_stored_and_the_group_is_not_proposed_again(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    before = queries.duplicate_page(core.uows, tenant)
    web02 = next(g for g in before.groups if g.key == "web02")
    done = actions.mark_not_duplicate(core.uows, tenant, list(web02.asset_ids), note="three boxes")
    assert done.value == 3 and done.changes.assets and done.changes.asset_ids == set(web02.asset_ids)
    after = queries.duplicate_page(core.uows, tenant)  # a new unit of work: it is stored
    assert after.total == before.total - 1
    assert all(frozenset(g.asset_ids) != frozenset(web02.asset_ids) for g in after.groups)
    with core.uow(tenant) as uow:
        assert all(g["key"] != "web02" for g in duplicate_candidates(uow))
        assert len(uow.session.scalars(select(AssetDistinctDecision)).all()) == 3
    again = actions.mark_not_duplicate(core.uows, tenant, list(web02.asset_ids))
    assert again.value == 0  # already decided: nothing new
    run_flow(core.uows, tenant, estate.sheet.flow_id, rerun=True)  # assets keep their ids
    assert all(g.key != "web02" for g in queries.duplicate_page(core.uows, tenant).groups)


def test_a_group_with_an_undecided_pair_stays_and_refusals_write_nothing(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    web02 = next(g for g in queries.duplicate_groups(core.uows, tenant) if g.key == "web02")
    a, b, _c = web02.asset_ids
    actions.mark_not_duplicate(core.uows, tenant, [a, b])
    assert any(g.key == "web02" for g in queries.duplicate_groups(core.uows, tenant))  # c is undecided
    with pytest.raises(UserInputError, match="at least two"):
        actions.mark_not_duplicate(core.uows, tenant, [a, a])
    with pytest.raises(UserInputError, match="no asset"):
        actions.mark_not_duplicate(core.uows, tenant, [a, uuid.uuid4()])
    with core.uow(tenant) as uow:
        assert len(uow.session.scalars(select(AssetDistinctDecision)).all()) == 1


def test_not_a_duplicate_can_be_taken_back_as_one_decision(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    suffix = uuid.uuid4().hex[:8]
    other_tenant = core.tenant_for(
        tenancy.ensure_engagement(
            core.db.admin_sessions(), f"Other {suffix}", f"Other {suffix}", core.user_id
        )
    )
    before = queries.duplicate_page(core.uows, tenant)
    web02 = next(g for g in before.groups if g.key == "web02")
    actions.mark_not_duplicate(core.uows, tenant, list(web02.asset_ids), note="three boxes")
    (decision,) = queries.kept_apart_decisions(core.uows, tenant)  # three pairs, one decision
    assert len(decision.decision_ids) == 3 and len(decision.asset_names) == 3
    assert decision.note == "three boxes" and decision.decided_by
    with pytest.raises(UserInputError, match="no longer exists"):  # another engagement's view: nothing
        actions.undo_not_duplicate(core.uows, other_tenant, list(decision.decision_ids))
    assert queries.kept_apart_decisions(core.uows, tenant) == [decision]

    done = actions.undo_not_duplicate(core.uows, tenant, list(decision.decision_ids))
    assert done.value == 3 and done.changes.asset_ids == set(web02.asset_ids)
    assert queries.kept_apart_decisions(core.uows, tenant) == []
    again = queries.duplicate_page(core.uows, tenant)
    assert again.total == before.total and any(g.key == "web02" for g in again.groups)
    with pytest.raises(UserInputError, match="no longer exists"):  # taken back twice
        actions.undo_not_duplicate(core.uows, tenant, list(decision.decision_ids))


# ----------------------------------------------------------------------------- merge, then split


def _dependency(core: Core, tenant: Tenant, source: uuid.UUID, target: uuid.UUID) -> uuid.UUID:
    with core.uow(tenant) as uow:
        dep = AssetDependency(
            source_asset_id=source,
            target_asset_id=target,
            port=1433,
            protocol="tcp",
            client_account_id=tenant.client_account_id,
            engagement_id=tenant.engagement_id,
        )
        uow.session.add(dep)
        uow.commit()
        return dep.id


def test_merge_then_split_restores_both_assets_with_their_lineage(
    core: Core, tenant: Tenant, estate: Estate
) -> None:
    original = _rows(core, tenant)
    names = _by_name(original)
    keep, bare, db01 = names["web02.corp.example.com"], names["web02"], names["db01.corp.example.com"]
    dep = _dependency(core, tenant, bare["id"], db01["id"])
    merged = actions.merge_assets(core.uows, tenant, keep["id"], [bare["id"]], note="same box?")
    assert bare["id"] not in _rows(core, tenant)
    assert [m.merge_id for m in queries.merges(core.uows, tenant)] == [uuid.UUID(merged.value["merge_id"])]
    assert queries.merges(core.uows, tenant)[0].can_split

    done = actions.split_merge(core.uows, tenant, uuid.UUID(merged.value["merge_id"]))
    assert done.value["restored"] == [bare["id"]] and done.value["kept"]["id"] == str(keep["id"])
    assert done.changes.assets and done.changes.asset_ids == {keep["id"], bare["id"]}
    after = _rows(core, tenant)
    assert after == original  # same ids, records, values, lineage, conflicts, flows, creation times
    with core.uow(tenant) as uow:
        assert uow.session.get(AssetDependency, dep).source_asset_id == bare["id"]
        decision = uow.session.scalars(select(AssetMergeDecision)).one()
        assert decision.split_at is not None and decision.split_by == core.user_id
        merge_id = decision.id
    assert queries.merges(core.uows, tenant) == []
    assert any(g.key == "web02" for g in queries.duplicate_groups(core.uows, tenant))  # proposed again

    run_flow(core.uows, tenant, estate.sheet.flow_id, rerun=True)  # the split merge links nothing now
    assert _rows(core, tenant).keys() == original.keys()
    with pytest.raises(UserInputError, match="already undone"):
        actions.split_merge(core.uows, tenant, merge_id)


def test_a_merge_kept_across_a_rerun_still_splits(core: Core, tenant: Tenant, estate: Estate) -> None:
    original = _rows(core, tenant)
    names = _by_name(original)
    keep, bare = names["web02.corp.example.com"], names["web02"]
    merged = actions.merge_assets(core.uows, tenant, keep["id"], [bare["id"]])
    run_flow(core.uows, tenant, estate.sheet.flow_id, rerun=True)
    assert bare["id"] not in _rows(core, tenant)  # the must-link held
    actions.split_merge(core.uows, tenant, uuid.UUID(merged.value["merge_id"]))
    after = _rows(core, tenant)
    assert {k: after[k]["field_lineage"] for k in (keep["id"], bare["id"])} == {
        k: original[k]["field_lineage"] for k in (keep["id"], bare["id"])
    }
    assert after[bare["id"]]["source_record_ids"] == original[bare["id"]]["source_record_ids"]


def test_split_refusals_say_what_to_do_and_write_nothing(core: Core, tenant: Tenant, estate: Estate) -> None:
    names = _by_name(_rows(core, tenant))
    corp, dmz, bare = names["web02.corp.example.com"], names["web02.dmz.example.com"], names["web02"]
    first = actions.merge_assets(core.uows, tenant, corp["id"], [bare["id"]])
    second = actions.merge_assets(core.uows, tenant, corp["id"], [dmz["id"]])
    listed = {m.merge_id: m for m in queries.merges(core.uows, tenant)}
    first_id, second_id = uuid.UUID(first.value["merge_id"]), uuid.UUID(second.value["merge_id"])
    assert not listed[first_id].can_split and "later merge" in (listed[first_id].why_not or "")
    with pytest.raises(UserInputError, match="later merge") as err:
        actions.split_merge(core.uows, tenant, first_id)
    assert "undo that merge first" in (err.value.hint or "")
    actions.split_merge(core.uows, tenant, second_id)  # last in, first out
    actions.split_merge(core.uows, tenant, first_id)
    assert len(_rows(core, tenant)) == len(names)

    with core.uow(tenant) as uow:  # a merge recorded before merges could be split (schema 0004)
        legacy = _legacy_merge(uow, tenant, corp["id"], bare["id"])
        uow.commit()
    with pytest.raises(UserInputError, match="recorded before merges could be undone"):
        actions.split_merge(core.uows, tenant, legacy)
    with pytest.raises(UserInputError, match="no merge"):
        actions.split_merge(core.uows, tenant, uuid.uuid4())


def _legacy_merge(uow: Any, tenant: Tenant, keep: uuid.UUID, other: uuid.UUID) -> uuid.UUID:
    """A decision row as merges wrote it before schema 0005 (no record of what was joined)."""
    records = [
        r
        for a in uow.session.scalars(select(Asset).where(Asset.id.in_([keep, other])))
        for r in a.source_record_ids
    ]
    decision = AssetMergeDecision(
        kept_asset_id=keep,
        record_ids=records,
        client_account_id=tenant.client_account_id,
        engagement_id=tenant.engagement_id,
    )
    uow.session.add(decision)
    uow.session.flush()
    return decision.id
