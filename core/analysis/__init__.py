"""The database side of the analysis phases: read the inventory, run an engine, store its answer.

The engines themselves need no database (`core.techdebt`, `core.dependencies`, `core.planning`);
the phase work here loads what they need from the engagement's assets, calls them and replaces
what the previous run stored, inside the caller's unit of work (it never commits).

- `techdebt`: the `tech_debt_assessment` phase (`assess_engagement`) and the read-only
  computation behind `analysis techdebt` (`compute_findings`).
"""

from core.analysis.techdebt import (
    AS_OF_KEY,
    AssetFindings,
    AssetInputs,
    assess_engagement,
    compute_findings,
    load_asset_inputs,
)

__all__ = [
    "AS_OF_KEY",
    "AssetFindings",
    "AssetInputs",
    "assess_engagement",
    "compute_findings",
    "load_asset_inputs",
]
