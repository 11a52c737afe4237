"""The 6R assessment's database side: assets, tech-debt findings and overrides in, recommendations out.

Where it runs: the assessment stage of the master flows (`core.flows.master`). It works on the
whole engagement — run by the use case `core.actions.planning.run_sixr` (the CLI's `plan sixr`,
the 6R board) and after every override — and each run completes the assessment stage of every
master flow whose discovery flows are complete.

It reads every asset of the engagement (the fields `resources/sixr_rules.yaml` tests), the
findings the tech-debt phase stored (`techdebt_findings`) and the consultants' overrides
(`sixr_overrides`), calls `core.planning.sixr.assess`, and replaces the engagement's
`sixr_recommendations` in the caller's transaction (it never commits). Overrides live in their own
table, so a re-run recomputes every recommendation and the overrides still win.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select

from core.changes import OpChanges
from core.db.bulk import insert_rows
from core.db.models import Asset, SixROverride, SixRRecommendation, TechDebtFinding, User
from core.db.stats import refresh_statistics
from core.errors import UserInputError
from core.planning.model import application_names
from core.planning.sixr import DISPOSITIONS, Override, SixRResult, assess
from core.uow import UnitOfWork

#: asset fields the rules read (resources/sixr_rules.yaml), besides the names
RULE_FIELDS = (
    "application_name",
    "operating_system",
    "os_architecture",
    "virtualization_platform",
    "power_state",
    "operational_status",
    "last_seen",
    "database_engine",
    "environment",
)


def _label(hostname: str | None, asset_name: str | None, asset_id: uuid.UUID) -> str:
    return (hostname or "").strip() or (asset_name or "").strip() or str(asset_id)


def load_assets(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The engagement's assets as the rules read them (`id` is the asset id as text)."""
    cols = [Asset.id, Asset.hostname, Asset.asset_name, *(getattr(Asset, f) for f in RULE_FIELDS)]
    out = []
    for row in uow.session.execute(select(*cols)):
        m = dict(row._mapping)
        m["id"] = str(m["id"])
        out.append(m)
    out.sort(key=lambda a: (_label(a["hostname"], a["asset_name"], a["id"]).casefold(), a["id"]))
    return out


