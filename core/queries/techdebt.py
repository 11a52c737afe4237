"""Reads of the tech-debt assessment: the CLI's `analysis techdebt` and the findings screen.

`techdebt_report` is what `analysis techdebt --json` prints: the findings of the engagement's
assets as they are now, on `as_of` (default today), computed by the same function the phase uses
(`core.analysis.compute_findings`) and never written — a read, for any date, even before the
flow's tech-debt phase has run. `stored_findings` is what the phase last stored (with the
paid-extension note, the table entry, when and by which flow), for screens and later phases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from core.analysis import compute_findings, load_asset_inputs
from core.db.models import Asset, DiscoveryFlow, TechDebtFinding
from core.uow import Tenant, UnitOfWorkFactory


def techdebt_report(
    uows: UnitOfWorkFactory, tenant: Tenant, *, as_of: dt.date | None = None
) -> dict[str, Any]:
    """`{"as_of", "findings": [...], "rightsizing": [...]}` — the contract's shape plus right-sizing.

    One finding per asset and component it has (`os`, `database`), assets by name; right-sizing
    findings under their own key so `findings` keeps the contract's components.
    """
    day = as_of or dt.date.today()
    with uows(tenant) as uow:
        assets = load_asset_inputs(uow)
    found = compute_findings(assets, day)
    return {
        "as_of": day.isoformat(),
        "findings": [f for item in found for f in item.contract()],
        "rightsizing": [s for item in found for s in item.sizing_dicts()],
    }


def stored_findings(uows: UnitOfWorkFactory, tenant: Tenant) -> list[dict[str, Any]]:
    """The findings the last tech-debt phase run stored, by asset name then component."""
    with uows(tenant) as uow:
        rows = uow.session.execute(
            select(TechDebtFinding, Asset.hostname, Asset.asset_name).join(
                Asset, Asset.id == TechDebtFinding.asset_id
            )
        ).all()
        out: list[dict[str, Any]] = []
        for f, hostname, asset_name in rows:
            out.append(
                {
                    "asset": hostname or asset_name or str(f.asset_id),
                    "asset_id": str(f.asset_id),
                    "kind": f.kind,
                    "component": f.component,
                    "product": f.product,
                    "version": f.version,
                    "release": f.release,
                    "status": f.status,
                    "end_of_support": f.end_of_support.isoformat() if f.end_of_support else None,
                    "rule": f.rule,
                    "note": f.note,
                    "details": f.details,
                    "as_of": f.as_of.isoformat(),
                    "assessed_at": f.assessed_at.isoformat(),
                    "flow_id": str(f.discovery_flow_id) if f.discovery_flow_id else None,
                }
            )
    order = {"os": 0, "database": 1, "cpu": 2, "memory": 3}
    out.sort(key=lambda r: (r["asset"].casefold(), r["asset_id"], order.get(r["component"], 9), r["status"]))
    return out


def last_assessment(uows: UnitOfWorkFactory, tenant: Tenant) -> dict[str, Any] | None:
    """The summary the last tech-debt phase run kept on its flow, or None when it never ran.

    Why: a screen with no findings must say whether the phase has not run (run it) or ran and
    found nothing (the assets name no OS or database); the stored findings cannot tell the two apart.
    """
    with uows(tenant) as uow:
        found = uow.session.execute(select(TechDebtFinding.discovery_flow_id).limit(1)).scalar_one_or_none()
        summaries = [
            (flow_id, summary)
            for flow_id, summary in uow.session.execute(
                select(DiscoveryFlow.id, DiscoveryFlow.tech_debt_analysis)
            ).all()
            if summary
        ]
    if not summaries:
        return None
    for flow_id, summary in summaries:
        if flow_id == found:
            return dict(summary)
    return dict(max(summaries, key=lambda item: str(item[1].get("as_of", "")))[1])
