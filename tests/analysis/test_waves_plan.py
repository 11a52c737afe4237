"""Wave planning on a real database: a valid plan, locked waves and manual moves kept, RLS, export/apply."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from analysis.planning_estate import add_estate
from core.actions import planning
from core.bootstrap import Core
from core.errors import UserInputError
from core.queries.waves import wave_plan
from core.tenancy import ensure_engagement
from core.uow import Tenant


def _plan(core: Core, tenant: Tenant, **kw) -> dict:
    return planning.plan_waves(core.uows, tenant, time_limit_s=2.0, **kw).value


def _wave_of(plan: dict) -> dict[str, str]:
    return {a: w["name"] for w in plan["waves"] for a in w["assets"]}


def _wave_id(core: Core, tenant: Tenant, name: str) -> uuid.UUID:
    from sqlalchemy import select

    from core.db.models import Wave

    with core.uow(tenant) as uow:
        return uow.session.scalar(select(Wave.id).where(Wave.name == name))


def test_small_estate_plans_with_no_broken_dependency(core: Core, tenant: Tenant) -> None:
    add_estate(core, tenant)
    plan = _plan(core, tenant, max_servers=3)
    assert list(plan)[:3] == ["waves", "broken_dependencies", "max_servers"]
    assert plan["broken_dependencies"] == [] and plan["max_servers"] == 3
    where = _wave_of(plan)
    assert sorted(where) == ["crm01", "crm02", "db01", "lone01", "rpt01", "web01", "web02"]  # each once
    assert all(len(w["assets"]) <= 3 for w in plan["waves"])
    order = {w["name"]: w["order"] for w in plan["waves"]}
    assert order[where["db01"]] <= order[where["web01"]] and where["web01"] == where["web02"]
    assert where["crm01"] == where["crm02"]  # one application moves whole
    assert any("one group per application name" in n for n in plan["notes"])  # no move groups stored
    assert wave_plan(core.uows, tenant)["broken_dependencies"] == []


def test_locked_wave_and_manual_move_survive_a_replan(core: Core, tenant: Tenant) -> None:
    add_estate(core, tenant)
    plan = _plan(core, tenant, max_servers=3)
    first = _wave_of(plan)
    locked_name = first["crm01"]
    planning.lock_wave(core.uows, tenant, _wave_id(core, tenant, locked_name))
    planning.rename_wave(core.uows, tenant, _wave_id(core, tenant, locked_name), "Pilot")
    locked_members = sorted(a for a, w in first.items() if w == locked_name)
    # move Reports by hand into the last wave: it depends on db01, which moves earlier — nothing breaks
    last = max(plan["waves"], key=lambda w: w["order"])["name"]
    broken = planning.move_application(core.uows, tenant, "reports", _wave_id(core, tenant, last)).value
    assert broken == []
    again = _plan(core, tenant, max_servers=3)
    now = _wave_of(again)
    assert sorted(a for a, w in now.items() if w == "Pilot") == locked_members
    assert next(w for w in again["waves"] if w["name"] == "Pilot")["locked"] is True
    assert now["rpt01"] == last
    with pytest.raises(UserInputError, match="locked"):
        planning.move_application(core.uows, tenant, "Shop", _wave_id(core, tenant, "Pilot"))


def test_manual_move_reports_the_dependency_it_breaks(core: Core, tenant: Tenant) -> None:
    add_estate(core, tenant)
    plan = _plan(core, tenant, max_servers=3)
    where = _wave_of(plan)
    order = {w["name"]: w["order"] for w in plan["waves"]}
    first = min(plan["waves"], key=lambda w: w["order"])["name"]
    assert order[where["db01"]] > order[first]  # non-production CRM first, the production database later
    broken = planning.move_application(core.uows, tenant, "Reports", _wave_id(core, tenant, first)).value
    assert [(b["from"], b["to"], b["from_wave"], b["to_wave"]) for b in broken] == [
        ("rpt01", "db01", first, where["db01"])
    ]
    live = wave_plan(core.uows, tenant)["broken_dependencies"]
    assert [(b["from"], b["to"]) for b in live] == [("rpt01", "db01")] and "moves later" in live[0]["reason"]


def test_limit_below_an_unsplittable_group_is_refused(core: Core, tenant: Tenant) -> None:
    add_estate(core, tenant, links=[])
    with pytest.raises(UserInputError) as err:
        _plan(core, tenant, max_servers=1)  # Shop and CRM have two servers each
    assert "limit" in str(err.value)
    assert wave_plan(core.uows, tenant)["waves"] == []  # nothing stored


def test_tenant_sees_none_of_another_tenants_waves(core: Core, tenant: Tenant) -> None:
    add_estate(core, tenant)
    _plan(core, tenant, max_servers=3)
    ref = ensure_engagement(core.db.admin_sessions(), f"Other {uuid.uuid4().hex[:6]}", "E", core.user_id)
    other = core.tenant_for(ref)
    assert wave_plan(core.uows, other)["waves"] == []
    with pytest.raises(UserInputError):
        planning.lock_wave(core.uows, other, _wave_id(core, tenant, "Wave 1"))


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_edit_apply(core: Core, tenant: Tenant, tmp_path: Path, suffix: str) -> None:
    add_estate(core, tenant)
    plan = _plan(core, tenant, max_servers=3)
    path = tmp_path / f"waves.{suffix}"
    assert planning.export_waves(core.uows, tenant, path).value["rows"] == 7
    where = _wave_of(plan)
    target = next(w["name"] for w in plan["waves"] if w["name"] != where["lone01"])
    if suffix == "xlsx":
        wb = load_workbook(path)
        ws = wb["Waves"]
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            if row[header.index("Asset")].value == "lone01":
                row[header.index("Wave")].value = target
        wb.save(path)
    else:
        text = path.read_text(encoding="utf-8-sig").splitlines()
        out = [text[0]]
        for line in text[1:]:
            if '"lone01"' in line:
                line = line.replace(f'"{where["lone01"]}"', f'"{target}"', 1)
            out.append(line)
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
    done = planning.apply_wave_sheet(core.uows, tenant, path).value
    assert done["moved"] == [
        {"application": None, "assets": ["lone01"], "from": [where["lone01"]], "to": target}
    ]
    assert _wave_of(wave_plan(core.uows, tenant))["lone01"] == target
    assert _wave_of(_plan(core, tenant, max_servers=3))["lone01"] == target  # a manual placement now


def test_apply_refuses_unknown_wave_and_asset_with_row_and_column(
    core: Core, tenant: Tenant, tmp_path: Path
) -> None:
    add_estate(core, tenant)
    _plan(core, tenant, max_servers=3)
    path = tmp_path / "waves.xlsx"
    planning.export_waves(core.uows, tenant, path)
    wb = load_workbook(path)
    ws = wb["Waves"]
    ws.cell(row=3, column=1).value = "Wave 99"
    wb.save(path)
    with pytest.raises(UserInputError) as err:
        planning.apply_wave_sheet(core.uows, tenant, path)
    assert err.value.row == 3 and err.value.column == "Wave" and err.value.file == str(path)
    assert "Wave 99" in str(err.value)
    ws.cell(row=3, column=1).value = "Wave 1"
    ws.cell(row=4, column=6).value = str(uuid.uuid4())
    wb.save(path)
    with pytest.raises(UserInputError) as err:
        planning.apply_wave_sheet(core.uows, tenant, path)
    assert err.value.row == 4 and err.value.column == "Asset ID"


def test_stored_move_groups_are_used_and_infrastructure_left_out(core: Core, tenant: Tenant) -> None:
    from core.db.models import InfrastructureService, MoveGroup, MoveGroupMember

    ids = add_estate(core, tenant)
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    with core.uow(tenant) as uow:  # what the dependency analysis stores: Shop + ShopDB + Reports together
        g = MoveGroup(id=uuid.uuid4(), key="g1", name="Shop estate", **scope)
        uow.session.add(g)
        uow.session.flush()
        for host in ("web01", "web02", "db01", "rpt01"):
            uow.session.add(MoveGroupMember(move_group_id=g.id, asset_id=ids[host], **scope))
        uow.session.add(InfrastructureService(asset_id=ids["lone01"], category="dns", source="port", **scope))
        uow.commit()
    plan = _plan(core, tenant, max_servers=4)
    where = _wave_of(plan)
    assert "lone01" not in where  # infrastructure is not migrated in a wave
    assert len({where[h] for h in ("web01", "web02", "db01", "rpt01")}) == 1
    assert plan["broken_dependencies"] == [] and not any(
        "no move groups are stored" in n for n in plan["notes"]
    )
    assert any(n.startswith("2 asset(s) are in no stored move group") for n in plan["notes"])  # crm01, crm02


def test_waves_are_dated_and_a_replan_keeps_the_calendar(core: Core, tenant: Tenant) -> None:
    import datetime as dt

    add_estate(core, tenant)
    first = _plan(core, tenant, max_servers=3)
    starts = [dt.date.fromisoformat(w["start"]) for w in first["waves"]]
    assert starts[0].weekday() == 0 and starts[0] > dt.date.today()  # the Monday after today
    assert all(b - a == dt.timedelta(days=14) for a, b in itertools.pairwise(starts))  # two-week waves
    again = _plan(core, tenant, max_servers=3)  # same calendar, not moved to a later Monday
    assert [w["start"] for w in again["waves"]] == [w["start"] for w in first["waves"]]

    redated = _plan(core, tenant, max_servers=3, start=dt.date(2027, 3, 1), wave_days=7)
    windows = [(w["start"], w["end"]) for w in redated["waves"]]
    assert windows[0] == ("2027-03-01", "2027-03-07") and windows[1] == ("2027-03-08", "2027-03-14")
