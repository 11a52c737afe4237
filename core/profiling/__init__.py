"""Column profiling of an import's raw records, without any model: types, gaps, values, patterns,
numbers, dates, keys and duplicates.

    profile = profile_import(uow, import_id)               # first DEFAULT_SAMPLE records
    profile = profile_import(uow, import_id, sample=None)  # every record
    profile.column("IP Address").inferred_type             # "ip"
    profile.to_dict()                                      # the `profile --json` document

The front ends read it through `core.queries.profiles.column_profiles`; the AI agents' tools call
the same function, so what an agent is told about a column is what the consultant sees. pandas is
imported only when a profile is computed (importing this package does not load it).
"""

from core.profiling.model import (
    CARDINALITIES,
    KINDS,
    TYPES,
    CandidateKey,
    ColumnProfile,
    CrossColumnChecks,
    DateRange,
    DuplicateGroup,
    DuplicateKey,
    ImportProfile,
    LengthStats,
    NumericSummary,
    Outlier,
    Outliers,
    PatternCount,
    RecordValue,
    ValueCount,
)
from core.profiling.service import DEFAULT_SAMPLE, profile_import

__all__ = [
    "CARDINALITIES",
    "DEFAULT_SAMPLE",
    "KINDS",
    "TYPES",
    "CandidateKey",
    "ColumnProfile",
    "CrossColumnChecks",
    "DateRange",
    "DuplicateGroup",
    "DuplicateKey",
    "ImportProfile",
    "LengthStats",
    "NumericSummary",
    "Outlier",
    "Outliers",
    "PatternCount",
    "RecordValue",
    "ValueCount",
    "profile_import",
]
