"""Reads of the mapping review for the front ends: each opens its own read-only unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.mapping_review import queries
from core.mapping_review.errors import MappingDecisionError
from core.mapping_review.types import MappingCounts, MappingRow, PreviewPair
from core.uow import Tenant, UnitOfWorkFactory


@dataclass(frozen=True)
class FlowMappings:
    """A flow's import and its mapping rows with their counts (`map list`)."""

    flow_id: uuid.UUID
    import_id: uuid.UUID
    rows: list[MappingRow]
    counts: MappingCounts


def import_rows(uows: UnitOfWorkFactory, tenant: Tenant, import_id: uuid.UUID) -> list[MappingRow]:
    """Every mapping row of an import with samples, in column order (the review grid)."""
    with uows(tenant) as uow:
        return queries.mapping_rows(uow, import_id)


def flow_mappings(uows: UnitOfWorkFactory, tenant: Tenant, flow_id: uuid.UUID | str) -> FlowMappings:
    """The mapping rows of a flow's import (refuses a flow without an import)."""
    with uows(tenant) as uow:
        fid, import_id = queries.import_for_flow(uow, flow_id)
        if import_id is None:
            raise MappingDecisionError(
                message=f"flow {fid} has no data import to map",
                hint="import a file with `migration-discovery import FILE --client NAME --engagement NAME`"
                " (it makes a flow with its import)",
            )
        return FlowMappings(
            fid, import_id, queries.mapping_rows(uow, import_id), queries.mapping_counts(uow, import_id)
        )


def preview(uows: UnitOfWorkFactory, tenant: Tenant, mapping_id: uuid.UUID) -> list[PreviewPair]:
    """Raw values of a column and what the row's rules make of them."""
    with uows(tenant) as uow:
        return list(queries.preview_transformation(uow, mapping_id))
