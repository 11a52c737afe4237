"""All mapped tables; importing this module registers them on `Base.metadata`."""

from core.db.base import Base
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
from core.db.models.inventory import AssetMergeDecision, ImportQualityReport
from core.db.models.tenancy import MEMBER_ROLES, ClientAccount, Engagement, EngagementMember, User

__all__ = [
    "FLOW_STATUSES",
    "IMPORT_STATUSES",
    "MAPPING_STATUSES",
    "MEMBER_ROLES",
    "Asset",
    "AssetDependency",
    "AssetMergeDecision",
    "Base",
    "ClientAccount",
    "DataImport",
    "DiscoveryFlow",
    "Engagement",
    "EngagementMember",
    "FlowArchive",
    "FlowCheckpoint",
    "FlowEvent",
    "ImportFieldMapping",
    "ImportQualityReport",
    "MappingMemory",
    "MasterFlow",
    "RawImportRecord",
    "User",
]
