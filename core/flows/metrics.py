"""Prometheus metrics and structured logs of flow-state changes.

Successful changes are counted when their transaction commits (see `store.after_commit`), so a
rolled-back import or a dry-run reconciliation never inflates the figures. `serve_metrics` exposes
them on localhost for a scraper; the settings file key `metrics_port` turns that on.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Counter, Histogram, start_http_server

from core.config import Settings

log = logging.getLogger("core.flows")

PHASE_TRANSITIONS = Counter(
    "discovery_flow_phase_transitions",
    "Phase transitions of discovery flows by the phase completed and their outcome.",
    ["phase", "outcome"],
)
TRANSITION_DURATION = Histogram(
    "discovery_flow_phase_transition_duration_seconds",
    "Time to lock, validate, write and commit one phase transition.",
    ["phase"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
FLAG_UPDATES = Counter(
    "discovery_flow_flag_updates",
    "Writes of completion flags by flag and result (set, repaired, corrected, skipped, failed).",
    ["flag", "result"],
)
CONSISTENCY_VIOLATIONS = Counter(
    "discovery_flow_consistency_violations",
    "Inconsistent flow states found (by validation, write-through reads or reconciliation).",
    ["type"],
)
STATE_SAVES = Counter(
    "discovery_flow_state_saves",
    "Optimistically locked saves of flow work state by outcome (success, conflict).",
    ["outcome"],
)
STATE_SAVE_DURATION = Histogram(
    "discovery_flow_state_save_duration_seconds",
    "Time to check the version, validate, write and commit one state save.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


def log_change(message: str, **fields: Any) -> None:
    """One structured log line per state change; the fields go to `extra=` for JSON handlers."""
    extra = {f"flow_{k}" if not k.startswith("flow_") else k: v for k, v in fields.items()}
    log.info(
        "%s %s",
        message,
        " ".join(f"{k}={v}" for k, v in fields.items()),
        extra={"flow_event": message, **extra},
    )


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose `/metrics` on localhost (never on all interfaces by default)."""
    start_http_server(port, addr=addr)
    log.info("serving flow metrics on http://%s:%d/metrics", addr, port)


def serve_metrics_from_settings(settings: Settings) -> int | None:
    """Start the endpoint when the settings file has `metrics_port`; returns the port or None."""
    raw = settings.extra.get("metrics_port")
    if raw in (None, "", 0):
        return None
    try:
        port = int(str(raw))
    except ValueError:
        log.warning("ignoring metrics_port %r in the settings file: not a port number", raw)
        return None
    try:
        serve_metrics(port)
    except OSError as exc:  # port taken: the app works on, the endpoint is reported missing
        log.warning("metrics endpoint not started on port %d: %s", port, exc)
        return None
    return port
