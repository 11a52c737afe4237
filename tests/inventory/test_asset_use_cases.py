"""The asset screen's core entry points: reads through `core.queries.assets`, the merge use case.

Why: the front ends reach the inventory only through these (they open no unit of work); the merge owns
its transaction and its outcome names the assets it touched, so screens refresh from the core's word.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.actions.assets import merge_assets
from core.bootstrap import Core
from core.db.models import Asset, AssetMergeDecision
from core.errors import UserInputError
from core.inventory import count_assets
from core.queries import assets as queries
from core.uow import Tenant

from .conftest import Estate


def _ids_by_name(core: Core, tenant: Tenant) -> dict[str, Asset]:
    with core.uow(tenant) as uow:
        rows = uow.session.scalars(select(Asset)).all()
        uow.session.expunge_all()
    return {a.fqdn or a.hostname or a.asset_name or str(a.id): a for a in rows}


def test_merge_commits_and_its_outcome_names_the_assets(core: Core, tenant: Tenant, estate: Estate) -> None:
    assets = _ids_by_name(core, tenant)
    keep, bare = assets["web02.corp.example.com"], assets["web02"]
    done = merge_assets(core.uows, tenant, keep.id, [bare.id, keep.id], note="same box")
    assert done.value["id"] == str(keep.id) and len(done.value["sources"]) == 2
    assert done.changes.assets and done.changes.asset_ids == {keep.id, bare.id}
    assert done.changes.count == 1 and not (done.changes.flows or done.changes.imports)
    with core.uow(tenant) as uow:  # durable: another unit of work sees it
        assert uow.session.get(Asset, bare.id) is None
        decision = uow.session.scalars(
            select(AssetMergeDecision).where(AssetMergeDecision.kept_asset_id == keep.id)
        ).one()
        assert decision.note == "same box"


def test_a_refused_merge_writes_nothing(core: Core, tenant: Tenant, estate: Estate) -> None:
    assets = _ids_by_name(core, tenant)
    keep = assets["web02.corp.example.com"]
    with core.uow(tenant) as uow:
        before = count_assets(uow)
    with pytest.raises(UserInputError, match="at least one other asset"):
        merge_assets(core.uows, tenant, keep.id, [keep.id])
    with core.uow(tenant) as uow:
        assert count_assets(uow) == before
        assert uow.session.scalars(select(AssetMergeDecision)).all() == []


def test_window_follows_an_asset_and_pages_agree(core: Core, tenant: Tenant, estate: Estate) -> None:
    columns = ["asset_name", "hostname"]
    everything = queries.asset_page(core.uows, tenant, columns=columns, page=0, page_size=100)
    total = len(everything)
    last = everything[-1]["id"]
    window = queries.asset_window(core.uows, tenant, columns=columns, page_size=2, follow=last)
    assert window.total == total and window.located == total - 1 and window.page == (total - 1) // 2
    assert window.records[-1]["id"] == last
    page = queries.asset_page(core.uows, tenant, columns=columns, page=window.page, page_size=2)
    assert [r["id"] for r in page] == [r["id"] for r in window.records]
    anchored = queries.asset_window(core.uows, tenant, columns=columns, page_size=2, anchor_row=10_000)
    assert anchored.located is None and anchored.page == (total - 1) // 2  # clamped to the last row
    filtered = queries.asset_window(
        core.uows, tenant, columns=columns, page_size=2, filters={"search": "no such asset"}, follow=last
    )
    assert (filtered.total, filtered.located, filtered.page, filtered.records) == (0, None, 0, [])


def test_choices_quality_and_detail(core: Core, tenant: Tenant, estate: Estate) -> None:
    choices = queries.filter_choices(core.uows, tenant, ("environment",))
    with core.uow(tenant) as uow:
        assert choices.total == count_assets(uow)
        assert choices.conflicted == count_assets(uow, {"has_conflicts": True}) > 0
    assert dict(choices.values["environment"])["production"] >= 1
    assert {i.import_id for i in choices.imports if i.has_report} == {
        estate.cmdb.import_id,
        estate.rvtools.import_id,
        estate.sheet.import_id,
    }
    report = queries.import_quality(core.uows, tenant, estate.cmdb.import_id)
    assert report is not None and report["invalid_records"] == 1
    with core.uow(tenant) as uow:
        conflicted = uow.session.scalars(select(Asset.id).where(Asset.field_conflicts != {})).first()
    assert conflicted is not None
    detail = queries.asset_with_cells(core.uows, tenant, conflicted)
    values = [v for c in detail["conflicts"].values() for v in c.get("values") or []]
    assert values and all("source_column" in v for v in values)


def test_duplicate_groups_show_each_set_of_assets_once(core: Core, tenant: Tenant, estate: Estate) -> None:
    groups = queries.duplicate_groups(core.uows, tenant)
    sets = [frozenset(g.asset_ids) for g in groups]
    assert len(sets) == len(set(sets))
    web02 = next(g for g in groups if g.key == "web02")
    assert "same host name" in web02.reason and len(web02.asset_ids) == 3 and web02.details == ()
    opened = queries.group_details(core.uows, tenant, web02)
    assert [d["id"] for d in opened.details] == [str(i) for i in web02.asset_ids]
    assert opened == web02  # details do not take part in equality (the review re-finds its group)
