"""The tech-debt assessment phase: every asset's OS and database against the lifecycle table.

Engagement-wide, like the inventory it reads: whichever flow runs the phase assesses all the
engagement's assets and replaces all its stored findings in the caller's transaction, so a re-run
(or a second flow of the same engagement) leaves exactly one set — no duplicates — and a failed
or cancelled run keeps the previous one.

What is read (fields of resources/asset_fields.yaml and the project fields):
- `os`: the first of `operating_system` (what the guest reports), `os_configured` (RVTools' "OS
  according to the configuration file") and `os_family` that is filled, with `os_version`;
- `database`: `database_engine` with `database_version`;
- right-sizing: the utilisation fields resources/rightsizing.yaml names.
An asset gets a finding per component it has any of these for (`core.techdebt.assess`); a string
the lifecycle table does not know is `unknown`, never a guess.

The date the statuses hold for (`as_of`) is today, or the flow's `flow_state["tech_debt_as_of"]`
(ISO date) when a consultant fixed one. The phase stores findings with that date; `analysis
techdebt --as-of` computes them for any date without writing (`compute_findings`): the findings
are a function of the assets and the date only, so both agree for the same date.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from core.changes import OpChanges, ids
from core.db.bulk import insert_rows
from core.db.models import Asset, TechDebtFinding
from core.db.stats import refresh_statistics
from core.errors import UserInputError
from core.flows import save_flow_state
from core.flows.store import load_flow
from core.progress import CancelToken, ProgressFn, ProgressReporter
from core.techdebt import STATUSES, Finding, SizingFinding, assess, rightsizing
from core.techdebt.rightsizing import KINDS as SIZING_KINDS
from core.techdebt.rightsizing import sizing_rules
from core.uow import UnitOfWork

PHASE = "tech_debt_assessment"
#: the key of a flow's `flow_state` that fixes the assessment date (ISO, e.g. "2026-12-31")
AS_OF_KEY = "tech_debt_as_of"
OS_FIELDS = ("operating_system", "os_configured", "os_family")
CANCELLED = "cancelled by the user; nothing of this run was kept"
_BATCH = 1000
_COMPONENT_ORDER = {"os": 0, "database": 1}


@dataclass(frozen=True, slots=True)
class AssetInputs:
    """What the assessment reads of one asset."""

    asset_id: uuid.UUID
    name: str
    """hostname, else asset_name (what the CLI contract prints), else the id"""
    os_field: str | None
    os_text: str | None
    os_version: str | None
    db_text: str | None
    db_version: str | None
    utilisation: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AssetFindings:
    """One asset's findings: lifecycle per component, and right-sizing."""

    asset: AssetInputs
    lifecycle: tuple[Finding, ...]
    sizing: tuple[SizingFinding, ...]

    def contract(self) -> list[dict[str, Any]]:
        """The `analysis techdebt` findings of this asset (../shared/contracts/cli.md)."""
        return [{"asset": self.asset.name, **f.to_dict()} for f in self.lifecycle]

    def sizing_dicts(self) -> list[dict[str, Any]]:
        return [{"asset": self.asset.name, **s.to_dict()} for s in self.sizing]


def _filled(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _utilisation_fields() -> tuple[str, ...]:
    names = {f for measures in sizing_rules().fields.values() for f in measures.values()}
    unknown = sorted(n for n in names if not hasattr(Asset, n))
    if unknown:
        raise UserInputError(
            f"resources/rightsizing.yaml names {', '.join(unknown)}, which are not asset fields",
            hint="use the utilisation fields of resources/asset_fields.yaml",
        )
    return tuple(sorted(names))


def load_asset_inputs(uow: UnitOfWork) -> list[AssetInputs]:
    """The engagement's assets with the fields the assessment reads, by name (one query)."""
    sizing = _utilisation_fields()
    columns = [
        Asset.id,
        Asset.hostname,
        Asset.asset_name,
        *(getattr(Asset, f) for f in OS_FIELDS),
        Asset.os_version,
        Asset.database_engine,
        Asset.database_version,
        *(getattr(Asset, f) for f in sizing),
    ]
    out: list[AssetInputs] = []
    for row in uow.session.execute(select(*columns)):
        values = row._mapping
        os_field = next((f for f in OS_FIELDS if _filled(values[f])), None)
        out.append(
            AssetInputs(
                asset_id=values["id"],
                name=_filled(values["hostname"]) or _filled(values["asset_name"]) or str(values["id"]),
                os_field=os_field,
                os_text=_filled(values[os_field]) if os_field else None,
                os_version=_filled(values["os_version"]),
                db_text=_filled(values["database_engine"]),
                db_version=_filled(values["database_version"]),
                utilisation={f: values[f] for f in sizing if values[f] is not None},
            )
        )
    out.sort(key=lambda a: (a.name.casefold(), a.name, str(a.asset_id)))
    return out


def compute_findings(
    assets: Sequence[AssetInputs],
    as_of: dt.date,
    *,
    step: Callable[[int], None] | None = None,
) -> list[AssetFindings]:
    """Every asset's findings on `as_of` (no database); `step(done)` after each batch of assets."""
    out: list[AssetFindings] = []
    for n, a in enumerate(assets, start=1):
        lifecycle = assess(a.os_text, a.os_version, a.db_text, a.db_version, as_of)
        lifecycle.sort(key=lambda f: _COMPONENT_ORDER.get(f.component, 9))
        sizing = rightsizing(a.utilisation) if a.utilisation else []
        out.append(AssetFindings(a, tuple(lifecycle), tuple(sizing)))
        if step is not None and n % _BATCH == 0:
            step(n)
    return out


def _rows(found: Iterable[AssetFindings], as_of: dt.date, scope: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in found:
        a = item.asset
        for f in item.lifecycle:
            text, version = (a.os_text, a.os_version) if f.component == "os" else (a.db_text, a.db_version)
            field = (a.os_field or "os_version") if f.component == "os" else "database_engine"
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "asset_id": a.asset_id,
                    "kind": "lifecycle",
                    "component": f.component,
                    "product": f.product,
                    "version": f.version,
                    "release": f.release,
                    "status": f.status,
                    "end_of_support": f.end_of_support,
                    "rule": f.rule,
                    "note": f.note,
                    "details": {"field": field, "text": text, "version": version},
                    "as_of": as_of,
                    **scope,
                }
            )
        for s in item.sizing:
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "asset_id": a.asset_id,
                    "kind": "rightsizing",
                    "component": s.resource,
                    "product": None,
                    "version": None,
                    "release": None,
                    "status": s.kind,
                    "end_of_support": None,
                    "rule": s.rule,
                    "note": None,
                    "details": {
                        "measure": s.measure,
                        "field": s.field,
                        "value": s.value,
                        "threshold": s.threshold,
                    },
                    "as_of": as_of,
                    **scope,
                }
            )
    return rows


