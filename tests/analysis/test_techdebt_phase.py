"""The tech-debt assessment phase on a real inventory (real PostgreSQL, real flow machinery).

The flow runner needs `dependency_analysis` done before `tech_debt_assessment` (core.phases).
While that phase has no engine in the registry (another step wires it), the flow test completes
it through `core.flows.complete_phase` — the one advance path — and says so; once it has an
engine, `run_flow` runs it for real and the test covers both phases unchanged.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from inventory.builders import Made, make_import  # tests/inventory: the same import set-up
from sqlalchemy import func, select

from core import tenancy
from core.bootstrap import Core
from core.db.models import DiscoveryFlow, TechDebtFinding
from core.errors import OperationCancelled
from core.flows import complete_phase, save_flow_state
from core.flows.store import load_flow
from core.pipeline import REGISTRY, run_flow, run_one_phase
from core.progress import CancelToken, Progress
from core.queries.techdebt import stored_findings, techdebt_report
from core.uow import Tenant

AS_OF = dt.date(2026, 12, 2)
PHASE = "tech_debt_assessment"


def _estate(core: Core, tenant: Tenant) -> Made:
    return make_import(
        core, tenant, "servers.csv",
        ["Host", "OS", "OS version", "DB", "DB version", "CPU peak", "Mem peak"],
        [
            ["web01", "Microsoft Windows Server 2008 R2 (64-bit)", "", "", "", "12", "80"],
            ["db01", "RHEL", "8", "postgres 12.17", "", "", ""],
            ["app01", "Windows Server 2016", "", "SQL Server", "11.0.7001.0", "", ""],
            ["odd01", "FooOS 3000", "", "", "", "", ""],
            ["bare01", "", "", "", "", "", ""],
        ],
        {"Host": "hostname", "OS": "operating_system", "OS version": "os_version", "DB": "database_engine",
         "DB version": "database_version", "CPU peak": "cpu_utilization_peak_pct",
         "Mem peak": "memory_utilization_peak_pct"},
    )  # fmt: skip


def _fix_date(core: Core, tenant: Tenant, flow_id: uuid.UUID, day: dt.date | None) -> None:
    """The consultant fixes the assessment date on the flow (None: today)."""
    with core.uow(tenant) as uow:
        flow = load_flow(uow, flow_id)
        save_flow_state(
            uow,
            flow_id,
            flow.version,
            {"flow_state": {**flow.flow_state, "tech_debt_as_of": day.isoformat() if day else None}},
        )
        uow.commit()


def _through_dependency_analysis(core: Core, tenant: Tenant, flow_id: uuid.UUID) -> None:
    if REGISTRY["dependency_analysis"].runnable:
        run_flow(core.uows, tenant, flow_id, through="dependency_analysis")
        return
    with core.uow(tenant) as uow:  # no engine yet: advance it the one way the flow machinery allows
        complete_phase(uow, flow_id, "dependency_analysis", reason="no engine yet (test set-up)")
        uow.commit()


def _inventoried(core: Core, tenant: Tenant) -> Made:
    made = _estate(core, tenant)
    run_flow(core.uows, tenant, made.flow_id, through="asset_inventory")
    _fix_date(core, tenant, made.flow_id, AS_OF)
    return made


def _stored(core: Core, tenant: Tenant) -> list[dict]:
    return stored_findings(core.uows, tenant)


def test_flow_runs_tech_debt_after_inventory_and_completes(core: Core, tenant: Tenant) -> None:
    made = _inventoried(core, tenant)
    _through_dependency_analysis(core, tenant, made.flow_id)
    result = run_flow(core.uows, tenant, made.flow_id, through=PHASE)
    assert PHASE in result.phases_run
    assert result.status["status"] == "completed" and result.status["current_phase"] == "completed"
    assert result.status["flags"]["tech_debt_assessment_completed"] is True
    summary = result.summaries[PHASE]
    assert summary["as_of"] == "2026-12-02" and summary["assets"] == 5 and summary["findings"] == 6
    assert summary["by_status"] == {"eol": 3, "eol_12m": 1, "supported": 1, "unknown": 1}
    assert summary["rightsizing"] == {"downsize": 1, "undersized": 0}
    with core.uow(tenant) as uow:  # the flow keeps the summary: the phase's artefact (reconcile)
        flow = uow.session.get(DiscoveryFlow, made.flow_id)
        assert flow is not None and flow.tech_debt_analysis["by_status"]["eol"] == 3
    stored = _stored(core, tenant)
    lifecycle = [{k: r[k] for k in ("asset", "component", "product", "version", "status", "end_of_support",
                                    "rule")} for r in stored if r["kind"] == "lifecycle"]  # fmt: skip
    # what the phase stored is what `analysis techdebt --as-of` computes for the same date
    assert lifecycle == techdebt_report(core.uows, tenant, as_of=AS_OF)["findings"]
    web = {r["component"]: r for r in stored if r["asset"] == "web01"}
    assert web["os"]["status"] == "eol" and web["os"]["end_of_support"] == "2020-01-14"
    assert "ESU" in (web["os"]["note"] or "") and web["os"]["flow_id"] == str(made.flow_id)
    assert web["os"]["details"]["field"] == "operating_system"
    assert web["cpu"]["kind"] == "rightsizing" and web["cpu"]["status"] == "downsize"
    assert web["cpu"]["details"]["value"] == 12.0 and "memory" not in web
    assert {r["asset"] for r in stored} == {"web01", "db01", "app01", "odd01"}  # bare01 has nothing


def test_rerun_replaces_the_findings_instead_of_adding(core: Core, tenant: Tenant) -> None:
    made = _inventoried(core, tenant)
    first = run_one_phase(core.uows, tenant, made.flow_id, PHASE)
    before = _stored(core, tenant)
    second = run_one_phase(core.uows, tenant, made.flow_id, PHASE)
    after = _stored(core, tenant)
    assert first == second
    strip = [{k: v for k, v in r.items() if k != "assessed_at"} for r in before]
    assert [{k: v for k, v in r.items() if k != "assessed_at"} for r in after] == strip
    with core.uow(tenant) as uow:
        assert uow.session.scalar(select(func.count()).select_from(TechDebtFinding)) == len(before) == 7


def test_an_os_no_table_knows_is_unknown_never_a_guess(core: Core, tenant: Tenant) -> None:
    made = _inventoried(core, tenant)
    run_one_phase(core.uows, tenant, made.flow_id, PHASE)
    odd = [r for r in _stored(core, tenant) if r["asset"] == "odd01"]
    assert len(odd) == 1
    assert odd[0]["status"] == "unknown" and odd[0]["product"] is None and odd[0]["end_of_support"] is None
    assert "FooOS 3000" in odd[0]["rule"]


def test_progress_is_reported_and_cancel_keeps_the_previous_findings(core: Core, tenant: Tenant) -> None:
    made = _inventoried(core, tenant)
    seen: list[Progress] = []
    run_one_phase(core.uows, tenant, made.flow_id, PHASE, progress=seen.append)
    assert seen and all(p.stage == PHASE and p.unit == "assets" for p in seen)
    assert seen[-1].done == seen[-1].total == 5
    before = _stored(core, tenant)
    token = CancelToken()
    token.cancel()
    with pytest.raises(OperationCancelled):
        run_one_phase(core.uows, tenant, made.flow_id, PHASE, cancel=token)
    assert _stored(core, tenant) == before


def test_the_flows_date_or_today_decides_the_status(core: Core, tenant: Tenant) -> None:
    made = _inventoried(core, tenant)
    _fix_date(core, tenant, made.flow_id, dt.date(2016, 1, 1))  # before Windows Server 2008 R2 ended
    summary = run_one_phase(core.uows, tenant, made.flow_id, PHASE)
    assert summary["as_of"] == "2016-01-01"
    web = next(r for r in _stored(core, tenant) if r["asset"] == "web01" and r["component"] == "os")
    assert web["status"] == "supported" and web["as_of"] == "2016-01-01"
    _fix_date(core, tenant, made.flow_id, None)  # cleared: today
    assert run_one_phase(core.uows, tenant, made.flow_id, PHASE)["as_of"] == dt.date.today().isoformat()


def test_another_tenant_sees_none_of_the_findings(core: Core, tenant: Tenant) -> None:
    made = _inventoried(core, tenant)
    run_one_phase(core.uows, tenant, made.flow_id, PHASE)
    assert _stored(core, tenant)
    suffix = uuid.uuid4().hex[:8]
    other = core.tenant_for(
        tenancy.ensure_engagement(core.db.admin_sessions(), f"Other {suffix}", "Eng", core.user_id)
    )
    assert _stored(core, other) == []
    assert techdebt_report(core.uows, other, as_of=AS_OF)["findings"] == []
    with core.uow(other) as uow:
        assert uow.session.scalar(select(func.count()).select_from(TechDebtFinding)) == 0
