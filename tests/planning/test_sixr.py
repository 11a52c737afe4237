"""The 6R assessment: each rule of resources/sixr_rules.yaml, how they combine, and overrides.

No database: assets are plain dicts of asset-schema fields and tech-debt findings are given as the
tech-debt phase produces them. Every rule in the file has a case here (a test fails otherwise).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from core.errors import UserInputError
from core.planning.sixr import DISPOSITIONS, Override, Recommendation, SixRResult, assess, load_rules

AS_OF = date(2025, 6, 1)
LINUX = {"operating_system": "Red Hat Enterprise Linux 9", "power_state": "poweredOn"}


def one(result: SixRResult, application: str | None = None) -> Recommendation:
    found = [r for r in result.recommendations if r.application == application]
    assert len(found) == 1, result.recommendations
    return found[0]


def asset(host: str, app: str | None = "App", **fields: Any) -> dict[str, Any]:
    return {"id": f"id-{host}", "hostname": host, "application_name": app, **LINUX, **fields}


def eol(host: str, component: str, status: str = "eol") -> dict[str, Any]:
    return {
        "asset": host,
        "component": component,
        "status": status,
        "product": "Windows Server" if component == "os" else "SQL Server",
        "version": "2012",
        "end_of_support": "2023-10-10",
    }


# (rule id, assets, findings, options, expected disposition)
CASES: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]], dict[str, Any], str]] = [
    ("retired_status", [asset("a", operational_status="Decommissioned")], [], {}, "retire"),
    (
        "powered_off",
        [asset("a", power_state="poweredOff"), asset("b", power_state="Stopped")],
        [],
        {},
        "retire",
    ),
    ("not_seen_90_days", [asset("a", last_seen="2025-01-15T08:00:00Z")], [], {}, "retire"),
    ("saas_replaceable", [asset("a", app="Microsoft Exchange 2013")], [], {}, "repurchase"),
    ("mainframe", [asset("a", operating_system="IBM z/OS 2.4")], [], {}, "refactor"),
    ("legacy_unix", [asset("a", operating_system="Oracle Solaris 10", os_version="10")], [], {}, "retain"),
    (
        "vmware_to_vmware_cloud",
        [asset("a", virtualization_platform="VMware vSphere 7")],
        [],
        {"vmware_cloud_target": True},
        "relocate",
    ),
    ("eol_os", [asset("a")], [eol("a", "os")], {}, "replatform"),
    ("eol_database", [asset("a")], [eol("a", "database")], {}, "replatform"),
    (
        "managed_database",
        [asset("a", database_engine="PostgreSQL", database_version="13")],
        [],
        {},
        "replatform",
    ),
    ("eol_os_12m", [asset("a")], [eol("a", "os", "eol_12m")], {}, "replatform"),
]


def test_every_rule_of_the_file_has_a_case() -> None:
    assert {r.id for r in load_rules().rules} == {c[0] for c in CASES}


@pytest.mark.parametrize(
    ("rule", "assets", "findings", "options", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_each_rule(
    rule: str,
    assets: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    options: dict[str, Any],
    expected: str,
) -> None:
    rec = one(assess(assets, findings, as_of=AS_OF, options=options), assets[0]["application_name"])
    assert rec.disposition == expected
    assert rec.rules[0] == rule
    assert rec.reasons[0].startswith(f"{rule}: ")
    assert all(a["hostname"] in rec.reasons[0] for a in assets)  # the reason names the assets
    assert 0.3 <= rec.confidence <= 1.0
    assert rec.overridden_by is None


def test_default_is_rehost_with_less_confidence_when_nothing_is_known() -> None:
    known = one(assess([asset("a")], as_of=AS_OF), "App")
    assert (known.disposition, known.rules) == ("rehost", ())
    assert known.reasons[0].startswith("default: ")
    bare = one(assess([{"hostname": "b", "application_name": "App"}], as_of=AS_OF), "App")
    assert bare.disposition == "rehost" and bare.confidence < known.confidence
    assert "no operating system" in bare.reasons[0]


def test_relocate_needs_the_engagement_flag() -> None:
    vm = [asset("a", virtualization_platform="VMware ESXi 7.0")]
    assert one(assess(vm, as_of=AS_OF), "App").disposition == "rehost"


def test_retire_needs_every_asset_of_the_application() -> None:
    rec = one(assess([asset("a", power_state="off"), asset("b")], as_of=AS_OF), "App")
    assert rec.disposition == "rehost"
    assert any(r.startswith("note powered_off: holds on 1 of 2 assets") for r in rec.reasons)


def test_recent_last_seen_is_not_a_retire_candidate() -> None:
    seen = datetime(2025, 5, 20, 10, 0)
    assert one(assess([asset("a", last_seen=seen)], as_of=AS_OF), "App").disposition == "rehost"


def test_first_rule_decides_and_the_others_are_listed_with_lower_confidence() -> None:
    assets = [asset("a", operating_system="AIX 7.2"), asset("b", database_engine="Oracle Database 19c")]
    rec = one(assess(assets, [eol("b", "os")], as_of=AS_OF), "App")
    assert rec.disposition == "retain"  # legacy_unix comes before the replatform rules
    assert rec.rules == ("legacy_unix", "eol_os", "managed_database")
    alone = one(assess([asset("a", operating_system="AIX 7.2")], as_of=AS_OF), "App")
    assert rec.confidence < alone.confidence  # contested by replatform


def test_assets_without_application_get_their_own_recommendation_and_cells_with_two_apps_count_for_both() -> (
    None
):
    assets = [asset("solo", app=None, operating_system="HP-UX 11i v3"), asset("shared", app="Billing; CRM")]
    result = assess(assets, as_of=AS_OF)
    assert [r.application for r in result.recommendations] == ["Billing", "CRM", None]
    solo = one(result, None)
    assert solo.assets == ("solo",) and solo.disposition == "retain"
    assert one(result, "CRM").assets == ("shared",)


def test_findings_name_assets_by_id_or_hostname() -> None:
    by_id = assess([asset("a")], [{**eol("a", "os"), "asset": "id-a"}], as_of=AS_OF)
    by_host = assess([asset("a")], [{**eol("a", "os"), "asset": "A"}], as_of=AS_OF)
    assert one(by_id, "App").disposition == one(by_host, "App").disposition == "replatform"


def test_override_wins_and_survives_a_re_run() -> None:
    overrides = [Override("retain", "contract with the vendor runs until 2027", "maria", application="app")]
    first = one(assess([asset("a")], [eol("a", "os")], overrides, as_of=AS_OF), "App")
    assert (first.disposition, first.overridden_by, first.recommended) == ("retain", "maria", "replatform")
    assert first.reasons[0] == "overridden by maria: contract with the vendor runs until 2027"
    assert "the rules recommend replatform" in first.reasons[1]
    # re-run after the estate changed: the rules now say retire, the consultant's decision stays
    rerun = assess([asset("a", power_state="poweredOff")], [eol("a", "os")], overrides, as_of=AS_OF)
    again = one(rerun, "App")
    assert (again.disposition, again.overridden_by, again.recommended) == ("retain", "maria", "retire")
    assert again.to_contract()["overridden_by"] == "maria"
    assert rerun.unmatched_overrides == []


def test_override_of_an_asset_and_of_a_vanished_application() -> None:
    overrides = [
        Override("retire", "replaced last year", "li", asset="solo"),
        Override("rehost", "gone", "li", application="Old App"),
    ]
    result = assess([asset("solo", app=None)], [], overrides, as_of=AS_OF)
    assert one(result, None).disposition == "retire"
    assert [o.application for o in result.unmatched_overrides] == ["Old App"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"disposition": "rebuy", "reason": "x", "by": "me", "application": "A"}, "unknown disposition"),
        ({"disposition": "retire", "reason": " ", "by": "me", "application": "A"}, "a reason is required"),
        ({"disposition": "retire", "reason": "x", "by": "", "application": "A"}, "who decided"),
        ({"disposition": "retire", "reason": "x", "by": "me"}, "either an application or an asset"),
    ],
)
def test_an_override_needs_a_disposition_a_reason_and_who(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        Override(**kwargs)


def test_a_bad_rule_is_named() -> None:
    bad = {"rules": [{"id": "mine", "disposition": "rebuild", "when": {"power_state": {"in": ["off"]}}}]}
    with pytest.raises(UserInputError, match="6R rule 'mine': disposition must be one of") as err:
        load_rules(bad)
    assert err.value.file == "resources/sixr_rules.yaml"
    unknown_op = {"rules": [{"id": "x", "disposition": "retire", "when": {"power_state": {"equals": "off"}}}]}
    with pytest.raises(UserInputError, match="exactly one of in, matches, table, older_than_days"):
        load_rules(unknown_op)


def test_contract_shape() -> None:
    out = assess([asset("a"), asset("b", app=None)], as_of=AS_OF).to_contract()
    assert set(out) == {"recommendations"}
    for rec in out["recommendations"]:
        assert set(rec) == {"application", "assets", "disposition", "confidence", "reasons", "overridden_by"}
        assert rec["disposition"] in DISPOSITIONS
        assert isinstance(rec["reasons"], list) and rec["reasons"]
