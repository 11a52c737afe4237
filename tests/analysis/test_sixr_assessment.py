"""The 6R assessment on a real database: rules on stored assets and findings, overrides that survive, RLS."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from analysis.planning_estate import add_estate
from core.actions import planning
from core.bootstrap import Core
from core.db.models import SixROverride, SixRRecommendation
from core.errors import UserInputError
from core.tenancy import ensure_engagement
from core.uow import Tenant

ESTATE = [
    ("old01", "Legacy", "production", "high", 10.0, {"operating_system": "SunOS 5.10"}),
    (
        "off01",
        "Dead",
        "test",
        "low",
        10.0,
        {"power_state": "poweredOff", "operating_system": "Windows Server 2019"},
    ),
    ("web01", "Shop", "production", "high", 10.0, {"operating_system": "Ubuntu 22.04"}),
    ("lone01", None, "test", "low", 10.0, {"operating_system": "Ubuntu 22.04"}),
]


def _by_app(value: dict) -> dict:
    return {r["application"] or r["assets"][0]: r for r in value["recommendations"]}


def test_rules_then_an_override_that_survives_a_rerun(core: Core, tenant: Tenant) -> None:
    add_estate(core, tenant, ESTATE, [])
    first = _by_app(planning.run_sixr(core.uows, tenant).value)
    assert first["Legacy"]["disposition"] == "retain" and first["Dead"]["disposition"] == "retire"
    assert first["lone01"]["application"] is None and first["Shop"]["overridden_by"] is None
    assert all(list(r) == ["application", "assets", "disposition", "confidence", "reasons", "overridden_by"]
               for r in first.values())  # fmt: skip
    rec = planning.override_disposition(core.uows, tenant, "shop", "refactor", "moving to containers").value
    assert rec["disposition"] == "refactor" and rec["overridden_by"] == "Test Consultant"
    assert any("moving to containers" in r for r in rec["reasons"])
    again = _by_app(planning.run_sixr(core.uows, tenant).value)
    assert again["Shop"]["disposition"] == "refactor" and again["Shop"]["confidence"] == 1.0
    with core.uow(tenant) as uow:
        o = uow.session.scalars(select(SixROverride)).one()
        assert o.application == "Shop" and o.decided_by == core.user_id and o.decided_at is not None
        stored = {r.application: r.disposition for r in uow.session.scalars(select(SixRRecommendation))}
        assert stored["Shop"] == "refactor" and len(stored) == 4  # replaced, not added to
    # an asset without application is overridden by its hostname
    planning.override_disposition(core.uows, tenant, "lone01", "retire", "decommissioned in March")
    assert _by_app(planning.run_sixr(core.uows, tenant).value)["lone01"]["disposition"] == "retire"
    cleared = planning.clear_override(core.uows, tenant, "Shop").value
    assert cleared["disposition"] == "rehost" and cleared["overridden_by"] is None


def test_override_refuses_bad_input(core: Core, tenant: Tenant) -> None:
    add_estate(core, tenant, ESTATE, [])
    with pytest.raises(UserInputError, match="no application or asset"):
        planning.override_disposition(core.uows, tenant, "Nope", "retire", "x")
    with pytest.raises(UserInputError, match="unknown disposition"):
        planning.override_disposition(core.uows, tenant, "Shop", "rebuy", "x")
    with pytest.raises(UserInputError, match="reason"):
        planning.override_disposition(core.uows, tenant, "Shop", "retire", "  ")
    with pytest.raises(UserInputError, match="decided as a whole"):
        planning.override_disposition(core.uows, tenant, "web01", "retire", "x")


def test_tenant_sees_none_of_another_tenants_decisions(core: Core, tenant: Tenant) -> None:
    add_estate(core, tenant, ESTATE, [])
    planning.override_disposition(core.uows, tenant, "Shop", "refactor", "containers")
    ref = ensure_engagement(core.db.admin_sessions(), f"Other {uuid.uuid4().hex[:6]}", "E", core.user_id)
    other = core.tenant_for(ref)
    assert planning.run_sixr(core.uows, other).value["recommendations"] == []
    with core.uow(other) as uow:
        assert uow.session.scalars(select(SixROverride)).all() == []
        assert uow.session.scalars(select(SixRRecommendation)).all() == []
