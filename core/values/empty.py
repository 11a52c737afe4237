"""The words exports write for "no value": one place, two documented uses.

`EMPTY_MARKERS` is the wide list (n/a, unknown, tbd, not set, …): a non-string target treats
them as missing (rule application), and value profiling ignores them. `NULL_TOKENS` is the
narrower list the cleansing coercer drops for *every* field type, strings included: "unknown"
stays a valid environment or owner there, "(blank)" does not.
"""

from __future__ import annotations

EMPTY_MARKERS = frozenset(
    {"n/a", "na", "-", "--", "null", "none", "unknown", "tbd", "?", "#n/a", "nan", "(null)", "(empty)",
     "nil", "n.a.", "k.a.", "-/-", "<none>", "<null>", "not set", "not available"}
)  # fmt: skip
"""Compared with `fold(text)`."""

EMPTY_VALUES = EMPTY_MARKERS | {""}
"""`EMPTY_MARKERS` plus the empty cell (what profiling skips)."""

NULL_TOKENS = frozenset({"", "n/a", "na", "null", "none", "nil", "(null)", "#n/a", "-", "--", "?", "(blank)"})
"""Compared with `text.strip().casefold()`."""
