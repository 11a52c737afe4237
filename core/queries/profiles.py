"""Column profiles of an import for the front ends (CLI `profile`, the review's Profile pane, agents' tools).

One read function, so the CLI, the GUI and the AI agents see the same profile of the same records.
Reads never write: each call opens its own unit of work and leaves without committing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core import tenancy
from core.db.models import DataImport
from core.errors import UserInputError
from core.profiling import DEFAULT_SAMPLE, ImportProfile, profile_import
from core.progress import CancelToken
from core.uow import Tenant, UnitOfWorkFactory


def column_profiles(
    uows: UnitOfWorkFactory,
    tenant: Tenant,
    import_id: uuid.UUID | str,
    *,
    sample: int | None = DEFAULT_SAMPLE,
    columns: Sequence[str] | None = None,
    cancel: CancelToken | None = None,
) -> ImportProfile:
    """The profile of an import's columns (all, or those named) over its first `sample` records
    (`None`: the whole import); the result says which (`sampled`, `records`, `of`)."""
    with uows(tenant) as uow:
        return profile_import(uow, import_id, sample=sample, columns=columns, cancel=cancel)


def locate_import(uows: UnitOfWorkFactory, import_id: uuid.UUID | str) -> Tenant:
    """The tenant (engagement) an import belongs to, among those the consultant may see.

    Row-level security shows an import only inside its engagement's transaction, so each visible
    engagement is asked in turn (one indexed lookup each).
    """
    try:
        iid = import_id if isinstance(import_id, uuid.UUID) else uuid.UUID(str(import_id))
    except ValueError:
        raise UserInputError(f"{import_id!r} is not an import id", hint="an import id is a UUID") from None
    for ref in tenancy.list_engagements(uows.sessions):
        tenant = uows.tenant_for(ref)
        with uows(tenant) as uow:
            if uow.session.scalar(select(DataImport.id).where(DataImport.id == iid)) is not None:
                return tenant
    raise UserInputError(
        f"no import {iid} in any engagement you are a member of",
        hint="`migration-discovery import FILE --json` prints the id of the import it makes; check the id",
    )
