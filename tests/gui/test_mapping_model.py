"""The mapping grid's model, proxy and delegate geometry, without a database or a window."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from PySide6.QtCore import QPoint, QRect, Qt

from desktop_app.screens.mapping_review.delegate import APPROVE, EDIT, REJECT, DecisionDelegate, button_rects
from desktop_app.screens.mapping_review.model import (
    COL_EXPLANATION,
    COL_STATUS,
    COL_TARGET,
    CONFLICT_ROLE,
    MAPPING_ID_ROLE,
    STATUS_ROLE,
    MappingTableModel,
)
from desktop_app.screens.mapping_review.proxy import (
    FILTER_CONFLICTS,
    FILTER_LOW,
    FILTER_PENDING,
    FILTER_UNMAPPED,
    MappingFilterProxy,
)
from desktop_app.screens.mapping_review.rows import Conflict, ReviewRow, row_from_core


def _row(
    i: int, status: str = "suggested", target: str | None = "hostname", confidence: float = 0.9
) -> ReviewRow:
    return ReviewRow(uuid.uuid4(), f"col{i}", i, ("a", "b"), target, confidence, "exact", "why", status, 1)


def test_model_roles_and_counts(qapp: object) -> None:
    model = MappingTableModel()
    rows = [_row(0), _row(1, "approved"), _row(2, "rejected"), _row(3, target=None, confidence=0.0)]
    model.load(rows)
    assert model.rowCount() == 4
    idx = model.index(1, COL_STATUS)
    assert idx.data() == "Approved" and idx.data(STATUS_ROLE) == "approved"
    assert model.index(2, COL_TARGET).data() == "(unmapped)"
    assert model.index(3, COL_TARGET).data() == "no target"  # 12.9: was "(no match)"
    assert model.index(0, 0).data(MAPPING_ID_ROLE) == rows[0].mapping_id
    assert model.counts() == {
        "total": 4,
        "pending": 2,
        "approved": 1,
        "rejected": 1,
        "modified": 0,
        "conflicts": 0,
    }


def test_conflict_is_tinted_and_explained(qapp: object) -> None:
    model = MappingTableModel()
    row = _row(0)
    model.load([row])
    conflict = Conflict(
        "approved",
        "hostname",
        3,
        "Alice",
        datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        "column 'col0' was approved as hostname by Alice",
    )
    model.set_conflict(row.mapping_id, conflict)
    idx = model.index(0, COL_STATUS)
    assert idx.data(CONFLICT_ROLE) == conflict
    assert "Conflict" in idx.data() and "Alice" in idx.data(Qt.ItemDataRole.ToolTipRole)
    assert "Alice approved this first at 2026-01-02 03:04" in model.index(0, COL_EXPLANATION).data()
    assert idx.data(Qt.ItemDataRole.BackgroundRole) is not None
    model.update_row(row)  # deciding again clears it
    assert model.index(0, 0).data(CONFLICT_ROLE) is None


def test_filters(qapp: object) -> None:
    model = MappingTableModel()
    rows = [_row(0), _row(1, "approved"), _row(2, "rejected"), _row(3, target=None, confidence=0.2)]
    model.load(rows)
    model.set_conflict(rows[1].mapping_id, Conflict("rejected", None, 2, "Bob", None, "x"))
    proxy = MappingFilterProxy()
    proxy.setSourceModel(model)
    expected = {FILTER_PENDING: 2, FILTER_LOW: 1, FILTER_UNMAPPED: 2, FILTER_CONFLICTS: 1}
    for mode, count in expected.items():
        proxy.set_mode(mode)
        assert proxy.rowCount() == count, mode
    proxy.set_mode("all")
    proxy.set_text("col3")
    assert proxy.rowCount() == 1


def test_delegate_hit_testing_matches_painting() -> None:
    cell = QRect(100, 40, 230, 30)
    rects = button_rects(cell)
    assert set(rects) == {APPROVE, REJECT, EDIT}
    assert all(cell.contains(r) for r in rects.values())
    delegate = DecisionDelegate()
    for action, rect in rects.items():
        assert delegate.hit(cell, rect.center()) == action
    assert delegate.hit(cell, QPoint(cell.right() - 1, cell.top() + 1)) is None


def test_row_adapter_reads_the_core_row() -> None:
    from core.mapping_review import MappingRow

    core_row = MappingRow(
        id=uuid.uuid4(),
        import_id=uuid.uuid4(),
        source_field="RAM (MB)",
        position=3,
        samples=["4096"],
        target_field="memory_gb",
        target_description="RAM",
        target_unit="GB",
        target_type="float",
        confidence=0.93,
        match_type="synonym",
        suggested_by="rules",
        status="approved",
        explanation="unit",
        transformation_rules={"scale": 1 / 1024},
        version=4,
        approved_by="Alice",
        approved_by_id=None,
        approved_at=None,
        suggested_target="memory_gb",
    )
    row = row_from_core(core_row)
    assert (row.mapping_id, row.position, row.version, row.decided_by) == (core_row.id, 3, 4, "Alice")
    assert row.rules == {"scale": 1 / 1024} and row.target_unit == "GB" and row.samples == ("4096",)
