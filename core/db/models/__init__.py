"""All mapped tables; importing this module registers them on `Base.metadata`."""

from core.db.base import Base
from core.db.models.agents import CREW_STATUSES, CREWS, CrewOutput
from core.db.models.analysis import (
    DISPOSITIONS,
    FINDING_KINDS,
    LIFECYCLE_STATUSES,
    PLACED_BY,
    InfrastructureOverride,
    InfrastructureService,
    MoveGroup,
    MoveGroupMember,
    SixROverride,
    SixRRecommendation,
    TechDebtFinding,
    Wave,
    WaveMember,
)
from core.db.models.assets import Asset, AssetDependency
from core.db.models.flows import (
    FLOW_STATUSES,
    DiscoveryFlow,
    FlowArchive,
    FlowCheckpoint,
    FlowEvent,
    MasterFlow,
)
from core.db.models.imports import (
    IMPORT_STATUSES,
    MAPPING_STATUSES,
    DataImport,
    ImportFieldMapping,
    MappingMemory,
    RawImportRecord,
)
from core.db.models.inventory import (
    DETAIL_KINDS,
    AssetDetail,
    AssetDistinctDecision,
    AssetMergeDecision,
    ImportQualityReport,
)
from core.db.models.sync import SyncBatch, SyncChange, SyncConflict, SyncRejection, SyncState
from core.db.models.tenancy import MEMBER_ROLES, ClientAccount, Engagement, EngagementMember, User

__all__ = [
    "CREWS",
    "CREW_STATUSES",
    "DETAIL_KINDS",
    "DISPOSITIONS",
    "FINDING_KINDS",
    "FLOW_STATUSES",
    "IMPORT_STATUSES",
    "LIFECYCLE_STATUSES",
    "MAPPING_STATUSES",
    "MEMBER_ROLES",
    "PLACED_BY",
    "Asset",
    "AssetDependency",
    "AssetDetail",
    "AssetDistinctDecision",
    "AssetMergeDecision",
    "Base",
    "ClientAccount",
    "CrewOutput",
    "DataImport",
    "DiscoveryFlow",
    "Engagement",
    "EngagementMember",
    "FlowArchive",
    "FlowCheckpoint",
    "FlowEvent",
    "ImportFieldMapping",
    "ImportQualityReport",
    "InfrastructureOverride",
    "InfrastructureService",
    "MappingMemory",
    "MasterFlow",
    "MoveGroup",
    "MoveGroupMember",
    "RawImportRecord",
    "SixROverride",
    "SixRRecommendation",
    "SyncBatch",
    "SyncChange",
    "SyncConflict",
    "SyncRejection",
    "SyncState",
    "TechDebtFinding",
    "User",
    "Wave",
    "WaveMember",
]
