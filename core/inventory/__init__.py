"""Asset inventory: deduplicated, typed assets with lineage, the phase runners and the read API.

- `service.build_inventory`: the asset-inventory phase (identity rules: `identity`).
- `query`: `count_assets`, `fetch_assets`, `iter_assets`, `asset_detail`.
- `duplicates`: the duplicate review — `duplicate_candidates` (one group per shared key),
  `duplicate_page` (each set of assets once, paged, with a total), `mark_distinct` ("not a duplicate"),
  `kept_apart` (those decisions) and `forget_distinct` (take one back).
- `merges`: `merge_assets` (recorded), `split_merge` (undo it, lineage restored), `recorded_merges`.
"""

from core.inventory.duplicates import (
    CandidatePage,
    duplicate_candidates,
    duplicate_page,
    forget_distinct,
    kept_apart,
    mark_distinct,
)
from core.inventory.merges import merge_assets, recorded_merges, split_merge
from core.inventory.query import (
    AssetFilters,
    asset_detail,
    count_assets,
    fetch_assets,
    iter_assets,
)
from core.inventory.service import build_inventory

__all__ = [
    "AssetFilters",
    "CandidatePage",
    "asset_detail",
    "build_inventory",
    "count_assets",
    "duplicate_candidates",
    "duplicate_page",
    "fetch_assets",
    "forget_distinct",
    "iter_assets",
    "kept_apart",
    "mark_distinct",
    "merge_assets",
    "recorded_merges",
    "split_merge",
]
