"""The canonical asset fields, as the cleansing and inventory phases import them.

They are the value pipeline's (`core.values.fields`): the field coercer of the mapping preview and
of cleansing converts onto them, and their units' dimensions come from the one unit table.
"""

from __future__ import annotations

from core.values.fields import NUMBER_TYPES, FieldSpec, asset_fields, field_names, field_spec

__all__ = ["NUMBER_TYPES", "FieldSpec", "asset_fields", "field_names", "field_spec"]
