"""Modify a mapping: a searchable target picker (name, unit, type, description) and its rules.

Why a dialog opened with `open()`: it is used from key presses and delegate clicks while the event
loop runs coroutines; `chosen(target, rules)` carries the answer back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.mapping_review.rules import validate_rules


@dataclass(frozen=True)
class TargetInfo:
    """One canonical field as the picker lists it."""

    name: str
    type: str
    unit: str | None
    description: str
    list_like: bool = False
    """Takes several source columns (e.g. tags); any other field takes one."""


def target_infos() -> list[TargetInfo]:
    """The target schema as plain values (call in the background: it reads YAML once)."""
    from core.mapping import load_target_schema

    return [
        TargetInfo(f.name, f.type, f.unit, f.description, f.list_like) for f in load_target_schema().fields
    ]


def several_columns_check(targets: list[TargetInfo], count: int) -> Callable[[str], str | None]:
    """For a picker opened on `count` columns: a field that takes one column is refused up front."""
    single = {t.name for t in targets if not t.list_like}

    def check(target: str) -> str | None:
        if count > 1 and target in single:
            return (
                f"{target} takes one column; {count} are selected. Choose a field that takes "
                "several (such as tags), or select one column."
            )
        return None

    return check


NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class TargetPickerDialog(QDialog):
    chosen = Signal(str, object)  # target name, rules dict | None

    def __init__(
        self,
        targets: list[TargetInfo],
        source_field: str,
        current_target: str | None,
        rules: dict[str, Any] | None,
        samples: tuple[str, ...] = (),
        parent: QWidget | None = None,
        *,
        title: str | None = None,
        check: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("targetPicker")
        self.setWindowTitle(title or f"Map “{source_field}”")
        self._check = check
        self.resize(760, 560)
        self.search = QLineEdit()
        self.search.setObjectName("targetSearch")
        self.search.setPlaceholderText("Search fields, units, descriptions…")
        self.search.setClearButtonEnabled(True)
        self.model = QStandardItemModel(0, 4, self)
        self.model.setHorizontalHeaderLabels(["Field", "Unit", "Type", "Description"])
        for t in targets:
            items = [
                QStandardItem(t.name),
                QStandardItem(t.unit or ""),
                QStandardItem(t.type),
                QStandardItem(t.description),
            ]
            for item in items:
                item.setEditable(False)
                item.setData(t.name, NAME_ROLE)
                item.setToolTip(t.description)
            self.model.appendRow(items)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.table = QTableView()
        self.table.setObjectName("targetTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 210)
        self.table.setColumnWidth(1, 70)
        self.table.setColumnWidth(2, 70)
        self.table.doubleClicked.connect(lambda _i: self._accept())
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._accept)

        rules = dict(rules or {})
        self.trim = QCheckBox("Trim whitespace")
        self.trim.setChecked(bool(rules.get("trim", True)))
        self.first_of_list = QCheckBox("Keep the first item of a list")
        self.first_of_list.setChecked(bool(rules.get("first_of_list", False)))
        self.invert = QCheckBox("Invert a yes/no value")
        self.invert.setObjectName("ruleInvert")
        self.invert.setChecked(bool(rules.get("invert", False)))
        self.case = QComboBox()
        for label, value in (("unchanged", None), ("lower", "lower"), ("UPPER", "upper"), ("Title", "title")):
            self.case.addItem(label, value)
        self.case.setCurrentIndex(max(0, self.case.findData(rules.get("case"))))
        self.scale = QLineEdit("" if rules.get("scale") is None else str(rules.get("scale")))
        self.scale.setObjectName("ruleScale")
        self.scale.setPlaceholderText("e.g. 0.0009765625 for MB → GB")
        self.value_map = QPlainTextEdit(
            json.dumps(rules["value_map"], indent=1) if rules.get("value_map") else ""
        )
        self.value_map.setPlaceholderText('{"Y": true, "N": false}')
        self.value_map.setMaximumHeight(70)
        self.error = QLabel("")
        self.error.setObjectName("pickerError")
        self.error.setStyleSheet("color: #b91c1c")
        self.error.setWordWrap(True)
        rules_box = QGroupBox("Transformation rules")
        form = QFormLayout(rules_box)
        checks = QHBoxLayout()
        for w in (self.trim, self.first_of_list, self.invert):
            checks.addWidget(w)
        checks.addStretch(1)
        form.addRow(checks)
        form.addRow("Scale by", self.scale)
        form.addRow("Letter case", self.case)
        form.addRow("Value map (JSON)", self.value_map)
        samples_label = QLabel("Samples: " + (", ".join(s for s in samples[:8] if s) or "—"))
        samples_label.setObjectName("screenSubtitle")
        samples_label.setWordWrap(True)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(samples_label)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(rules_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.select(current_target)
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if self.proxy.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def select(self, name: str | None) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(NAME_ROLE) == name:
                self.table.selectRow(row)
                self.table.scrollTo(self.proxy.index(row, 0))
                return
        if self.proxy.rowCount():
            self.table.selectRow(0)

    def selected_target(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        index: QModelIndex = rows[0] if rows else self.table.currentIndex()
        return index.data(NAME_ROLE) if index.isValid() else None

    def rules(self) -> dict[str, Any] | None:
        """The rules as entered (raises ValueError with a readable message)."""
        rules: dict[str, Any] = {}
        if not self.trim.isChecked():
            rules["trim"] = False
        if self.first_of_list.isChecked():
            rules["first_of_list"] = True
        if self.invert.isChecked():
            rules["invert"] = True
        if self.case.currentData():
            rules["case"] = self.case.currentData()
        scale = self.scale.text().strip()
        if scale:
            try:
                rules["scale"] = float(scale)
            except ValueError:
                raise ValueError(f"scale {scale!r} is not a number") from None
        text = self.value_map.toPlainText().strip()
        if text:
            try:
                mapping = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"the value map is not valid JSON: {exc}") from None
            if not isinstance(mapping, dict):
                raise ValueError("the value map must be a JSON object")
            rules["value_map"] = mapping
        problems = validate_rules(rules or None)
        if problems:
            raise ValueError("; ".join(problems))
        return rules or None

    def _accept(self) -> None:
        target = self.selected_target()
        if not target:
            self.error.setText("Choose a target field.")
            return
        refused = self._check(target) if self._check is not None else None
        if refused:
            self.error.setText(refused)
            return
        try:
            rules = self.rules()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.chosen.emit(target, rules)
        self.accept()
