"""Background work of the 6R board: one core read per refresh, one core use case per user action.

Why here: the screen names these functions; each runs in the task manager's pool with the `Core`
and returns plain values (the write use cases return an `Outcome`, whose `changes` drive refresh).
"""

from __future__ import annotations

from typing import Any

from core.actions import planning
from core.actions.outcome import Outcome
from core.bootstrap import Core
from core.queries import sixr
from desktop_app.screens.registry import Selection
from desktop_app.tenancy import tenant_of


def load(core: Core, selection: Selection) -> dict[str, Any]:
    """What the last 6R assessment stored (`core.queries.sixr.stored_recommendations`)."""
    return sixr.stored_recommendations(core.uows, tenant_of(core, selection))


def rerun(core: Core, selection: Selection) -> Outcome[dict[str, Any]]:
    """Re-run the assessment (overrides still win)."""
    return planning.run_sixr(core.uows, tenant_of(core, selection))


def override(
    core: Core, selection: Selection, target: str, disposition: str, reason: str
) -> Outcome[dict[str, Any]]:
    """Record the consultant's disposition with its reason."""
    return planning.override_disposition(core.uows, tenant_of(core, selection), target, disposition, reason)


def clear(core: Core, selection: Selection, target: str) -> Outcome[dict[str, Any]]:
    """Forget the override: the rules decide again."""
    return planning.clear_override(core.uows, tenant_of(core, selection), target)
