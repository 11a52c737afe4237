"""Data cleansing: typed, normalised values for every raw record, and a quality report per import."""

from core.cleansing.coerce import FieldCoercer, Problem, derive_fields, parse_date, parse_tags
from core.cleansing.service import cleanse_import, pending_mappings, quality_report, quality_reports

__all__ = [
    "FieldCoercer",
    "Problem",
    "cleanse_import",
    "derive_fields",
    "parse_date",
    "parse_tags",
    "pending_mappings",
    "quality_report",
    "quality_reports",
]
