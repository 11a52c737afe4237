"""6R board (per engagement): applications, and assets without one, by recommended disposition.

Why it is built this way: a consultant signs off, per application, how it moves, and must see why
the rules said so and correct them with a reason the client can read. The board reads what the
last assessment stored (`core.queries.sixr`) in the background; one column per disposition with
its count, one card per application or asset (confidence, override mark, reasons on hover). The
detail pane lists the reasons and assets of the selected card. "Override…" opens a non-blocking
dialog (disposition and a required reason) calling `override_disposition`; "Clear override" and
"Re-run assessment" call their use cases. Each write's `Outcome.changes` refreshes the board.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.planning.sixr import DISPOSITIONS
from desktop_app.error_dialog import show_error
from desktop_app.screens.engagement_screen import EngagementScreen
from desktop_app.screens.registry import ScreenContext, Selection, register_screen
from desktop_app.screens.sixr import service
from desktop_app.screens.sixr.model import (
    COLOURS,
    MEANING,
    by_disposition,
    card_text,
    detail_html,
    tooltip,
    when,
)
from desktop_app.task_manager import CollectionOp

REC_ROLE = Qt.ItemDataRole.UserRole + 1
NO_ENGAGEMENT = "Select an engagement on the left to see its 6R board."
NOT_RUN = (
    "The 6R assessment has not run for this engagement yet.\n\n"
    "Press “Run assessment” (top right), or run `migration-discovery plan sixr`, to recommend a "
    "disposition for every application. Run the flow's Tech-debt assessment phase first so that "
    "out-of-support operating systems and databases count."
)
NO_ASSETS = (
    "This engagement has no assets to assess.\n\n"
    "Import an inventory (File → Import…) and run its flow, then press “Run assessment”."
)
NO_SELECTION = "Select a card to see its reasons and assets."


class OverrideDialog(QDialog):
    """The consultant's disposition for one card, with a reason (required); non-blocking."""

    submitted = Signal(str, str, str)  # target, disposition, reason

    def __init__(self, rec: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rec = rec
        self.setObjectName("sixrOverrideDialog")
        self.setWindowTitle(f"Override 6R — {rec['label']}")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.disposition = QComboBox()
        for d in DISPOSITIONS:
            self.disposition.addItem(d.capitalize(), d)
        current = rec["override"]["disposition"] if rec["override"] else rec["disposition"]
        self.disposition.setCurrentIndex(self.disposition.findData(current))
        self.reason = QPlainTextEdit(rec["override"]["reason"] if rec["override"] else "")
        self.reason.setPlaceholderText("Why the rules are wrong here (required; shown to the client)")
        self.reason.setFixedHeight(80)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Override")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.reason.textChanged.connect(self._validate)
        rules = QLabel(f"The rules recommend: <b>{rec['disposition']}</b> ({rec['confidence']:.0%})")
        form = QFormLayout(self)
        form.addRow(rules)
        form.addRow("Disposition", self.disposition)
        form.addRow("Reason", self.reason)
        form.addRow(self.buttons)
        self.resize(420, 0)
        self._validate()

    def _validate(self) -> None:
        self.ok.setEnabled(bool(self.reason.toPlainText().strip()))

    def _submit(self) -> None:
        reason = self.reason.toPlainText().strip()
        if not reason:
            return
        self.submitted.emit(self.rec["target"], str(self.disposition.currentData()), reason)
        self.accept()


class Column(QFrame):
    """One disposition: a coloured header with the count, and its cards."""

    def __init__(self, disposition: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.disposition = disposition
        self.setObjectName(f"sixrColumn_{disposition}")
        fill, ink = COLOURS[disposition]
        self.header = QLabel()
        self.header.setToolTip(MEANING[disposition])
        self.header.setStyleSheet(
            f"QLabel {{ background: {fill}; color: {ink}; border-radius: 4px; padding: 4px 6px;"
            " font-weight: bold; }"
        )
        self.cards = QListWidget()
        self.cards.setObjectName(f"sixrCards_{disposition}")
        self.cards.setWordWrap(True)
        self.cards.setSpacing(2)
        self.cards.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.cards.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cards.setStyleSheet(
            "QListWidget { background: palette(base); }"
            f"QListWidget::item {{ border: 1px solid {fill}; border-left: 4px solid {ink};"
            " border-radius: 3px; padding: 3px; }"
            f"QListWidget::item:selected {{ background: {fill}; color: {ink}; }}"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addWidget(self.cards, 1)
        self.set_recs([])

    @property
    def count(self) -> int:
        return self.cards.count()

    def set_recs(self, recs: list[dict[str, Any]]) -> None:
        self.cards.clear()
        for rec in recs:
            item = QListWidgetItem(card_text(rec))
            item.setData(REC_ROLE, rec)
            item.setToolTip(tooltip(rec))
            if rec["override"]:
                item.setForeground(QBrush(QColor("#78350f")))
            self.cards.addItem(item)
        self.header.setText(f"{self.disposition.capitalize()}  ·  {len(recs)}")

    def labels(self) -> list[str]:
        return [self.cards.item(i).data(REC_ROLE)["label"] for i in range(self.cards.count())]


@register_screen
class SixRScreen(EngagementScreen):
    screen_id = "sixr"
    refresh_on = ("analysis", "assets")
    title = "6R"
    loader = staticmethod(service.load)
    load_what = "the 6R board"
    no_engagement = NO_ENGAGEMENT
    icon = "SP_FileDialogDetailedView"
    order = 55

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: dict[str, Any] | None = None
        self.busy = False
        self.current: dict[str, Any] | None = None
        self.dialog: OverrideDialog | None = None
        self._build_ui()
        self._render()

    # -- construction ------------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self._build_header()
        self.rerun_button = QPushButton("Re-run assessment")
        self.rerun_button.setObjectName("sixrRerun")
        self.rerun_button.setToolTip("Recompute every recommendation from the rules; overrides are kept")
        self.rerun_button.clicked.connect(self.rerun)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.rerun_button)

        self.columns = {d: Column(d) for d in DISPOSITIONS}
        board = QWidget()
        board_layout = QHBoxLayout(board)
        board_layout.setContentsMargins(0, 0, 0, 0)
        board_layout.setSpacing(6)
        for col in self.columns.values():
            board_layout.addWidget(col, 1)
            col.cards.currentItemChanged.connect(self._card_changed)
            col.cards.itemDoubleClicked.connect(lambda _item: self.open_override())

        self.detail = QTextBrowser()
        self.detail.setObjectName("sixrDetail")
        self.detail.setOpenLinks(False)
        self.override_button = QPushButton("Override…")
        self.override_button.setObjectName("sixrOverride")
        self.override_button.setToolTip(
            "Choose the disposition yourself, with a reason (or double-click a card)"
        )
        self.override_button.clicked.connect(self.open_override)
        self.clear_button = QPushButton("Clear override")
        self.clear_button.setObjectName("sixrClear")
        self.clear_button.setToolTip("Forget the override: the rules decide again")
        self.clear_button.clicked.connect(self.clear_override)
        actions = QVBoxLayout()
        actions.addWidget(self.override_button)
        actions.addWidget(self.clear_button)
        actions.addStretch(1)
        detail = QWidget()
        detail_layout = QHBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail, 1)
        detail_layout.addLayout(actions)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("sixrSplitter")
        self.splitter.addWidget(board)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([440, 220])
        self.ctx.settings.restore_splitter("sixr", self.splitter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.empty, 1)

    # -- scope and loading -----------------------------------------------------------------------

    def clear_engagement(self) -> None:
        self.data = None
        self.current = None

    def _loaded(self, selection: Selection, data: dict[str, Any]) -> None:
        self.data = data
        self._render()

    # -- rendering ---------------------------------------------------------------------------------

    def recommendations(self) -> list[dict[str, Any]]:
        return list(self.data["recommendations"]) if self.data else []

    def find(self, label: str) -> dict[str, Any] | None:
        return next((r for r in self.recommendations() if r["label"].casefold() == label.casefold()), None)

    def _render(self) -> None:
        has = self.selection.has_engagement
        data = self.data
        recs = self.recommendations()
        shown = bool(recs)
        self.splitter.setVisible(shown)
        self.empty.setVisible(not shown)
        self.refresh_button.setEnabled(has)
        self.rerun_button.setEnabled(has and not self.busy and data is not None)
        self.rerun_button.setText("Re-run assessment" if shown else "Run assessment")
        if not self._render_scope(data):
            return
        if not shown:
            self.subtitle.setText(self.selection.client_name)
            self.empty.setText(NO_ASSETS if not data["assets"] else NOT_RUN)
            return
        apps = sum(1 for r in recs if r["application"] is not None)
        overridden = sum(1 for r in recs if r["override"])
        parts = [
            self.selection.client_name,
            f"{apps:,} applications and {len(recs) - apps:,} assets without one",
            f"{overridden:,} overridden",
        ]
        if data["computed_at"]:
            parts.append(f"assessed {when(data['computed_at'])}")
        parts.append("hover a card for its reasons; double-click to override")
        self.subtitle.setText(" · ".join(parts))
        target = self.current["target"] if self.current else None
        for d, items in by_disposition(recs).items():
            self.columns[d].set_recs(items)
        self.current = None
        if target is not None:
            self.select(target)
        self._show_detail()

    def select(self, target: str) -> bool:
        """Make the card of this application (or asset id) current, in whichever column it is."""
        for col in self.columns.values():
            for i in range(col.cards.count()):
                item = col.cards.item(i)
                if item.data(REC_ROLE)["target"] == target:
                    col.cards.setCurrentItem(item)
                    return True
        return False

    def _card_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        owner = current.listWidget()
        for col in self.columns.values():
            if col.cards is not owner:
                col.cards.blockSignals(True)
                col.cards.clearSelection()
                col.cards.setCurrentItem(None)
                col.cards.blockSignals(False)
        self.current = current.data(REC_ROLE)
        self._show_detail()

    def _show_detail(self) -> None:
        rec = self.current
        self.detail.setHtml(detail_html(rec) if rec else f"<p style='color:gray'>{NO_SELECTION}</p>")
        self.override_button.setEnabled(rec is not None and not self.busy)
        self.clear_button.setEnabled(rec is not None and bool(rec["override"]) and not self.busy)

    # -- actions -----------------------------------------------------------------------------------

    def _write(self, work: Any, label: str, done: str) -> None:
        selection = self.selection
        self.busy = True
        self._render_buttons()

        def ok(outcome: Any) -> None:
            self.busy = False
            self.status_message.emit(done)
            self._render_buttons()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._render_buttons()
            show_error(exc, self)

        CollectionOp(self, lambda core: work(core, selection), label=label).success(ok).failure(
            failed
        ).run_in_background(self.ctx.tasks)

    def _render_buttons(self) -> None:
        self.rerun_button.setEnabled(self.selection.has_engagement and not self.busy)
        self._show_detail()

    def rerun(self) -> None:
        """Recompute every recommendation; the overrides still win."""
        self._write(
            lambda core, sel: service.rerun(core, sel), "Running the 6R assessment", "6R assessment done"
        )

    def open_override(self) -> OverrideDialog | None:
        """Open the non-blocking override dialog for the selected card."""
        rec = self.current
        if rec is None or self.busy:
            return None
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = OverrideDialog(rec, self)
        self.dialog.submitted.connect(self.override)
        self.dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog.show()
        return self.dialog

    def override(self, target: str, disposition: str, reason: str) -> None:
        self._write(
            lambda core, sel: service.override(core, sel, target, disposition, reason),
            f"Overriding {target}",
            f"{target}: {disposition} (override recorded)",
        )

    def clear_override(self) -> None:
        rec = self.current
        if rec is None or not rec["override"]:
            return
        target = rec["target"]
        self._write(
            lambda core, sel: service.clear(core, sel, target),
            f"Clearing the override of {rec['label']}",
            f"{rec['label']}: override cleared, the rules decide again",
        )


__all__ = ["NOT_RUN", "OverrideDialog", "SixRScreen"]
