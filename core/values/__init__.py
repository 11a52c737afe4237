"""The value pipeline: parsing and normalising the values of inventory exports, in one place.

The mapping preview, the rule application and the cleansing phase all go through here, so a
value reads the same wherever it is shown or stored. Modules, bottom up:

- `text` (folding), `empty` (the "no value" words), `problems` (why a value was refused),
  `resources` (YAML of `resources/`, read once);
- `units`: the one unit table (from `resources/mapping_vocabulary.yaml`, also the vocabulary's);
- `numbers`, `booleans`, `dates` (python-dateutil behind an ISO fast path), `tags`;
- `enums` (the enumerated fields' values and aliases, from `resources/value_enums.yaml`), `network`,
  `normalise` (which normaliser a string field goes through);
- `identifiers`: serial numbers, BIOS/SMBIOS UUIDs and VM ids compared by key (a VMware serial and
  its UUID, byte-swapped or not, are one key) — identity and field conflicts use it;
- `rules` (a mapping's transformation rules on one cell), `fields` (the canonical fields),
  `coercer` (`FieldCoercer`: one source column onto one field), `derive` (per-record fills).

Depends on no other core package; `core.mapping` builds its vocabulary and profiles on it.
"""

from core.values.booleans import parse_bool
from core.values.coercer import FieldCoercer
from core.values.dates import DATE_ORDERS, parse_date, read_date
from core.values.derive import derive_fields
from core.values.enums import EnumSet, enum_set, enum_sets, os_family_of
from core.values.fields import FieldSpec, asset_fields, field_names, field_spec
from core.values.numbers import (
    DECIMAL_MARKS,
    decimal_mark_of,
    parse_number,
    parse_plain_number,
    read_digits,
    split_number,
)
from core.values.problems import Coerced, Problem
from core.values.rules import NOT_MAPPED, TARGET_TYPES, apply_rules, map_value, validate_rules
from core.values.tags import parse_tags
from core.values.text import fold
from core.values.units import UnitInfo, UnitTable, read_unit, unit_table

__all__ = [
    "DATE_ORDERS",
    "DECIMAL_MARKS",
    "NOT_MAPPED",
    "TARGET_TYPES",
    "Coerced",
    "EnumSet",
    "FieldCoercer",
    "FieldSpec",
    "Problem",
    "UnitInfo",
    "UnitTable",
    "apply_rules",
    "asset_fields",
    "decimal_mark_of",
    "derive_fields",
    "enum_set",
    "enum_sets",
    "field_names",
    "field_spec",
    "fold",
    "map_value",
    "os_family_of",
    "parse_bool",
    "parse_date",
    "parse_number",
    "parse_plain_number",
    "parse_tags",
    "read_date",
    "read_digits",
    "read_unit",
    "split_number",
    "unit_table",
    "validate_rules",
]
