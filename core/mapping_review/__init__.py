"""Mapping review: stored suggestions, consultants' decisions, learning, and the review queries.

Qt-free service layer over `import_field_mappings` and `mapping_memory`; see the modules'
docstrings for the rules (decisions.py: locking, duplicates, completing the phase; memory.py:
what is learned; rules.py: applying transformation rules).
"""

from core.mapping_review.decisions import (
    approve,
    auto_map_remaining,
    bulk_approve,
    finish_mapping,
    modify,
    reject,
    revert,
)
from core.mapping_review.errors import (
    DecisionSnapshot,
    DuplicateTargetError,
    MappingConflictError,
    MappingDecisionError,
    MappingIncompleteError,
    MappingLockedError,
    MappingNotFoundError,
)
from core.mapping_review.memory import LearnedDecision, learned_for
from core.mapping_review.queries import (
    effective_mappings,
    import_for_flow,
    mapping_counts,
    mapping_row,
    mapping_rows,
    preview_transformation,
)
from core.mapping_review.rules import apply_rules
from core.mapping_review.suggestions import generate_suggestions, store_suggestions, suggest_after_import
from core.mapping_review.types import (
    BulkResult,
    DecisionResult,
    EffectiveMapping,
    MappingChanges,
    MappingCounts,
    MappingRow,
    PreviewPair,
)

__all__ = [
    "BulkResult",
    "DecisionResult",
    "DecisionSnapshot",
    "DuplicateTargetError",
    "EffectiveMapping",
    "LearnedDecision",
    "MappingChanges",
    "MappingConflictError",
    "MappingCounts",
    "MappingDecisionError",
    "MappingIncompleteError",
    "MappingLockedError",
    "MappingNotFoundError",
    "MappingRow",
    "PreviewPair",
    "apply_rules",
    "approve",
    "auto_map_remaining",
    "bulk_approve",
    "effective_mappings",
    "finish_mapping",
    "generate_suggestions",
    "import_for_flow",
    "learned_for",
    "mapping_counts",
    "mapping_row",
    "mapping_rows",
    "modify",
    "preview_transformation",
    "reject",
    "revert",
    "store_suggestions",
    "suggest_after_import",
]
