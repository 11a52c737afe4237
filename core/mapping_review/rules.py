"""The mapping review's names for rule application, which lives in `core.values.rules`.

`apply_rules` (one cell through a mapping's transformation rules) and `validate_rules` (the
shape of a rules dict before it is stored) are the value pipeline's; see `core.values.rules`
for the rules and their order.
"""

from __future__ import annotations

from core.values.rules import CASES, NOT_MAPPED, TARGET_TYPES, apply_rules, map_value, validate_rules

__all__ = ["CASES", "NOT_MAPPED", "TARGET_TYPES", "apply_rules", "map_value", "validate_rules"]
