"""Two consultants deciding the same column at once: one wins, the other is told, nothing lost."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.mapping_review import MappingConflictError, approve, reject
from core.mapping_review.store import lock_import
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import events, rows, suggested


def test_conflicting_decisions_in_two_threads(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()
    ram = suggested(core, tenant, ref.import_id)["RAM (MB)"]
    barrier = threading.Barrier(2, timeout=20)
    outcome: dict[str, Any] = {}

    def decide(name: str, fn: Any) -> None:
        try:
            barrier.wait()  # both saw version 1 and decide at the same moment
            outcome[name] = fn()
        except Exception as exc:
            outcome[name] = exc

    threads = [
        threading.Thread(
            target=decide,
            args=("approve", lambda: mapping_actions.approve(core.uows, tenant, ram.id, 1).value),
        ),
        threading.Thread(
            target=decide,
            args=(
                "modify",
                lambda: mapping_actions.modify(core.uows, tenant, ram.id, 1, target_field="storage_gb").value,
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    errors = {k: v for k, v in outcome.items() if isinstance(v, Exception)}
    wins = {k: v for k, v in outcome.items() if not isinstance(v, Exception)}
    assert len(errors) == 1 and len(wins) == 1, outcome
    err, result = next(iter(errors.values())), next(iter(wins.values()))
    assert isinstance(err, MappingConflictError), err
    assert err.current.version == 2 and err.current.status == result.status
    assert err.current.target_field == result.new_target
    assert err.current.decided_by == "Test Consultant"

    stored = rows(core, tenant, ref.import_id)["RAM (MB)"]
    assert (stored.status, stored.target_field, stored.version) == (result.status, result.new_target, 2)
    decided = [e for e in events(core, tenant, ref.flow_id) if e.event_type != "mapping_suggested"]
    assert len(decided) == 1


def test_the_later_unit_of_work_waits_and_then_sees_the_winner(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    """Deterministic interleaving: the first holds the lock until it commits; the second then conflicts."""
    ref = make_import()
    ip = suggested(core, tenant, ref.import_id)["IP Address"]
    first_decided = threading.Event()
    second_started = threading.Event()
    result: dict[str, Any] = {}

    def second() -> None:
        with core.uow(tenant) as uow2:
            second_started.set()
            try:
                reject(uow2, ip.id, 1)
            except Exception as exc:
                result["second"] = exc

    with core.uow(tenant) as uow1:
        approve(uow1, ip.id, 1)
        first_decided.set()
        t = threading.Thread(target=second)
        t.start()
        second_started.wait(10)
        t.join(0.5)
        assert t.is_alive(), "the second decision must wait for the first transaction"
        uow1.commit()
    t.join(20)
    assert isinstance(result.get("second"), MappingConflictError)
    assert result["second"].current.status == "approved"
    assert rows(core, tenant, ref.import_id)["IP Address"].status == "approved"


def test_lock_import_is_reentrant_in_one_transaction(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    ip = suggested(core, tenant, ref.import_id)["IP Address"]
    with core.uow(tenant) as uow:
        lock_import(uow.session, ref.import_id)
        lock_import(uow.session, ref.import_id)
        with pytest.raises(MappingConflictError):
            approve(uow, ip.id, 7)
