"""Dependency analysis: infrastructure services and move groups from servers and their connections.

No database and no Qt: plain data in (`Server`, `Connection`, `Override`), `DependencyAnalysis` out
(`analyse`). The flow's `dependency_analysis` phase loads the engagement's assets and
`asset_dependencies`, calls `analyse` and stores the answer; the wave planner consumes its move
groups and group links.
"""

from core.dependencies.engine import AnalysisSettings, analyse
from core.dependencies.grouping import GroupingSettings
from core.dependencies.model import (
    Connection,
    DependencyAnalysis,
    Endpoint,
    GroupLink,
    InfrastructureService,
    MoveGroup,
    Override,
    Server,
    UnresolvedSummary,
)

__all__ = [
    "AnalysisSettings",
    "Connection",
    "DependencyAnalysis",
    "Endpoint",
    "GroupLink",
    "GroupingSettings",
    "InfrastructureService",
    "MoveGroup",
    "Override",
    "Server",
    "UnresolvedSummary",
    "analyse",
]
