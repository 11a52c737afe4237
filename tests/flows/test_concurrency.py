"""Row locks for phase advance, optimistic locking for state saves: no lost update, ever."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text

from core.bootstrap import Core
from core.flows import (
    ConcurrentModificationError,
    StateValidationError,
    advance_phase,
    save_flow_state,
)
from core.flows.transitions import PhaseTransitionResult
from core.uow import Tenant, UnitOfWork

from .helpers import MakeFlow, committing, events, get_flow


def _blocked_behind(core: Core, pid: int, timeout: float = 20.0) -> bool:
    """Wait until some session waits for a lock held by backend `pid` (the condition, not a sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with core.uow() as probe:  # a fresh transaction each time: activity snapshots are per transaction
            waiting = probe.session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                {"pid": pid},
            )
        if waiting:
            return True
        time.sleep(0.01)
    return False


def _hold_then_race(
    core: Core, tenant: Tenant, first: Callable[[UnitOfWork], object], second: Callable[[UnitOfWork], object]
) -> tuple[object, object, bool]:
    """`first` runs uncommitted and holds the row lock until `second` (another thread) is seen waiting."""
    locked = threading.Event()
    results: dict[str, object] = {}

    def run_second() -> None:
        locked.wait(5)
        with core.uow(tenant) as uow:
            try:
                results["second"] = second(uow)
            except Exception as exc:  # surfaced to the test below
                results["second"] = exc

    thread = threading.Thread(target=run_second)
    thread.start()
    with core.uow(tenant) as uow:
        results["first"] = first(uow)
        pid = int(uow.session.scalar(text("SELECT pg_backend_pid()")) or 0)
        locked.set()
        blocked = _blocked_behind(core, pid)  # the second unit of work is now blocked on FOR UPDATE
        uow.commit()
    thread.join(10)
    assert not thread.is_alive()
    return results["first"], results["second"], blocked


def test_concurrent_same_advance_one_wins_the_other_sees_it(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow()
    first, second, waited = _hold_then_race(
        core,
        tenant,
        lambda uow: advance_phase(uow, flow_id, "field_mapping"),
        committing(lambda uow: advance_phase(uow, flow_id, "field_mapping")),
    )
    assert isinstance(first, PhaseTransitionResult) and not first.was_idempotent
    assert isinstance(second, PhaseTransitionResult) and second.was_idempotent, second
    assert waited  # it really waited for the lock, then read the committed state
    flow = get_flow(core, tenant, flow_id)
    assert flow.version == 2 and flow.phases_completed == ["data_import"]
    assert [e.event_type for e in events(core, tenant, flow_id)].count("phase_advanced") == 1


def test_concurrent_consecutive_advances_lose_no_flag(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow()
    _, second, _ = _hold_then_race(
        core,
        tenant,
        lambda uow: advance_phase(uow, flow_id, "field_mapping"),
        committing(lambda uow: advance_phase(uow, flow_id, "data_cleansing")),
    )
    assert isinstance(second, PhaseTransitionResult) and not second.was_idempotent, second
    flow = get_flow(core, tenant, flow_id)
    assert flow.data_import_completed and flow.field_mapping_completed
    assert flow.phases_completed == ["data_import", "field_mapping"] and flow.version == 3


def test_save_waiting_behind_an_advance_conflicts_instead_of_overwriting(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow()
    _, second, _ = _hold_then_race(
        core,
        tenant,
        lambda uow: advance_phase(uow, flow_id, "field_mapping", extra_updates={"flow_state": {"a": 1}}),
        committing(lambda uow: save_flow_state(uow, flow_id, 1, {"flow_state": {"b": 2}})),
    )
    assert isinstance(second, ConcurrentModificationError)
    flow = get_flow(core, tenant, flow_id)
    assert flow.flow_state == {"a": 1} and flow.version == 2 and flow.data_import_completed


def test_save_with_the_current_version_succeeds_and_returns_the_next(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow()
    with core.uow(tenant) as uow:
        version = save_flow_state(uow, flow_id, 1, {"flow_state": {"notes": "ok"}, "flow_name": "renamed"})
        uow.commit()
    assert version == 2
    flow = get_flow(core, tenant, flow_id)
    assert (flow.flow_state, flow.flow_name, flow.version) == ({"notes": "ok"}, "renamed", 2)
    saved = events(core, tenant, flow_id)[-1]
    assert saved.event_type == "state_saved" and saved.data["version"] == 2


def test_stale_version_save_raises_and_never_overwrites(
    core: Core, tenant: Tenant, make_flow: MakeFlow
) -> None:
    flow_id = make_flow()
    with core.uow(tenant) as uow:
        save_flow_state(uow, flow_id, 1, {"flow_state": {"by": "alice"}})
        uow.commit()
    with core.uow(tenant) as uow, pytest.raises(ConcurrentModificationError) as err:
        save_flow_state(uow, flow_id, 1, {"flow_state": {"by": "bob"}})
    assert err.value.expected_version == 1 and err.value.actual_version == 2
    assert get_flow(core, tenant, flow_id).flow_state == {"by": "alice"}


def test_two_editors_of_the_same_version_one_wins(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    """Both read version 1; whichever commits second is refused by the database's version check."""
    flow_id = make_flow()
    first, second, _ = _hold_then_race(
        core,
        tenant,
        lambda uow: save_flow_state(uow, flow_id, 1, {"flow_state": {"by": "alice"}}),
        committing(lambda uow: save_flow_state(uow, flow_id, 1, {"flow_state": {"by": "bob"}})),
    )
    assert first == 2 and isinstance(second, ConcurrentModificationError)
    assert get_flow(core, tenant, flow_id).flow_state == {"by": "alice"}


@pytest.mark.parametrize(
    "updates",
    [
        {"flow_state": {"when": object()}},
        {"flow_state": {"x": float("nan")}},
        {"flow_state": ["not", "an", "object"]},
        {"flow_name": ""},
    ],
)
def test_every_save_is_validated(core: Core, tenant: Tenant, make_flow: MakeFlow, updates: dict) -> None:
    flow_id = make_flow()
    with core.uow(tenant) as uow, pytest.raises(StateValidationError):
        save_flow_state(uow, flow_id, 1, updates)
    assert get_flow(core, tenant, flow_id).version == 1


def test_save_refuses_phase_fields(core: Core, tenant: Tenant, make_flow: MakeFlow) -> None:
    flow_id = make_flow()
    with core.uow(tenant) as uow, pytest.raises(ValueError, match="current_phase"):
        save_flow_state(uow, flow_id, 1, {"current_phase": "completed"})
