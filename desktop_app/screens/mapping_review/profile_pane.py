"""The Profile pane beside the mapping preview: what the current column's values look like.

Why a pane and a loader of its own: the consultant deciding a column wants its type, gaps,
distinct and top values, patterns and numbers next to the suggestion. The whole import is profiled
once per import in the background (`core.queries.profiles.column_profiles`, the read the CLI's
`profile` and the AI agents' tools use, over the first `DEFAULT_SAMPLE` records), so moving from
row to row only redraws. The pane shows what it is given; `ProfileLoader` decides what to load.

Below the profile, marked ✦ AI with its model and time, the schema analysis an AI crew stored for
the column (`core.queries.crew_results`): read again after every reload of the grid, so a crew run
from the app or the CLI shows without reopening the import.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.bootstrap import Core
from core.profiling import ColumnProfile, ImportProfile
from desktop_app.screens.registry import Selection
from desktop_app.task_manager import QueryOp, TaskManager
from desktop_app.tenancy import tenant_of
from desktop_app.theme import colors

ROWS_SHOWN = 5


def _html(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%" if share in (0, 1) or share >= 0.01 else "<1%"


def _num(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if float(x).is_integer() or abs(x) >= 1000 else f"{x:.4g}"


def _table(name: str, headers: list[str]) -> tuple[QTableView, QStandardItemModel]:
    model = QStandardItemModel(0, len(headers))
    model.setHorizontalHeaderLabels(headers)
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(22)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    header = view.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)  # the counts are never elided
    header.resizeSection(1, view.fontMetrics().horizontalAdvance("00,000 (00%)") + 12)
    return view, model


class ProfilePane(QFrame):
    """Heading, one summary line, top values and patterns side by side, numbers or dates below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profilePane")
        self.title = QLabel("Profile")
        self.title.setObjectName("profileTitle")
        self.scope = QLabel("")
        self.scope.setObjectName("profileScope")
        self.summary = QLabel("")
        self.summary.setObjectName("profileSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values_view, self.values = _table("profileTopValues", ["Top value", "Records"])
        self.patterns_view, self.patterns = _table("profilePatterns", ["Pattern", "Records"])
        self.details = QLabel("")
        self.details.setObjectName("profileDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.ai = QLabel("")
        self.ai.setObjectName("profileAiAnalysis")
        self.ai.setWordWrap(True)
        self.ai.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ai.hide()

        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.scope)
        body = QHBoxLayout()  # values and patterns get the height; the numbers read down beside them
        body.setSpacing(8)
        body.addWidget(self.values_view, 1)
        body.addWidget(self.patterns_view, 1)
        body.addWidget(self.details, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        layout.addLayout(heading)
        layout.addWidget(self.summary)
        layout.addLayout(body, 1)
        layout.addWidget(self.ai)

    # -- states ------------------------------------------------------------------------------------

    def clear(self) -> None:
        self.title.setText("Profile")
        for label in (self.scope, self.summary, self.details):
            label.setText("")
        for model in (self.values, self.patterns):
            model.removeRows(0, model.rowCount())
        self.ai.setText("")
        self.ai.hide()

    def show_loading(self, column: str) -> None:
        self.clear()
        self.title.setText(f"<b>Profile</b> · {_html(column)}")
        self.summary.setText("Profiling the import's columns…")

    def show_unavailable(self, column: str, exc: BaseException) -> None:
        self.clear()
        self.title.setText(f"<b>Profile</b> · {_html(column)}")
        self.summary.setText(f"Profile unavailable: {_html(exc)}")

    def show_profile(
        self, profile: ImportProfile, column: str, analysis: dict[str, Any] | None = None
    ) -> None:
        """The column's profile (a note when the profile has no such column), and the AI schema
        analysis of it when a crew made one."""
        self.clear()
        self.show_analysis(analysis)
        self.title.setText(f"<b>Profile</b> · {_html(column)}")
        read = (
            f"first {profile.records:,} of {profile.of:,} records"
            if profile.sampled
            else f"all {profile.records:,} records"
        )
        self.scope.setText(f'<span style="color:{colors().muted.name()}">{read}</span>')
        self.scope.setToolTip("The profile reads the import's raw records, in file order.")
        c = profile.column(column)
        if c is None:
            self.summary.setText("This column is not in the profile.")
            return
        self.summary.setText(summary_text(c))
        self.summary.setToolTip(kinds_text(c))
        for v in c.top_values[:ROWS_SHOWN]:
            self._row(self.values, v.value, v.count, v.share, v.value)
        for p in c.patterns[:ROWS_SHOWN]:
            self._row(self.patterns, p.pattern, p.count, p.share, f"e.g. {p.example}")
        self.details.setText(details_html(c, profile))
        self.details.setToolTip(outliers_tip(c))

    def show_analysis(self, analysis: dict[str, Any] | None) -> None:
        if not analysis:
            self.ai.hide()
            return
        self.ai.setText(analysis_html(analysis))
        self.ai.show()

    @staticmethod
    def _row(model: QStandardItemModel, text: str, count: int, share: float, tip: str) -> None:
        items = [QStandardItem(text), QStandardItem(f"{count:,} ({_pct(share)})")]
        items[0].setToolTip(tip)
        items[1].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        model.appendRow(items)


def summary_text(c: ColumnProfile) -> str:
    """One line: type and fit, gaps, distinct values and cardinality."""
    fit = f" ({_pct(c.type_share)} fit)" if c.inferred_type not in ("string", "empty") else ""
    gaps = f"{_pct(c.null_share)} null, {_pct(c.blank_share)} blank"
    return f"<b>{_html(c.inferred_type)}</b>{fit} · {gaps} · {c.distinct:,} distinct ({c.cardinality})"


def kinds_text(c: ColumnProfile) -> str:
    return "Values by kind: " + ", ".join(f"{k} {n:,}" for k, n in c.kinds.items()) if c.kinds else ""


def details_html(c: ColumnProfile, profile: ImportProfile) -> str:
    """Numbers (summary and outliers with their rows), dates, lengths, misfits, keys and repeats."""
    lines: list[str] = []
    n = c.numeric
    if n is not None:
        lines.append(f"min {_num(n.min)} · max {_num(n.max)}")
        lines.append(f"q1 {_num(n.q1)} · q3 {_num(n.q3)}")
        lines.append(f"median {_num(n.median)} · mean {_num(n.mean)}")
        lines.append(f"std {_num(n.std)}")
        for out, label in ((n.iqr_outliers, "IQR"), (n.zscore_outliers, "z-score")):
            if out.count:  # the most extreme first; their values are in the tooltip
                rows = ", ".join(str(o.record_index) for o in out.examples[:3])
                more = ", …" if out.count > 3 else ""
                noun = "outlier" if out.count == 1 else "outliers"
                lines.append(
                    f"<b>{out.count:,} {label} {noun}</b>: row{'s' if out.count > 1 else ''} {rows}{more}"
                )
    d = c.dates
    if d is not None and d.min:
        order = {"dmy": "day first", "mdy": "month first"}.get(d.date_order or "", "")
        lines.append(f"dates {d.min} → {d.max}" + (f" · {order}" if order else ""))
        if d.unreadable:
            lines.append(f"<b>{d.unreadable:,} ambiguous date(s)</b>: set date_order in the rules")
    if c.lengths is not None and n is None:
        lines.append(f"length {c.lengths.min}–{c.lengths.max}, mean {c.lengths.mean:g}")
    if c.nonconforming and c.inferred_type != "string":
        rows = ", ".join(f"row {e.record_index}: {_html(e.value)}" for e in c.nonconforming_examples[:3])
        lines.append(f"<b>{c.nonconforming:,} not {c.inferred_type}</b>: {rows}")
    if any(k.columns == [c.name] for k in profile.checks.candidate_keys):
        lines.append("a key: filled and unique in every record read")
    pairs = [k.columns for k in profile.checks.candidate_keys if len(k.columns) == 2 and c.name in k.columns]
    if pairs:
        other = next(x for x in pairs[0] if x != c.name)
        lines.append(f"a key together with {_html(other)}")
    repeated = next((k for k in profile.checks.duplicate_keys if k.column == c.name), None)
    if repeated is not None and repeated.examples:
        g = repeated.examples[0]
        rows = ", ".join(str(r) for r in g.record_indexes[:5])
        lines.append(
            f"<b>{repeated.duplicate_values:,} repeated value(s)</b> in a nearly unique column, e.g. "
            f"{_html(g.value)} in rows {rows}"
        )
    return "<br>".join(lines)


def analysis_html(a: dict[str, Any]) -> str:
    """The AI schema analysis of one column, marked as AI with its model and when it ran."""
    when = str(a.get("finished_at") or "")[:16].replace("T", " ")
    at = f", {when} UTC" if when else ""
    head = f"<b>✦ AI schema analysis</b> ({_html(a.get('model') or 'model')}{at})"
    parts = [f"type {_html(a.get('inferred_type') or '?')}"]
    if a.get("key_candidate"):
        parts.append("a key candidate")
    parts += [_html(o) for o in a.get("observations") or []]
    challenges = [_html(o) for o in a.get("challenges") or []]
    text = f"{head}: {'; '.join(parts)}"
    if challenges:
        text += f"<br><b>Migration challenges</b>: {'; '.join(challenges)}"
    return f'{text} <span style="color:{colors().muted.name()}">— an AI model\'s reading; check it.</span>'


def outliers_tip(c: ColumnProfile) -> str:
    """The outliers' records and values (the pane itself lists their rows only)."""
    n = c.numeric
    if n is None:
        return ""
    lines = []
    for out in (n.iqr_outliers, n.zscore_outliers):
        if out.count:
            fence = f"outside {_num(out.low)} … {_num(out.high)}"
            values = "; ".join(f"row {o.record_index}: {o.value}" for o in out.examples)
            lines.append(f"{out.method}: {out.count:,} {fence} — {values}")
    return "\n".join(lines)


class ProfileLoader(QObject):
    """Profiles an import once (in the read pool) and shows the current column from that profile."""

    def __init__(self, pane: ProfilePane, widget: QWidget, tasks: TaskManager) -> None:
        super().__init__(widget)
        self.pane = pane
        self.widget = widget
        self.tasks = tasks
        self._profiles: dict[uuid.UUID, ImportProfile] = {}
        self._analyses: dict[uuid.UUID, dict[str, dict[str, Any]]] = {}
        self._loading: set[uuid.UUID] = set()
        self._wanted: tuple[uuid.UUID, str] | None = None

    def profile_of(self, import_id: uuid.UUID) -> ImportProfile | None:
        return self._profiles.get(import_id)

    def show(self, selection: Selection, column: str) -> None:
        """Show `column` of the selected import, profiling the import first if need be."""
        import_id = selection.import_id
        if import_id is None:
            self.pane.clear()
            return
        self._wanted = (import_id, column)
        profile = self._profiles.get(import_id)
        analysis = self._analyses.get(import_id)
        if profile is not None:
            self.pane.show_profile(profile, column, (analysis or {}).get(column))
            if analysis is not None:
                return
        else:
            self.pane.show_loading(column)
        if import_id in self._loading:
            return
        self._loading.add(import_id)
        QueryOp(
            self.widget, _profile_call(selection, import_id, profile is None), label="Profiling columns"
        ).success(lambda result: self._loaded(import_id, *result)).failure(
            lambda exc: self._failed(import_id, exc)
        ).run_in_background(self.tasks)

    def forget_analyses(self) -> None:
        """The AI analyses are read again on the next show (a crew may have run meanwhile)."""
        self._analyses.clear()

    def _loaded(
        self, import_id: uuid.UUID, profile: ImportProfile | None, analysis: dict[str, dict[str, Any]]
    ) -> None:
        self._loading.discard(import_id)
        if profile is not None:
            self._profiles[import_id] = profile
        self._analyses[import_id] = analysis
        kept = self._profiles.get(import_id)
        if kept is not None and self._wanted is not None and self._wanted[0] == import_id:
            self.pane.show_profile(kept, self._wanted[1], analysis.get(self._wanted[1]))

    def _failed(self, import_id: uuid.UUID, exc: BaseException) -> None:
        self._loading.discard(import_id)
        if self._wanted is not None and self._wanted[0] == import_id:
            self.pane.show_unavailable(self._wanted[1], exc)


def _profile_call(selection: Selection, import_id: uuid.UUID, profile: bool) -> Callable[[Core], Any]:
    """(the import's profile, or None when `profile` is False: it is cached; its AI analyses)."""

    def run(core: Core) -> tuple[ImportProfile | None, dict[str, dict[str, Any]]]:
        from core.queries.crew_results import column_analysis
        from core.queries.profiles import column_profiles

        tenant = tenant_of(core, selection)
        made = column_profiles(core.uows, tenant, import_id) if profile else None
        return made, column_analysis(core.uows, tenant, import_id)

    return run
