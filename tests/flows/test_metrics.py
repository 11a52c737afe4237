"""Prometheus metrics count committed changes only; every transition is logged with fields."""

from __future__ import annotations

import logging
import socket
import urllib.request

import pytest
from prometheus_client import REGISTRY

from core.bootstrap import Core
from core.flows import InvalidTransitionError, advance_phase, create_discovery_flow, mark_import_completed
from core.flows.metrics import serve_metrics, serve_metrics_from_settings
from core.uow import Tenant

from .helpers import MakeFlow, add_import


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_transitions_are_counted_when_committed_only(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    success = {"phase": "data_import", "outcome": "success"}
    flag = {"flag": "data_import_completed", "result": "set"}
    before = _value("discovery_flow_phase_transitions_total", **success)
    flags_before = _value("discovery_flow_flag_updates_total", **flag)
    with core.uow(tenant) as uow:  # rolled back: not counted
        flow = create_discovery_flow(uow, data_import_id=add_import(uow), flow_name="rolled back")
        mark_import_completed(uow, flow.id)
    assert _value("discovery_flow_phase_transitions_total", **success) == before
    flow_id = make_flow()
    with core.uow(tenant) as uow:
        advance_phase(uow, flow_id, "field_mapping")
        uow.commit()
    assert _value("discovery_flow_phase_transitions_total", **success) == before + 1
    assert _value("discovery_flow_flag_updates_total", **flag) == flags_before + 1
    assert _value("discovery_flow_phase_transition_duration_seconds_count", phase="data_import") >= 1
    invalid = {"phase": "field_mapping", "outcome": "invalid"}
    n_invalid = _value("discovery_flow_phase_transitions_total", **invalid)
    with core.uow(tenant) as uow, pytest.raises(InvalidTransitionError):
        advance_phase(uow, flow_id, "asset_inventory")
    assert _value("discovery_flow_phase_transitions_total", **invalid) == n_invalid + 1


def test_transitions_are_logged_with_structured_fields(
    core: Core, tenant: Tenant, make_flow: MakeFlow, caplog: pytest.LogCaptureFixture
) -> None:
    flow_id = make_flow()
    with caplog.at_level(logging.INFO, logger="core.flows"), core.uow(tenant) as uow:
        advance_phase(uow, flow_id, "field_mapping")
        uow.commit()
    (record,) = [r for r in caplog.records if getattr(r, "flow_event", None) == "phase_advanced"]
    assert record.flow_id == flow_id and record.flow_phase == "data_import" and record.flow_version == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_are_served_on_localhost(core: Core) -> None:
    assert serve_metrics_from_settings(core.settings) is None  # off unless metrics_port is set
    port = _free_port()
    serve_metrics(port)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for name in (
        "discovery_flow_phase_transitions_total",
        "discovery_flow_phase_transition_duration_seconds",
        "discovery_flow_flag_updates_total",
        "discovery_flow_consistency_violations_total",
    ):
        assert name in body
