"""Read of the 6R assessment as last stored: recommendations, their assets and the overrides.

Why a read of its own: `core.actions.planning.run_sixr` recomputes and writes; a screen opening
the 6R board must show what was decided without re-running anything. This joins the stored
`sixr_recommendations` with the consultants' `sixr_overrides` (who, when, why) and names the
assets of each application. It never writes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from core.analysis.sixr import load_assets
from core.db.models import SixROverride, SixRRecommendation, User
from core.planning.model import application_names
from core.planning.sixr import DISPOSITIONS
from core.uow import Tenant, UnitOfWorkFactory


def _label(asset: dict[str, Any]) -> str:
    return (asset["hostname"] or "").strip() or (asset["asset_name"] or "").strip() or asset["id"]


def stored_recommendations(uows: UnitOfWorkFactory, tenant: Tenant) -> dict[str, Any]:
    """`{"computed_at", "assets", "recommendations": [...]}` as the last assessment stored them.

    Each recommendation: `target` (what `override_disposition` takes: the application name, or
    the asset id), `application`, `asset_id`, `label`, `assets`/`asset_ids`, `disposition`,
    `confidence`, `reasons` and `override` (`{"disposition", "reason", "by", "at"}` or None).
    `computed_at` is None when the assessment never ran (or found nothing to assess).
    """
    with uows(tenant) as uow:
        s = uow.session
        assets = load_assets(uow)
        recs = s.scalars(select(SixRRecommendation)).all()
        computed = s.execute(select(func.max(SixRRecommendation.computed_at))).scalar_one_or_none()
        overrides = s.execute(
            select(SixROverride, User.display_name).outerjoin(User, User.id == SixROverride.decided_by)
        ).all()
        by_app: dict[str, list[dict[str, Any]]] = defaultdict(list)
        by_id = {a["id"]: a for a in assets}
        for a in assets:
            for app in application_names(a["application_name"]):
                by_app[app.casefold()].append(a)
        decided: dict[str, dict[str, Any]] = {}
        for o, name in overrides:
            key = f"app:{o.application.casefold()}" if o.application is not None else f"asset:{o.asset_id}"
            decided[key] = {
                "disposition": o.disposition,
                "reason": o.reason,
                "by": name or "a consultant",
                "at": o.decided_at.isoformat() if o.decided_at else None,
            }
        out: list[dict[str, Any]] = []
        for r in recs:
            if r.application is not None:
                members = by_app.get(r.application.casefold(), [])
                key, label, target = f"app:{r.application.casefold()}", r.application, r.application
            else:
                one = by_id.get(str(r.asset_id))
                members = [one] if one else []
                label = _label(one) if one else str(r.asset_id)
                key, target = f"asset:{r.asset_id}", str(r.asset_id)
            out.append(
                {
                    "target": target,
                    "application": r.application,
                    "asset_id": str(r.asset_id) if r.asset_id else None,
                    "label": label,
                    "assets": [_label(a) for a in members],
                    "asset_ids": [a["id"] for a in members],
                    "disposition": r.disposition,
                    "confidence": float(r.confidence),
                    "reasons": [str(x) for x in (r.reasons or [])],
                    "override": decided.get(key),
                }
            )
    out.sort(
        key=lambda r: (DISPOSITIONS.index(r["disposition"]), r["application"] is None, r["label"].casefold())
    )
    return {
        "computed_at": computed.isoformat() if computed else None,
        "assets": len(assets),
        "recommendations": out,
    }


__all__ = ["stored_recommendations"]
