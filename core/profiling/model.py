"""The profile of an import as a typed tree: what the CLI prints, the GUI shows and agents' tools read.

Why plain frozen dataclasses of Python values (no pandas, no numpy): a profile crosses threads (the
GUI's read pool), goes out as JSON (`to_dict()`, the `profile --json` document) and is read by code
that must not pay pandas' import; the profiler converts at the edge, once.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

#: value kinds a single cell can have, most specific first (`ColumnProfile.kinds` counts them)
KINDS = (
    "boolean",
    "integer",
    "float",
    "uuid",
    "ipv4",
    "ipv6",
    "mac",
    "email",
    "datetime",
    "date",
    "fqdn",
    "string",
)
#: column types (`ColumnProfile.inferred_type`); "empty" when no record holds a value
TYPES = ("integer", "float", "boolean", "datetime", "ip", "fqdn", "uuid", "mac", "email", "string", "empty")
#: cardinality classes (`ColumnProfile.cardinality`)
CARDINALITIES = ("empty", "constant", "low", "high", "unique")


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses to dicts, tuples to lists, NaN/inf to None, UUIDs to text."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """This node as JSON-ready dicts and lists (the `profile --json` shape)."""
        return _plain(self)


@dataclass(frozen=True)
class ValueCount(_ToDict):
    """One value (stripped) and how many profiled records hold it."""

    value: str
    count: int
    share: float  # of the records that hold a value


@dataclass(frozen=True)
class PatternCount(_ToDict):
    """A value shape (`AAA-999`: letters → A, digits → 9) or a recognised class (IPv4, UUID, …)."""

    pattern: str
    count: int
    share: float  # of the records that hold a value
    example: str


@dataclass(frozen=True)
class RecordValue(_ToDict):
    """A value as found in one record (`record_index` is the file's line or sheet row)."""

    record_index: int
    value: str


@dataclass(frozen=True)
class LengthStats(_ToDict):
    """Length in characters of the (stripped) values."""

    min: int
    max: int
    mean: float
    median: float


@dataclass(frozen=True)
class Outlier(_ToDict):
    record_index: int
    value: str
    number: float


@dataclass(frozen=True)
class Outliers(_ToDict):
    """Values outside `low`..`high`: Tukey's fences (`iqr`, 1.5 × IQR) or |z| > 3 (`zscore`)."""

    method: str
    low: float | None
    high: float | None
    count: int
    examples: list[Outlier] = field(default_factory=list)  # the most extreme first
    note: str | None = None  # why no fence could be drawn (IQR 0, std 0)


@dataclass(frozen=True)
class NumericSummary(_ToDict):
    """Summary of the values read as numbers (the core's one number reading, `core.values.numbers`)."""

    count: int
    min: float
    q1: float
    median: float
    q3: float
    max: float
    mean: float
    std: float | None  # sample standard deviation; None for one value
    iqr_outliers: Outliers
    zscore_outliers: Outliers
    decimal_mark: str | None = None  # "," when the column writes decimal commas


@dataclass(frozen=True)
class DateRange(_ToDict):
    """Earliest and latest of the values read as dates (ISO 8601, UTC when the text names no zone)."""

    count: int  # values read as dates
    min: str | None
    max: str | None
    with_time: int  # of them, with a time of day
    date_order: str | None  # "dmy" / "mdy" from the column's unambiguous values, as cleansing decides
    unreadable: int = 0  # date-shaped values that are no date (ambiguous or impossible)
    unreadable_examples: list[RecordValue] = field(default_factory=list)


@dataclass(frozen=True)
class ColumnProfile(_ToDict):
    """Everything the profiler says about one column, over the profiled records."""

    name: str
    position: int  # 0-based, in the import's header
    records: int  # profiled records
    filled: int  # records with a value (not null, not blank)
    nulls: int  # cell missing or a "no value" word (NULL, n/a, -, …: `core.values.empty.NULL_TOKENS`)
    blanks: int  # empty or whitespace only
    null_share: float
    blank_share: float
    inferred_type: str  # one of TYPES
    type_share: float  # share of the filled records whose value fits the inferred type
    kinds: dict[str, int]  # per value kind (KINDS), filled records
    distinct: int  # distinct values (stripped, case kept)
    cardinality: str  # one of CARDINALITIES
    top_values: list[ValueCount]
    patterns: list[PatternCount]
    lengths: LengthStats | None
    numeric: NumericSummary | None = None
    dates: DateRange | None = None
    nonconforming: int = 0  # filled records whose value does not fit the inferred type
    nonconforming_examples: list[RecordValue] = field(default_factory=list)


@dataclass(frozen=True)
class CandidateKey(_ToDict):
    """Columns whose values (together) are filled and unique in every profiled record."""

    columns: list[str]


@dataclass(frozen=True)
class DuplicateGroup(_ToDict):
    """Records sharing one value (of a key-like column) or one whole row."""

    value: str | None  # the shared key value; None for whole-row duplicates
    count: int
    record_indexes: list[int]  # first ones, in file order


@dataclass(frozen=True)
class DuplicateKey(_ToDict):
    """A nearly unique column (distinct ≥ 90 % of its filled values) whose values repeat."""

    column: str
    distinct: int
    filled: int
    duplicate_values: int  # values held by more than one record
    duplicate_records: int  # records holding one of them
    examples: list[DuplicateGroup] = field(default_factory=list)


@dataclass(frozen=True)
class CrossColumnChecks(_ToDict):
    """Keys and duplicates over the profiled columns and records."""

    candidate_keys: list[CandidateKey]  # single columns first, then pairs
    duplicate_keys: list[DuplicateKey]
    duplicate_rows: int  # records that repeat an earlier record (every profiled column equal)
    duplicate_row_groups: list[DuplicateGroup] = field(default_factory=list)


@dataclass(frozen=True)
class ImportProfile(_ToDict):
    """An import's profile: which records were read (`sampled`, `records` of `of`), columns, checks."""

    import_id: uuid.UUID
    filename: str
    sampled: bool  # True when only the first `records` of `of` were read
    records: int
    of: int
    sample_limit: int | None  # the bound asked for (None: the whole import)
    columns: list[ColumnProfile]
    checks: CrossColumnChecks
    seconds: float  # reading and profiling
    sample_method: str = "first records in file order"

    def column(self, name: str) -> ColumnProfile | None:
        """The profile of the column with this header (None when it was not profiled)."""
        return next((c for c in self.columns if c.name == name), None)
