"""Column mapping: suggest the canonical asset field each source column holds (or none).

    from core.mapping import suggest_mappings
    suggestions = suggest_mappings([("RAM (MB)", ["4096", "8192"]), ("Host", ["esx01"])])

Qt-free and light to import: names below load their modules on first use; the optional
embedding model loads only when semantic evidence is first asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.mapping.engine import suggest_mappings as suggest_mappings
    from core.mapping.learned import PriorDecision as PriorDecision
    from core.mapping.models import FieldMappingSuggestion as FieldMappingSuggestion
    from core.mapping.models import ManualMappingRequest as ManualMappingRequest
    from core.mapping.models import Suggestion as Suggestion
    from core.mapping.schema import TargetField as TargetField
    from core.mapping.schema import TargetSchema as TargetSchema
    from core.mapping.schema import load_target_schema as load_target_schema
    from core.mapping.values import value_fingerprint as value_fingerprint

_EXPORTS: dict[str, str] = {
    "suggest_mappings": "core.mapping.engine",
    "load_target_schema": "core.mapping.schema",
    "TargetSchema": "core.mapping.schema",
    "TargetField": "core.mapping.schema",
    "value_fingerprint": "core.mapping.values",
    "PriorDecision": "core.mapping.learned",
    "FieldMappingSuggestion": "core.mapping.models",
    "ManualMappingRequest": "core.mapping.models",
    "Suggestion": "core.mapping.models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'core.mapping' has no attribute {name!r}")
    return getattr(import_module(module), name)
