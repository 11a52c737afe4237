"""The controls above the mapping grid: heading with undo/redo/finish, the counts line, filter bar
(with "approve all ≥" and "leave all unmatched columns unmapped").

Why apart from the screen: these widgets only show state (heading, counts) and feed the filter
proxy; the screen places the two bars and the counts line in its layout and wires the buttons to
its actions.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
)

from desktop_app.screens.mapping_review.proxy import FILTER_PENDING, FILTERS, MappingFilterProxy
from desktop_app.screens.registry import Selection

KEYS_HINT = "A approve · R reject · E edit · N next pending · Ctrl+Z undo"
LEAVE_TIP = (
    "Leave all unmatched columns unmapped: reject every pending column the suggester found no "
    "target for, in one step (Ctrl+Shift+R; Ctrl+Z undoes it)"
)
NO_IMPORT = "Select an import on the left to review how its columns map onto the asset schema."


class ReviewToolbar:
    """Creates the widgets and the two bar layouts (`top`, `bar`); `counts` goes between them."""

    def __init__(self, proxy: MappingFilterProxy, confidence_threshold: float) -> None:
        self.heading = QLabel("Mapping review")
        self.heading.setObjectName("screenTitle")
        self.counts = QLabel("")
        self.counts.setObjectName("screenSubtitle")
        self.filter = QComboBox()
        self.filter.setObjectName("mappingFilter")
        for key, label in FILTERS.items():
            self.filter.addItem(label, key)
        self.filter.currentIndexChanged.connect(lambda _i: proxy.set_mode(str(self.filter.currentData())))
        self.search = QLineEdit()
        self.search.setObjectName("mappingSearch")
        self.search.setPlaceholderText("Filter columns, targets, samples…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(proxy.set_text)
        self.threshold = QDoubleSpinBox()
        self.threshold.setObjectName("bulkThreshold")
        self.threshold.setRange(0, 100)
        self.threshold.setDecimals(0)
        self.threshold.setSuffix(" %")
        self.threshold.setValue(round(confidence_threshold * 100))
        self.bulk_button = QPushButton("Approve all ≥")
        self.bulk_button.setObjectName("bulkApprove")
        self.leave_button = QPushButton("Leave unmatched unmapped")
        self.leave_button.setObjectName("leaveUnmatched")
        self.leave_button.setToolTip(LEAVE_TIP)
        self.leave_button.setEnabled(False)
        self.undo_button = QToolButton()
        self.undo_button.setObjectName("undoButton")
        self.redo_button = QToolButton()
        self.redo_button.setObjectName("redoButton")
        self.finish_button = QPushButton("Finish mapping")
        self.finish_button.setObjectName("finishMapping")
        self.finish_button.setDefault(True)

        self.top = QHBoxLayout()
        self.top.addWidget(self.heading)
        self.top.addStretch(1)
        self.top.addWidget(self.undo_button)
        self.top.addWidget(self.redo_button)
        self.top.addSpacing(12)
        self.top.addWidget(self.finish_button)
        self.bar = QHBoxLayout()
        self.bar.addWidget(QLabel("Show"))
        self.bar.addWidget(self.filter)
        self.bar.addWidget(self.search, 1)
        self.bar.addSpacing(12)
        self.bar.addWidget(self.bulk_button)
        self.bar.addWidget(self.threshold)
        self.bar.addSpacing(8)
        self.bar.addWidget(self.leave_button)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def show_only_pending(self) -> None:
        self.filter.setCurrentIndex(self.filter.findData(FILTER_PENDING))

    def min_confidence(self) -> float:
        """The bulk-approval threshold as a fraction."""
        return self.threshold.value() / 100.0

    def show_heading(self, selection: Selection) -> None:
        self.heading.setText(
            f"Mapping review — {selection.import_name}" if selection.import_id else "Mapping review"
        )

    def show_counts(self, counts: Mapping[str, int] | None) -> None:
        """The model's counts of the selected import (None: no import selected)."""
        if counts is None:
            self.counts.setText(NO_IMPORT)
            return
        c = counts
        unmatched = c.get("no_target", 0)
        no_target = f" ({unmatched} with no target)" if unmatched else ""
        text = (
            f"{c['total']} columns · {c['pending']} pending{no_target} · {c['approved']} approved · "
            f"{c['modified']} changed · {c['rejected']} rejected"
        )
        if c["conflicts"]:
            text += f" · {c['conflicts']} conflict(s)"
        text += f"   —   {KEYS_HINT}"
        self.counts.setText(text)
        self.finish_button.setEnabled(c["total"] > 0)
        self.leave_button.setEnabled(unmatched > 0)
        self.leave_button.setText(
            f"Leave {unmatched} unmatched unmapped" if unmatched else "Leave unmatched unmapped"
        )
