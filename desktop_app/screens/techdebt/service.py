"""Background read of the tech-debt screen: what the engagement's last tech-debt phase stored.

Why one function: the screen names one core read per refresh; it runs in the read pool and
returns plain values (`core.queries.techdebt.stored_findings` and `last_assessment`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.bootstrap import Core
from core.queries import techdebt
from desktop_app.screens.registry import Selection
from desktop_app.tenancy import tenant_of


@dataclass(frozen=True)
class TechDebtData:
    """Lifecycle and right-sizing rows, and the last run's summary (None: the phase never ran)."""

    lifecycle: list[dict[str, Any]] = field(default_factory=list)
    sizing: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None

    @property
    def assessed(self) -> bool:
        return self.summary is not None or bool(self.lifecycle or self.sizing)


def load(core: Core, selection: Selection) -> TechDebtData:
    tenant = tenant_of(core, selection)
    rows = techdebt.stored_findings(core.uows, tenant)
    return TechDebtData(
        lifecycle=[r for r in rows if r["kind"] == "lifecycle"],
        sizing=[r for r in rows if r["kind"] == "rightsizing"],
        summary=techdebt.last_assessment(core.uows, tenant),
    )
