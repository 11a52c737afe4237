"""Which core function runs which phase ("run next phase" / "retry" on the timeline).

Why a table: phase runners arrive with their issues (cleansing, inventory, dependency analysis,
tech debt); a phase without one is shown but its run button explains that it is not available.
Every runner is called in a worker thread as `runner(core, tenant, flow_id, ctx)`.
"""

from __future__ import annotations

import importlib
import inspect
import uuid
from collections.abc import Callable
from typing import Any

from core.bootstrap import Core
from core.uow import Tenant
from desktop_app.task_manager import TaskContext

Runner = Callable[[Core, Tenant, uuid.UUID, TaskContext], Any]

#: phase → candidate "module:function" names, first importable wins.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "data_cleansing": ("core.inventory.phases:run_data_cleansing",),
    "asset_inventory": ("core.inventory.phases:run_asset_inventory",),
    "dependency_analysis": ("core.dependencies:run_dependency_analysis",),
    "tech_debt_assessment": ("core.tech_debt:run_tech_debt_assessment",),
}

_overrides: dict[str, Runner] = {}


def register_runner(phase: str, runner: Runner) -> None:
    """Install a runner (later issues; tests install fakes that fail on purpose)."""
    _overrides[phase] = runner


def unregister_runner(phase: str) -> None:
    _overrides.pop(phase, None)


def _import(spec: str) -> Callable[..., Any] | None:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception:  # not written yet, or broken mid-development: the phase shows as unavailable
        return None
    fn = getattr(module, attr, None)
    return fn if callable(fn) else None


def _adapt(fn: Callable[..., Any]) -> Runner:
    """Call a core phase function as it wants: (core, tenant, flow_id, progress=, cancel=) or (uow, …)."""
    params = inspect.signature(fn).parameters

    def run(core: Core, tenant: Tenant, flow_id: uuid.UUID, ctx: TaskContext) -> Any:
        kwargs: dict[str, Any] = {}
        if "progress" in params:
            kwargs["progress"] = ctx.callback
        if "cancel" in params:
            kwargs["cancel"] = ctx.cancel
        first = next(iter(params), "")
        if first in ("uow",):
            with core.uow(tenant) as uow:
                result = fn(uow, flow_id, **kwargs)
                uow.commit()
                return result
        return fn(core, tenant, flow_id, **kwargs)

    return run


def runner_for(phase: str) -> Runner | None:
    if phase in _overrides:
        return _overrides[phase]
    for spec in CANDIDATES.get(phase, ()):
        fn = _import(spec)
        if fn is not None:
            return _adapt(fn)
    return None
