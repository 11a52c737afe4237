"""Fresh planner statistics after a phase rewrites a table (schema 0013's `md_analyze`).

Why: right after a bulk replace the planner still thinks the table empty and picks nested loops
over every row (8.6 s to read 2,973 move groups with their members, milliseconds once analysed).
Called inside the phase's transaction; the database skips a table another session is analysing.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

#: the tables `md_analyze` accepts (migrations/versions/0013_refresh_statistics.py keeps the same)
ANALYSED = (
    "assets",
    "asset_dependencies",
    "infrastructure_services",
    "move_groups",
    "move_group_members",
    "techdebt_findings",
    "sixr_recommendations",
    "wave_members",
)


def refresh_statistics(session: Session, *tables: str) -> None:
    """ANALYZE each of `tables` (names of `ANALYSED`) in the session's transaction."""
    for table in tables:
        if table not in ANALYSED:
            raise ValueError(f"{table} is not a table whose statistics the app refreshes")
        session.execute(text("SELECT public.md_analyze(:t)"), {"t": table})
