"""Issue 12.4/12.5 in the grid: a suggestion whose preview fails is flagged; the context menu forgets
what mapping memory learned for a column (against the real database, with a screenshot)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import ImportFieldMapping, MappingMemory
from core.tenancy import EngagementRef
from core.uow import Tenant
from desktop_app.screens.mapping_review.model import COL_EXPLANATION
from desktop_app.screens.mapping_review.widget import MappingReviewScreen
from desktop_app.screens.registry import ScreenContext, Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import TaskManager

from .builders import make_import, rows_by_source

FORGET = "Forget what was learned for this column"


def _force(
    core: Core, tenant: Tenant, import_id: uuid.UUID, column: str, target: str, confidence: float
) -> None:
    """Make the suggester's proposal for `column` be `target` (test setup)."""
    with core.uow(tenant) as uow:
        row = uow.session.scalars(
            select(ImportFieldMapping).where(
                ImportFieldMapping.data_import_id == import_id, ImportFieldMapping.source_field == column
            )
        ).one()
        row.target_field, row.confidence_score, row.match_type = target, confidence, "exact"
        row.suggestion = {**(row.suggestion or {}), "target_field": target, "confidence": confidence}
        uow.commit()


@pytest.fixture
def imported(core: Core, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID]:
    """A consultant taught "Zorglub" → asset_tag on a first import; the second one is reviewed."""
    first, _ = make_import(core, tenant, filename="first.csv")
    zorglub = rows_by_source(core, tenant, first)["Zorglub"]
    mapping_actions.modify(core.uows, tenant, zorglub.id, zorglub.version, target_field="asset_tag")
    import_id, flow_id = make_import(core, tenant)
    _force(core, tenant, import_id, "Environment", "install_date", 0.95)  # prod/test/dev: no dates
    return import_id, flow_id


@pytest.fixture
def screen(
    qtbot: QtBot,
    tasks: TaskManager,
    store: SettingsStore,
    engagement: EngagementRef,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> Iterator[MappingReviewScreen]:
    ctx = ScreenContext(tasks=tasks, settings=store, navigate=lambda sid, sel: None)
    widget = MappingReviewScreen(ctx)
    qtbot.addWidget(widget)
    widget.resize(1360, 840)
    with qtbot.waitActive(widget):
        widget.show()
    import_id, flow_id = imported
    widget.set_selection(
        Selection(
            engagement.client_account_id,
            engagement.client_name,
            engagement.engagement_id,
            engagement.engagement_name,
            import_id,
            "servers.csv",
            flow_id,
        )
    )
    widget.on_shown()
    qtbot.waitUntil(lambda: widget.is_loaded() and widget.model.rowCount() > 0)
    yield widget
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)


def _row(screen: MappingReviewScreen, source: str) -> int:
    return next(i for i, r in enumerate(screen.model.rows()) if r.source_field == source)


def test_the_grid_flags_a_suggestion_whose_preview_fails(
    screen: MappingReviewScreen, output_dir: Path
) -> None:
    shown = screen.model.index(_row(screen, "Environment"), COL_EXPLANATION).data()
    assert shown.startswith("⚠ the preview fails for 3 of 3 sampled values as install_date")
    others = [screen.model.index(_row(screen, n), COL_EXPLANATION).data() for n in ("Hostname", "IP Address")]
    assert not any(text.startswith("⚠") for text in others)
    screen.grab().save(str(output_dir / "mapping_review_preview_failing.png"))


def test_the_context_menu_forgets_what_was_learned(
    qtbot: QtBot,
    screen: MappingReviewScreen,
    core: Core,
    tenant: Tenant,
    imported: tuple[uuid.UUID, uuid.UUID],
) -> None:
    row = screen.model.rows()[_row(screen, "Zorglub")]
    assert (row.target_field, row.match_type) == ("asset_tag", "learned")
    assert "taught by Test Consultant" in row.explanation
    assert FORGET in [a.text() for a in screen.view.actions()]  # the grid's context menu

    assert screen.select_mapping(row.mapping_id)
    screen.forget_action.trigger()
    qtbot.waitUntil(
        lambda: screen.model.rows()[_row(screen, "Zorglub")].match_type != "learned", timeout=20_000
    )
    with core.uow(tenant) as uow:
        assert not uow.session.scalars(
            select(MappingMemory).where(MappingMemory.source_header == "Zorglub")
        ).all()
    assert rows_by_source(core, tenant, imported[0])["Zorglub"].match_type != "learned"
