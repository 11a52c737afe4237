"""Tech-debt assessment without a database: lifecycle findings and right-sizing per asset.

- `assess(os_text, os_version, db_text, db_version, as_of)` → `Finding`s (`eol`, `eol_12m`,
  `supported`, `unknown`) from the lifecycle table in resources/ (endoflife.date data);
- `identify(component, text, version)` → what an OS / database string names (matcher);
- `rightsizing(asset_fields)` → downsize / undersized findings from utilisation fields.

No Qt, no SQL: the `tech_debt_assessment` phase wires this to the inventory.
"""

from core.techdebt.assess import STATUSES, Finding, assess, finding_for, resolve, status_on
from core.techdebt.matcher import Identified, identify
from core.techdebt.rightsizing import SizingFinding, rightsizing
from core.techdebt.table import LifecycleTable, LifecycleTableError, Release, lifecycle_table

__all__ = [
    "STATUSES",
    "Finding",
    "Identified",
    "LifecycleTable",
    "LifecycleTableError",
    "Release",
    "SizingFinding",
    "assess",
    "finding_for",
    "identify",
    "lifecycle_table",
    "resolve",
    "rightsizing",
    "status_on",
]
