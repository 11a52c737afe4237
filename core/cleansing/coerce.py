"""Cleansing's names for the value pipeline, which lives in `core.values`.

The coercer, the date and tag parsers, the normalisers and the per-record derivations moved to
`core.values` so that the mapping preview, the rule application and cleansing share one
implementation; this module keeps the names the cleansing phase imports.
"""

from __future__ import annotations

from core.values.coercer import FieldCoercer
from core.values.dates import DATE_ORDERS, parse_date
from core.values.derive import derive_fields
from core.values.empty import NULL_TOKENS
from core.values.enums import os_family_of
from core.values.normalise import ENUM_FIELDS, STRING_NORMALISERS
from core.values.problems import Coerced, Problem
from core.values.tags import parse_tags

__all__ = [
    "DATE_ORDERS",
    "ENUM_FIELDS",
    "NULL_TOKENS",
    "STRING_NORMALISERS",
    "Coerced",
    "FieldCoercer",
    "Problem",
    "derive_fields",
    "os_family_of",
    "parse_date",
    "parse_tags",
]
