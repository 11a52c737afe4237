"""Asset inventory screen: lazy table, lineage panel, duplicate review, data quality, export."""
