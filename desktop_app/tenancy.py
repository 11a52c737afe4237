"""The tenant a screen acts for, from the sidebar selection (background functions need it)."""

from __future__ import annotations

from core.bootstrap import Core
from core.uow import Tenant
from desktop_app.screens.registry import Selection


def tenant_of(core: Core, selection: Selection) -> Tenant:
    """Tenant for the selected engagement, acting as the current consultant."""
    if selection.client_account_id is None or selection.engagement_id is None:
        raise ValueError("no engagement selected")
    return Tenant(selection.client_account_id, selection.engagement_id, core.user_id, core.identity.label)