def load_findings(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The lifecycle findings the tech-debt phase stored, naming the asset by id."""
    rows = uow.session.execute(
        select(
            TechDebtFinding.asset_id,
            TechDebtFinding.component,
            TechDebtFinding.status,
            TechDebtFinding.product,
            TechDebtFinding.version,
            TechDebtFinding.end_of_support,
        ).where(TechDebtFinding.kind == "lifecycle")
    )
    return [
        {
            "asset": str(r.asset_id),
            "component": r.component,
            "status": r.status,
            "product": r.product,
            "version": r.version,
            "end_of_support": r.end_of_support.isoformat() if r.end_of_support else None,
        }
        for r in rows
    ]


def load_overrides(uow: UnitOfWork) -> list[Override]:
    """The consultants' overrides, who decided each (their display name) and when."""
    rows = uow.session.execute(
        select(SixROverride, User.display_name).outerjoin(User, User.id == SixROverride.decided_by)
    ).all()
    return [
        Override(
            disposition=o.disposition,
            reason=o.reason,
            by=name or "a consultant",
            application=o.application,
            asset=str(o.asset_id) if o.asset_id else None,
            at=o.decided_at,
        )
        for o, name in rows
    ]


def assess_sixr(
    uow: UnitOfWork,
    *,
    as_of: dt.date | None = None,
    options: dict[str, Any] | None = None,
    master_flow_id: uuid.UUID | None = None,
) -> SixRResult:
    """Assess the engagement and replace its stored recommendations (overrides applied); never commits."""
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("the 6R assessment needs a tenant unit of work")
    assets = load_assets(uow)
    result = assess(assets, load_findings(uow), load_overrides(uow), as_of=as_of, options=options or {})
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    rows = []
    for rec in result.recommendations:
        reasons = list(rec.reasons)
        if rec.overridden_by is not None:
            reasons.append(f"rules that held: {', '.join(rec.rules) or 'none (default)'}")
        rows.append(
            {
                "id": uuid.uuid4(),
                "application": rec.application,
                "asset_id": uuid.UUID(rec.asset_ids[0]) if rec.application is None else None,
                "disposition": rec.disposition,
                "confidence": rec.confidence,
                "reasons": reasons,
                "master_flow_id": master_flow_id,
                **scope,
            }
        )
    s = uow.session
    s.execute(delete(SixRRecommendation).where(SixRRecommendation.engagement_id == tenant.engagement_id))
    if rows:
        insert_rows(s, SixRRecommendation, rows)
    refresh_statistics(s, "sixr_recommendations")
    uow.note(OpChanges(analysis=True, count=len(rows)))
    return result


def resolve_target(uow: UnitOfWork, application_or_asset: str) -> tuple[str | None, uuid.UUID | None]:
    """`(application, None)` or `(None, asset_id)` for a name a consultant typed.

    An application name wins (case ignored); else an asset by hostname, asset name or id — one
    that has no application, since an application is decided as a whole.
    """
    wanted = application_or_asset.strip()
    if not wanted:
        raise UserInputError("name an application or an asset", hint="e.g. plan override Billing ...")
    assets = load_assets(uow)
    for a in assets:
        for app in application_names(a["application_name"]):
            if app.casefold() == wanted.casefold():
                return app, None
    key = wanted.casefold()
    for a in assets:
        names = {str(v).strip().casefold() for v in (a["hostname"], a["asset_name"], a["id"]) if v}
        if key in names:
            apps = application_names(a["application_name"])
            if apps:
                raise UserInputError(
                    f"asset {wanted!r} belongs to application {apps[0]!r}, which is decided as a whole",
                    hint=f"override the application {apps[0]!r} instead",
                )
            return None, uuid.UUID(a["id"])
    raise UserInputError(
        f"no application or asset is called {wanted!r} in this engagement",
        hint="use an application name or a hostname as `plan sixr` lists them",
    )


def set_override(
    uow: UnitOfWork, application_or_asset: str, disposition: str, reason: str
) -> tuple[str | None, uuid.UUID | None]:
    """Record (or replace) the consultant's disposition with who, when and why; never commits."""
    tenant = uow.tenant
    assert tenant is not None
    if disposition not in DISPOSITIONS:
        raise UserInputError(
            f"unknown disposition {disposition!r}", hint="use one of " + ", ".join(DISPOSITIONS)
        )
    if not reason.strip():
        raise UserInputError("an override needs a reason", hint="say why the rules are wrong here")
    application, asset_id = resolve_target(uow, application_or_asset)
    _delete_override(uow, application, asset_id)
    uow.session.add(
        SixROverride(
            client_account_id=tenant.client_account_id,
            engagement_id=tenant.engagement_id,
            application=application,
            asset_id=asset_id,
            disposition=disposition,
            reason=reason.strip(),
            decided_by=tenant.user_id,
            decided_at=dt.datetime.now(dt.UTC),
        )
    )
    uow.session.flush()
    return application, asset_id


def _delete_override(uow: UnitOfWork, application: str | None, asset_id: uuid.UUID | None) -> int:
    cond = (
        SixROverride.application == application
        if application is not None
        else SixROverride.asset_id == asset_id
    )
    return uow.session.execute(delete(SixROverride).where(cond)).rowcount or 0


def remove_override(uow: UnitOfWork, application_or_asset: str) -> bool:
    """Forget the consultant's disposition (the rules decide again); False when there was none."""
    application, asset_id = resolve_target(uow, application_or_asset)
    return _delete_override(uow, application, asset_id) > 0


def contract(result: SixRResult) -> dict[str, Any]:
    """The `plan sixr` JSON shape (../shared/contracts/cli.md)."""
    return result.to_contract()


__all__: Sequence[str] = (
    "assess_sixr",
    "contract",
    "load_assets",
    "load_findings",
    "load_overrides",
    "remove_override",
    "resolve_target",
    "set_override",
)
