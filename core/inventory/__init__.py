"""Asset inventory: deduplicated, typed assets with lineage, the phase runners and the read API.

- `service.build_inventory`: the asset-inventory phase (identity rules: `identity`).
- `phases`: `run_data_cleansing`, `run_asset_inventory`, `run_flow` through `core.flows`.
- `query`: `count_assets`, `fetch_assets`, `asset_detail`, `duplicate_candidates`, `merge_assets`.
"""

from core.inventory.query import (
    AssetFilters,
    asset_detail,
    count_assets,
    duplicate_candidates,
    fetch_assets,
    iter_assets,
    merge_assets,
)
from core.inventory.service import build_inventory

__all__ = [
    "AssetFilters",
    "asset_detail",
    "build_inventory",
    "count_assets",
    "duplicate_candidates",
    "fetch_assets",
    "iter_assets",
    "merge_assets",
]
