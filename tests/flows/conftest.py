"""Fixtures for flow-state tests."""

from __future__ import annotations

import pytest

from core.bootstrap import Core
from core.uow import Tenant

from .helpers import MakeFlow, flow_factory


@pytest.fixture
def make_flow(core: Core, tenant: Tenant) -> MakeFlow:
    """Create a committed flow over a fresh import; `at=PHASE` advances it there first."""
    return flow_factory(core, tenant)