def summarise(found: Sequence[AssetFindings], as_of: dt.date) -> dict[str, Any]:
    """Counts per status (and per component, right-sizing kind) for the phase summary."""
    by_status: Counter[str] = Counter({s: 0 for s in STATUSES})
    by_component: dict[str, Counter[str]] = {"os": Counter(), "database": Counter()}
    sizing: Counter[str] = Counter({k: 0 for k in SIZING_KINDS})
    for item in found:
        for f in item.lifecycle:
            by_status[f.status] += 1
            by_component[f.component][f.status] += 1
        for s in item.sizing:
            sizing[s.kind] += 1
    return {
        "as_of": as_of.isoformat(),
        "assets": len(found),
        "assessed_assets": sum(1 for item in found if item.lifecycle),
        "findings": sum(by_status.values()),
        "by_status": dict(by_status),
        "by_component": {c: {s: counts[s] for s in STATUSES} for c, counts in by_component.items()},
        "rightsizing": dict(sizing),
    }


def configured_as_of(flow_state: Any) -> dt.date | None:
    """The assessment date a consultant fixed on the flow (`flow_state["tech_debt_as_of"]`), if any."""
    value = flow_state.get(AS_OF_KEY) if isinstance(flow_state, dict) else None
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise UserInputError(
            f"the flow's tech-debt date {value!r} is not a date",
            hint=f"set flow_state[{AS_OF_KEY!r}] to YYYY-MM-DD, or remove it to assess as of today",
        ) from None


def assess_engagement(
    uow: UnitOfWork,
    *,
    flow_id: uuid.UUID,
    as_of: dt.date | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Assess every asset of the engagement and replace its stored findings; returns the summary.

    Runs in the caller's unit of work and never commits; the summary is also kept on the flow
    (`tech_debt_analysis`), which is what says the phase has its artefact.
    """
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("the tech-debt assessment needs a tenant unit of work")
    reporter = ProgressReporter(progress, cancel, unit="assets", cancelled_message=CANCELLED)
    flow = load_flow(uow, flow_id)
    day = as_of or configured_as_of(flow.flow_state) or dt.date.today()
    reporter.report(PHASE, 0, None, text="reading assets", force=True)
    assets = load_asset_inputs(uow)
    total = len(assets)
    reporter.report(PHASE, 0, total, text=f"assessing {total} asset(s) as of {day.isoformat()}", force=True)
    found = compute_findings(assets, day, step=lambda done: reporter.report(PHASE, done, total))
    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    rows = _rows(found, day, {**scope, "discovery_flow_id": flow.id})
    s = uow.session
    s.execute(delete(TechDebtFinding).where(TechDebtFinding.engagement_id == tenant.engagement_id))
    for start in range(0, len(rows), _BATCH):
        reporter.report(PHASE, total, total, text="storing findings")
        insert_rows(s, TechDebtFinding, rows[start : start + _BATCH])
    refresh_statistics(s, "techdebt_findings")
    summary = summarise(found, day)
    save_flow_state(uow, flow.id, flow.version, {"tech_debt_analysis": {**summary, "flow_id": str(flow.id)}})
    reporter.report(PHASE, total, total, text="done", force=True)
    uow.note(OpChanges(flows=True, analysis=True, flow_ids=ids(flow.id)))
    return summary
