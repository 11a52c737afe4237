"""The data-quality report of one import: totals, painted bar charts and the worst records.

Why per import: cleansing reports on what one file delivered (completeness of each mapped field,
values a rule rejected), which is what the consultant takes back to the client's data owner.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.queries.asset_pages import ReportedImport
from desktop_app.screens.assets import quality_data, service
from desktop_app.screens.assets.charts import BarChart
from desktop_app.screens.assets.columns import header
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import QueryOp, TaskManager


class QualityTab(QWidget):
    """Import picker → summary line, completeness and invalid-value charts, worst records."""

    #: a report was shown (import id) — tests and the screen's status line wait on it
    report_shown = Signal(object)

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qualityTab")
        self.tasks = tasks
        self.selection = Selection()
        self.report: dict[str, Any] | None = None
        #: the import picked (its report may still be loading) and the one whose report is shown
        self.shown_import: uuid.UUID | None = None
        self.loaded_import: uuid.UUID | None = None
        self._imports: list[ReportedImport] = []

        self.picker = QComboBox()
        self.picker.setObjectName("qualityImport")
        self.picker.setMinimumWidth(280)
        self.picker.currentIndexChanged.connect(lambda _i: self._picked())
        self.summary = QLabel("")
        self.summary.setObjectName("qualitySummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.ai = QLabel("")  # the AI quality crew's findings, marked as AI (issue 16)
        self.ai.setObjectName("qualityAiFindings")
        self.ai.setWordWrap(True)
        self.ai.setTextFormat(Qt.TextFormat.RichText)
        self.ai.hide()
        self.completeness = BarChart("Completeness per field (share of records with a value)")
        self.completeness.setObjectName("completenessChart")
        self.by_rule = BarChart("Invalid values by rule")
        self.by_rule.setObjectName("invalidByRuleChart")
        self.by_rule.empty_text = "No invalid values."
        self.by_field = BarChart("Invalid values by field")
        self.by_field.setObjectName("invalidByFieldChart")
        self.by_field.empty_text = "No invalid values."
        self.worst = QTableWidget(0, 3)
        self.worst.setObjectName("worstRecords")
        self.worst.setHorizontalHeaderLabels(["Row", "Invalid values", "Fields"])
        self.worst.verticalHeader().hide()
        self.worst.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.worst.horizontalHeader().setStretchLastSection(True)
        self.worst.setColumnWidth(0, 70)
        self.worst.setColumnWidth(1, 110)
        self.worst.setMinimumHeight(160)
        worst_title = QLabel("<b>Worst records</b> (most invalid values; row numbers as in the file)")

        top = QHBoxLayout()
        top.addWidget(QLabel("Import"))
        top.addWidget(self.picker)
        top.addStretch(1)
        body = QWidget()
        body.setObjectName("qualityBody")
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.summary, 0, 0, 1, 2)
        grid.addWidget(self.ai, 4, 0, 1, 2)
        grid.addWidget(self.completeness, 1, 0, 3, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.by_rule, 1, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.by_field, 2, 1, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        right.addWidget(worst_title)
        right.addWidget(self.worst, 1)
        grid.addLayout(right, 3, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(3, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)

    # -- imports ---------------------------------------------------------------------------------

    def set_imports(self, selection: Selection, imports: list[ReportedImport]) -> None:
        """The engagement's imports (from the screen's choices load); keeps the shown one."""
        self.selection = selection
        self._imports = imports
        wanted = self.shown_import or selection.import_id
        self.picker.blockSignals(True)
        self.picker.clear()
        for imp in imports:
            note = (
                f"{imp.total_records:,} rows, {imp.invalid_records:,} invalid"
                if imp.has_report
                else "not cleansed yet"
            )
            self.picker.addItem(f"{imp.filename} — {note}", str(imp.import_id))
        index = self.picker.findData(str(wanted)) if wanted is not None else -1
        if index < 0:
            index = next((i for i, imp in enumerate(imports) if imp.has_report), 0 if imports else -1)
        self.picker.setCurrentIndex(index)
        self.picker.blockSignals(False)
        self._picked(force=True)

    def show_import(self, import_id: uuid.UUID | None) -> None:
        """Point the picker at an import (sidebar selection)."""
        if import_id is None:
            return
        index = self.picker.findData(str(import_id))
        if index >= 0:
            self.picker.setCurrentIndex(index)
        else:
            self.shown_import = import_id

    def _picked(self, *, force: bool = False) -> None:
        data = self.picker.currentData()
        if not isinstance(data, str):
            self._show(None, None)
            return
        import_id = uuid.UUID(data)
        if import_id == self.shown_import and not force and self.loaded_import == import_id:
            return
        self.shown_import = import_id
        self.loaded_import = None
        selection = self.selection
        QueryOp(
            self,
            lambda core: service.load_quality(core, selection, import_id),
            label="Loading quality report",
        ).success(lambda report: self._show(import_id, report)).run_in_background(self.tasks)

    # -- rendering -------------------------------------------------------------------------------

    def _show(self, import_id: uuid.UUID | None, report: dict[str, Any] | None) -> None:
        if import_id is not None and import_id != self.shown_import:
            return  # another import was picked meanwhile
        self.report = report
        self.loaded_import = import_id
        if report is None or not report.get("cleansed", True):
            # not cleansed yet: no engine numbers, but an AI quality crew may have run already
            self.summary.setText(
                "This import has not been cleansed yet — run the data-cleansing phase on its timeline."
                if import_id is not None
                else "No imports in this engagement yet."
            )
            for chart in (self.completeness, self.by_rule, self.by_field):
                chart.set_bars([])
            self.worst.setRowCount(0)
            self._show_ai(quality_data.ai_findings(report) if report is not None else [], report)
            self.report_shown.emit(import_id)
            return
        s = quality_data.summary(report)
        dup = (
            f" · {s.duplicate_groups:,} duplicate key group(s) over {s.duplicate_records:,} rows"
            if s.duplicate_groups
            else ""
        )
        self.summary.setText(
            f"<b>{_html(s.filename)}</b>: {s.total:,} records · <b>{s.valid:,} valid</b> "
            f"({s.valid_pct:.1f} %) · <span style='color:#b91c1c'><b>{s.invalid:,} with invalid"
            " values</b></span>"
            f"{dup} · cleansed {s.generated_at}"
        )
        self.completeness.set_bars(quality_data.completeness_bars(report))
        self.by_rule.set_bars(quality_data.invalid_rule_bars(report))
        self.by_field.set_bars(quality_data.invalid_field_bars(report))
        offenders = quality_data.worst_offenders(report)
        self.worst.setRowCount(len(offenders))
        for r, o in enumerate(offenders):
            cells = [str(o.row), str(o.errors), ", ".join(header(f) for f in o.fields)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c < 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.worst.setItem(r, c, item)
        self._show_ai(quality_data.ai_findings(report), report)
        self.report_shown.emit(import_id)

    def _show_ai(self, findings: list[quality_data.AiFinding], report: dict[str, Any] | None) -> None:
        """The AI crew's findings under the engine's numbers, each marked ✦ AI with its model, and
        when the crew ran."""
        if not findings:
            self.ai.hide()
            return
        ai = (report or {}).get("ai_findings") or {}
        when = str(ai.get("finished_at") or "")[:16].replace("T", " ")
        items = "".join(
            f"<li><b>✦ AI</b> ({_html(f.model)}) · {_html(f.severity)} · {_html(f.dimension)} · "
            f"{_html(f.column or 'across columns')}: {_html(f.description)} "
            f"({f.rows_affected:,} rows) — <i>{_html(f.recommendation)}</i></li>"
            for f in findings
        )
        self.ai.setText(
            f"<b>AI second opinion</b> (✦ AI, {_html(str(ai.get('model') or ''))}"
            f"{', ' + when + ' UTC' if when else ''}: an AI model's findings, not measured by the engine; "
            f"check them before acting):<ul>{items}</ul>"
        )
        self.ai.show()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
