"""Import wizard: file → sheet → preview (correctable) → client/engagement → import → mapping review.

The preview page also shows what the file is — an inventory of assets or a connection export —
as recognised from its columns (`core.mapping.kind.detect_kind`, read with the preview in the
background); the consultant can change it, and the import (and so its mapping review) uses it.

Why pages hold no core calls: every read (preview, engagements) and the import itself go through
the task manager; the import page shows progress and can cancel, and the wizard refuses to close
while the import is still running (it cancels first).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from core import tenancy
from core.errors import OperationCancelled
from core.queries import navigation
from desktop_app.error_dialog import describe
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import CollectionOp, QueryOp, TaskHandle, TaskManager
from desktop_app.wizard import service
from desktop_app.wizard.service import ImportOutcome, Preview, ReadOptions, Target

if TYPE_CHECKING:
    from core.imports import DuplicateImport

PAGE_FILE, PAGE_SHEET, PAGE_PREVIEW, PAGE_TARGET, PAGE_IMPORT = range(5)
FILE_FILTER = (
    "Inventory exports (*.csv *.tsv *.txt *.xlsx *.xlsm *.json *.jsonl *.ndjson *.zip);;All files (*)"
)
DELIMITERS = ((",", "Comma ,"), (";", "Semicolon ;"), ("\t", "Tab"), ("|", "Pipe |"))
ENCODINGS = ("utf-8", "utf-8-sig", "utf-8-replace", "cp1252", "latin-1", "utf-16", "mac_roman")
"""utf-8-replace: UTF-8 with invalid bytes replaced by U+FFFD (offered when a file is damaged UTF-8)."""


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Choose a file")
        self.setSubTitle(
            "A CMDB or RVTools export, a cloud import template, or any inventory spreadsheet. "
            "You can also drop the file here."
        )
        self.setAcceptDrops(True)
        self.path = QLineEdit()
        self.path.setObjectName("wizardPath")
        self.path.setPlaceholderText("/path/to/inventory.csv")
        self.path.textChanged.connect(self.completeChanged)
        browse = QPushButton("Browse…")
        browse.setObjectName("wizardBrowse")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.drop = QLabel("Drop a CSV, Excel, JSON or ZIP file here")
        self.drop.setObjectName("emptyHint")
        self.drop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop.setMinimumHeight(140)
        self.drop.setStyleSheet("border: 2px dashed palette(mid); border-radius: 8px;")
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.drop, 1)

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Choose an inventory export", self.w.store.last_directory, FILE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.path.setText)
        self._dialog = dialog
        dialog.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.path.setText(files[0])
            event.acceptProposedAction()

    def isComplete(self) -> bool:
        return Path(self.path.text().strip()).is_file()

    def validatePage(self) -> bool:
        path = self.path.text().strip()
        if path != self.w.path:
            self.w.path = path
            self.w.options = ReadOptions()
            self.w.preview = None
            self.w.rvtools = False
            self.w.kind, self.w.kind_chosen = None, False
        self.w.store.last_directory = str(Path(path).parent)
        return True

    def nextId(self) -> int:
        suffix = Path(self.path.text().strip()).suffix.lower()
        return PAGE_SHEET if suffix in (".xlsx", ".xlsm", ".zip", ".json") else PAGE_PREVIEW


class SheetPage(QWizardPage):
    """Sheet (workbook), member (ZIP) or array (JSON) choice; skipped for plain CSV files.

    The sheet list shows each sheet's rows. A whole RVTools export (recognised by its sheets and
    vMetaData) is offered as one import — vInfo with its disks, partitions, NICs, snapshots, tools,
    hosts and clusters — checked by default; unchecked, one sheet is imported as before.
    """

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Choose the sheet")
        self.setSubTitle("The workbook has several sheets; RVTools' vInfo or the largest is preselected.")
        self.sheet = QComboBox()
        self.sheet.setObjectName("wizardSheet")
        self.whole = QCheckBox("Import the whole RVTools export as one import (vInfo and its detail sheets)")
        self.whole.setToolTip(
            "Each VM's disks, partitions, network adapters, snapshots, VMware Tools, host and cluster are "
            "stored with the import and joined to the VM when the inventory runs"
        )
        self.whole.setObjectName("wizardWholeRvtools")
        self.whole.setVisible(False)
        self.whole.toggled.connect(self._whole_toggled)
        self.sheets = QTreeWidget()
        self.sheets.setObjectName("wizardSheetList")
        self.sheets.setColumnCount(3)
        self.sheets.setHeaderLabels(["Sheet", "Rows", "Imported as"])
        self.sheets.setRootIsDecorated(False)
        self.sheets.setUniformRowHeights(True)
        self.sheets.setColumnWidth(0, 200)
        self.sheets.setColumnWidth(1, 90)
        self.sheets.itemClicked.connect(self._sheet_clicked)
        self.status = QLabel("Reading the workbook…")
        self.status.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Sheet", self.sheet)
        form.addRow(self.whole)
        form.addRow(self.sheets)
        form.addRow(self.status)
        self._ready = False
        self._found: service.RVToolsFound | None = None
        self.sheet.currentTextChanged.connect(lambda _t: self._mark_use())

    def initializePage(self) -> None:
        self._ready = False
        self._found = None
        self.sheet.clear()
        self.sheets.clear()
        self.whole.setVisible(False)
        self.status.setText("Reading the workbook…")
        self.w.load_preview(ReadOptions(), self._loaded)

    def _loaded(self, preview: Preview | None, error: BaseException | None) -> None:
        if error is not None or preview is None:
            self.status.setText(f"Cannot read this file: {describe(error)[0] if error else ''}")
            return
        names = preview.sheets or ([preview.sheet] if preview.sheet else [])
        self.sheet.addItems(names)
        if preview.sheet:
            self.sheet.setCurrentText(preview.sheet)
        for name in names:
            rows = preview.sheet_rows.get(name)
            item = QTreeWidgetItem([name, "" if rows is None else f"{max(rows - 1, 0):,}", ""])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.sheets.addTopLevelItem(item)
        self._found = preview.rvtools
        text = f"{len(preview.sheets)} sheet(s); detected: {preview.sheet or '—'}"
        if self._found is not None:
            text = (
                f"<b>{html.escape(self._found.source_system)}</b>: vInfo and "
                f"{len(self._found.detail_sheets)} detail sheet(s)"
                + (
                    f"; not in the workbook: {', '.join(self._found.missing_sheets)}"
                    if self._found.missing_sheets
                    else ""
                )
            )
            self.whole.setVisible(True)
            self.whole.setChecked(True)
            self._whole_toggled(True)
        self.status.setText(text)
        self._mark_use()
        self._ready = True
        self.completeChanged.emit()

    def _whole_toggled(self, on: bool) -> None:
        if on and self._found is not None:
            self.sheet.setCurrentText(self._found.main_sheet)
        self.sheet.setEnabled(not (on and self._found is not None))
        self._mark_use()

    def _sheet_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if self.sheet.isEnabled():
            self.sheet.setCurrentText(item.text(0))

    def _mark_use(self) -> None:
        """The "Imported as" column: the chosen sheet, or vInfo and the detail sheets."""
        whole = self.whole_export
        details = set(self._found.detail_sheets) if self._found is not None and whole else set()
        for i in range(self.sheets.topLevelItemCount()):
            item = self.sheets.topLevelItem(i)
            name = item.text(0)
            if name == self.sheet.currentText():
                use = "the import's table" + (" (VMs)" if whole else "")
            elif name in details:
                use = "details of the VMs"
            else:
                use = ""
            item.setText(2, use)

    @property
    def whole_export(self) -> bool:
        """The consultant imports the whole RVTools export (offered, and left checked)."""
        return self._found is not None and self.whole.isChecked()

    def row_counts(self) -> dict[str, str]:
        """Sheet -> rows as the list shows them (tests)."""
        return {
            self.sheets.topLevelItem(i).text(0): self.sheets.topLevelItem(i).text(1)
            for i in range(self.sheets.topLevelItemCount())
        }

    def isComplete(self) -> bool:
        return self._ready

    def validatePage(self) -> bool:
        sheet = self.sheet.currentText() or None
        if sheet != self.w.options.sheet:
            self.w.options = ReadOptions(sheet=sheet)
            self.w.preview = None
            self.w.kind, self.w.kind_chosen = None, False  # another table: recognised again
        self.w.rvtools = self.whole_export
        return True

    def nextId(self) -> int:
        return PAGE_PREVIEW


class PreviewPage(QWizardPage):
    """The first rows as read, with the detected encoding, delimiter and header row — correctable —
    and the kind of file (inventory or connections) recognised from the columns, which the
    consultant can change: it decides the fields the mapping review suggests."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Check the preview")
        self.setSubTitle(
            "Correct the encoding, delimiter or header row if the columns look wrong; "
            "the preview is read again."
        )
        self.encoding = QComboBox()
        self.encoding.setObjectName("wizardEncoding")
        self.encoding.setEditable(True)
        self.encoding.addItems(ENCODINGS)
        self.delimiter = QComboBox()
        self.delimiter.setObjectName("wizardDelimiter")
        for value, label in DELIMITERS:
            self.delimiter.addItem(label, value)
        self.header_row = QSpinBox()
        self.header_row.setObjectName("wizardHeaderRow")
        self.header_row.setRange(1, 1000)
        self.skip_bad = QCheckBox("Skip rows that do not fit the header (listed after the import)")
        self.skip_bad.setObjectName("wizardSkipBad")
        self.kind = QComboBox()
        self.kind.setObjectName("wizardKind")
        self.kind.setToolTip(
            "An inventory of assets, or a connection/dependency export (which server talks to which); "
            "it decides the fields the mapping review suggests and what the inventory phase stores"
        )
        for value, label in service.KIND_LABELS.items():
            self.kind.addItem(label, value)
        self.kind_reason = QLabel("")
        self.kind_reason.setObjectName("wizardKindReason")
        self.kind_reason.setWordWrap(True)
        self.kind_reason.setTextFormat(Qt.TextFormat.RichText)
        self.info = QLabel("")
        self.info.setObjectName("wizardPreviewInfo")
        self.info.setWordWrap(True)
        self.model = QStandardItemModel(self)
        self.table = QTableView()
        self.table.setObjectName("wizardPreview")
        self.table.setModel(self.model)
        self.table.verticalHeader().setDefaultSectionSize(22)
        controls = QHBoxLayout()
        for label, widget in (
            ("Encoding", self.encoding),
            ("Delimiter", self.delimiter),
            ("Header row", self.header_row),
        ):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addStretch(1)
        kind_row = QHBoxLayout()
        kind_label = QLabel("File kind")
        kind_label.setBuddy(self.kind)
        kind_row.addWidget(kind_label)
        kind_row.addWidget(self.kind)
        kind_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(kind_row)
        layout.addWidget(self.kind_reason)
        layout.addWidget(self.info)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.skip_bad)
        self._filling = False
        self._ready = False
        self.encoding.activated.connect(lambda _i: self._reread())
        self.encoding.lineEdit().editingFinished.connect(self._reread)
        self.delimiter.activated.connect(lambda _i: self._reread())
        self.header_row.editingFinished.connect(self._reread)
        self.kind.activated.connect(lambda _i: self._kind_chosen())

    def initializePage(self) -> None:
        if self.w.preview is not None:
            self._show(self.w.preview, None)
            return
        self._ready = False
        self.info.setText("Reading…")
        self.w.load_preview(self.w.options, self._show)

    def _reread(self) -> None:
        if self._filling:
            return
        p = self.w.preview
        if p is None:  # the file could not be read: let a corrected encoding try again
            options = ReadOptions(
                sheet=self.w.options.sheet, encoding=self.encoding.currentText().strip() or None
            )
            if options.encoding != self.w.options.encoding:
                self.set_options(options)
            return
        options = ReadOptions(
            sheet=self.w.options.sheet,
            encoding=self.encoding.currentText().strip() or None,
            delimiter=self.delimiter.currentData() if p.format in ("csv", "zip") else None,
            header_row=self.header_row.value(),
        )
        if (options.encoding, options.delimiter, options.header_row) == (
            p.encoding,
            p.delimiter,
            p.header_row,
        ):
            return
        self.set_options(options)

    def set_options(self, options: ReadOptions) -> None:
        """Re-read the preview with corrected options (also used by tests)."""
        self.w.options = options
        self._ready = False
        self.completeChanged.emit()
        self.info.setText("Reading again…")
        self.w.load_preview(options, self._show)

    def _show(self, preview: Preview | None, error: BaseException | None) -> None:
        if error is not None or preview is None:
            message, hint, _ = describe(error) if error else ("no preview", None, "")
            self.info.setText(
                f"<span style='color:#b91c1c'>Cannot read the file: {message}</span>"
                + (f"<br/>{hint}" if hint else "")
            )
            self._ready = False
            self.completeChanged.emit()
            return
        self.w.preview = preview
        self._filling = True
        try:
            text_like = preview.format in ("csv", "zip")
            if preview.encoding:
                self.encoding.setCurrentText(preview.encoding)
            self.encoding.setEnabled(preview.format != "xlsx")
            idx = self.delimiter.findData(preview.delimiter)
            if idx >= 0:
                self.delimiter.setCurrentIndex(idx)
            self.delimiter.setEnabled(text_like)
            self.header_row.setValue(preview.header_row or 1)
            self.header_row.setEnabled(preview.format not in ("json", "jsonl"))
        finally:
            self._filling = False
        self.model.clear()
        self.model.setHorizontalHeaderLabels(preview.columns)
        for row in preview.rows:
            self.model.appendRow([QStandardItem(cell) for cell in row[: len(preview.columns)]])
        for col in range(min(len(preview.columns), 40)):
            self.table.setColumnWidth(col, 130)
        delim = (
            dict(DELIMITERS).get(preview.delimiter or "", repr(preview.delimiter))
            if preview.delimiter
            else "—"
        )
        estimate = f" · about {preview.total_rows_estimate:,} rows" if preview.total_rows_estimate else ""
        self.info.setText(
            f"{preview.format.upper()} · {len(preview.columns)} columns{estimate} · encoding "
            f"<b>{preview.encoding or '—'}</b> · delimiter <b>{delim}</b> · header on row "
            f"<b>{preview.header_row or '—'}</b>"
            + (f" · sheet <b>{preview.sheet}</b>" if preview.sheet else "")
            + ("<br/>" + "; ".join(preview.notes) if preview.notes else "")
            + "".join(
                f"<br/><span style='color:#b45309'>Warning: {html.escape(w)}</span>" for w in preview.warnings
            )
        )
        self._show_kind(preview)
        self._ready = bool(preview.columns)
        self.completeChanged.emit()

    def _show_kind(self, preview: Preview) -> None:
        """Preselect the recognised kind (unless the consultant chose one) and say why."""
        whole = self.w.rvtools
        self.kind.setEnabled(not whole)
        if whole:
            self.kind.setCurrentIndex(self.kind.findData("assets"))
        elif not self.w.kind_chosen and preview.kind is not None:
            self.kind.setCurrentIndex(self.kind.findData(preview.kind.kind))
        self._describe_kind()

    def _kind_chosen(self) -> None:
        self.w.kind_chosen = True
        self._describe_kind()

    def _describe_kind(self) -> None:
        """Why the kind is what it is: the columns' evidence, and the consultant's choice if it differs."""
        p = self.w.preview
        if self.w.rvtools:
            self.kind_reason.setText("A whole RVTools export is an inventory of its VMs.")
            return
        guess = p.kind if p is not None else None
        if guess is None:
            self.kind_reason.setText("")
            return
        label = html.escape(service.kind_label(guess.kind))
        text = f"Recognised as <b>{label}</b>: {html.escape(guess.reason, quote=False)}"
        if guess.kind == "connections":
            text += (
                f" · {len(guess.source_columns)} source and {len(guess.target_columns)} destination column(s)"
            )
        chosen = self.kind.currentData()
        if chosen != guess.kind:
            text += (
                f"<br/><span style='color:#b45309'>You chose <b>{html.escape(service.kind_label(chosen))}"
                "</b>: the mapping review suggests that kind's fields.</span>"
            )
        self.kind_reason.setText(text)

    def chosen_kind(self) -> str | None:
        """The kind the import is given (None for a whole RVTools export: the core makes it assets)."""
        return None if self.w.rvtools else self.kind.currentData()

    def isComplete(self) -> bool:
        return self._ready

    def validatePage(self) -> bool:
        p = self.w.preview
        if p is not None:
            self.w.options = ReadOptions(
                sheet=self.w.options.sheet,
                encoding=self.w.options.encoding,
                delimiter=self.w.options.delimiter,
                header_row=self.w.options.header_row,
                skip_bad_rows=self.skip_bad.isChecked(),
            )
            self.w.kind = self.chosen_kind()
        return True

    def nextId(self) -> int:
        return PAGE_TARGET


class TargetPage(QWizardPage):
    """The client account and engagement the import belongs to (existing, or new on embedded)."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Client and engagement")
        self.setSubTitle("Which client's estate is this, and for which engagement?")
        self.existing_radio = QRadioButton("An existing engagement")
        self.existing_radio.setObjectName("wizardExistingEngagement")
        self.new_radio = QRadioButton("A new engagement")
        self.new_radio.setObjectName("wizardNewEngagement")
        self.existing = QComboBox()
        self.existing.setObjectName("wizardEngagement")
        self.client = QLineEdit()
        self.client.setObjectName("wizardClient")
        self.client.setPlaceholderText("Client name")
        self.engagement = QLineEdit()
        self.engagement.setObjectName("wizardEngagementName")
        self.engagement.setPlaceholderText("Engagement name")
        self.source_system = QLineEdit()
        self.source_system.setObjectName("wizardSourceSystem")
        self.source_system.setPlaceholderText("e.g. ServiceNow CMDB, RVTools 4.4 (optional)")
        form = QFormLayout(self)
        form.addRow(self.existing_radio)
        form.addRow("Engagement", self.existing)
        form.addRow(self.new_radio)
        form.addRow("Client", self.client)
        form.addRow("Engagement", self.engagement)
        form.addRow("Source system", self.source_system)
        self.summary = QLabel("")
        self.summary.setObjectName("wizardImportSummary")
        self.summary.setWordWrap(True)
        form.addRow("To import", self.summary)
        for w in (self.existing_radio, self.new_radio):
            w.toggled.connect(self._toggled)
        for edit in (self.client, self.engagement):
            edit.textChanged.connect(self.completeChanged)
        self.refs: list[tenancy.EngagementRef] = []

    def initializePage(self) -> None:
        self.summary.setText(self.w.what_is_imported())
        QueryOp(self, lambda core: navigation.engagements(core.uows), label="Loading engagements").success(
            self._loaded
        ).run_in_background(self.w.tasks)

    def _loaded(self, refs: list[tenancy.EngagementRef]) -> None:
        self.refs = refs
        self.existing.clear()
        for ref in refs:
            self.existing.addItem(f"{ref.client_name} / {ref.engagement_name}", ref)
        pre = self.w.selection
        if pre.engagement_id is not None:
            for i, ref in enumerate(refs):
                if ref.engagement_id == pre.engagement_id:
                    self.existing.setCurrentIndex(i)
        (self.existing_radio if refs else self.new_radio).setChecked(True)
        self.existing_radio.setEnabled(bool(refs))
        self._toggled()

    def _toggled(self) -> None:
        existing = self.existing_radio.isChecked()
        self.existing.setEnabled(existing)
        self.client.setEnabled(not existing)
        self.engagement.setEnabled(not existing)
        self.completeChanged.emit()

    def target(self) -> Target:
        source = self.source_system.text().strip() or None
        if self.existing_radio.isChecked() and self.existing.currentData() is not None:
            ref: tenancy.EngagementRef = self.existing.currentData()
            return Target(ref.client_name, ref.engagement_name, ref, source)
        return Target(self.client.text().strip(), self.engagement.text().strip(), None, source)

    def isComplete(self) -> bool:
        if self.existing_radio.isChecked():
            return self.existing.currentData() is not None
        return bool(self.client.text().strip() and self.engagement.text().strip())

    def validatePage(self) -> bool:
        self.w.target = self.target()
        return True

    def nextId(self) -> int:
        return PAGE_IMPORT


class ImportPage(QWizardPage):
    """Runs the import with progress and cancel; then generates suggestions."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Importing")
        self.setSubTitle(
            "The rows are stored as they are in the file; then every column gets a suggested target."
        )
        self.setCommitPage(True)
        self.label = QLabel("Starting…")
        self.label.setObjectName("wizardImportStatus")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setObjectName("wizardImportProgress")
        self.cancel = QPushButton("Cancel import")
        self.cancel.setObjectName("wizardCancelImport")
        self.cancel.clicked.connect(self.w.cancel_import)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel)
        layout.addLayout(row)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self.w.start_import()

    def isComplete(self) -> bool:
        return self.w.outcome is not None

    def nextId(self) -> int:
        return -1


def summary_text(outcome: ImportOutcome) -> str:
    """What the import brought: rows, skipped rows, columns with a suggested target and — apart —
    those without one (they are left unmapped unless the consultant picks a target)."""
    errors = f" · {len(outcome.errors)} row(s) skipped" if outcome.errors else ""
    no_target = (
        f"; {outcome.no_target} column{'s have' if outcome.no_target != 1 else ' has'} no target"
        if outcome.no_target
        else ""
    )
    details = ""
    if outcome.details is not None:
        sheets = ", ".join(f"{s['sheet']} {s['rows']:,}" for s in outcome.details.get("sheets") or [])
        details = f" and {outcome.details.get('detail_rows', 0):,} detail rows ({sheets})"
    return (
        f"Imported {outcome.rows:,} rows{details}{errors} as {service.kind_label(outcome.kind)}; "
        f"{outcome.with_target} columns have suggested targets{no_target}. "
        "Click “Review mappings” to decide them."
    )


class ImportWizard(QWizard):
    """Opened with `open()`; emits `import_finished(Selection)` to land on the mapping review."""

    import_finished = Signal(object)

    def __init__(
        self,
        tasks: TaskManager,
        store: SettingsStore,
        selection: Selection | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importWizard")
        self.setWindowTitle("New import")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(900, 620)
        self.tasks = tasks
        self.store = store
        self.selection = selection or Selection()
        self.path = ""
        self.options = ReadOptions()
        self.rvtools = False
        """Import the whole RVTools export as one (chosen on the sheet page)."""
        self.kind: str | None = None
        """`assets` or `connections` as shown on the preview page (None: the core recognises it)."""
        self.kind_chosen = False
        """The consultant changed the recognised kind: a re-read preview keeps their choice."""
        self.preview: Preview | None = None
        self.target: Target | None = None
        self.outcome: ImportOutcome | None = None
        self.import_task: TaskHandle | None = None
        self.duplicate_question: QMessageBox | None = None
        """Open while the consultant decides whether to import an already imported file again."""
        self._close_after_cancel = False
        self._progress_connected = False
        self.file_page = FilePage(self)
        self.sheet_page = SheetPage(self)
        self.preview_page = PreviewPage(self)
        self.target_page = TargetPage(self)
        self.import_page = ImportPage(self)
        for page_id, page in (
            (PAGE_FILE, self.file_page),
            (PAGE_SHEET, self.sheet_page),
            (PAGE_PREVIEW, self.preview_page),
            (PAGE_TARGET, self.target_page),
            (PAGE_IMPORT, self.import_page),
        ):
            self.setPage(page_id, page)
        self.setStartId(PAGE_FILE)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Review mappings")
        self.setButtonText(QWizard.WizardButton.CommitButton, "Import")
        self._preview_generation = 0

    def set_file(self, path: str) -> None:
        self.file_page.path.setText(path)

    # -- preview -----------------------------------------------------------------------------------

    def load_preview(self, options: ReadOptions, done: Any) -> None:
        """Read the preview in the background; `done(preview, error)` on the GUI thread (latest wins)."""
        self._preview_generation += 1
        generation = self._preview_generation
        path = self.path or self.file_page.path.text().strip()

        def deliver(preview: Preview | None, error: BaseException | None) -> None:
            if generation == self._preview_generation:
                done(preview, error)

        QueryOp(self, lambda _core: service.read_preview(path, options), label="Reading the file").success(
            lambda p: deliver(p, None)
        ).failure(lambda e: deliver(None, e)).run_in_background(self.tasks)

    def what_is_imported(self) -> str:
        """File, sheet and kind, as the import will read them (the target page shows it before Import)."""
        name = Path(self.path).name
        sheet = f" · sheet {self.options.sheet}" if self.options.sheet else ""
        if self.rvtools:
            return f"{name} · the whole RVTools export · {service.kind_label('assets')}"
        return f"{name}{sheet} · {service.kind_label(self.kind)}" if self.kind else f"{name}{sheet}"

    # -- import ------------------------------------------------------------------------------------

    def start_import(self, *, allow_duplicate: bool = False) -> None:
        """Run the import; the core refuses a file this engagement already has, and `_failed` asks."""
        if self.import_task is not None or self.outcome is not None or self.target is None:
            return
        path, options, target, whole = self.path, self.options, self.target, self.rvtools
        kind = None if whole else self.kind
        as_kind = f" as {service.kind_label(kind)}" if kind else ""
        self.import_page.label.setText(
            f"Importing {Path(path).name}{' (the whole RVTools export)' if whole else ''}{as_kind} into "
            f"{target.client_name} / {target.engagement_name}…"
        )
        self.import_page.bar.setRange(0, 0)
        self.import_task = (
            CollectionOp(
                self,
                lambda core, ctx: service.run_import(
                    core,
                    ctx,
                    path,
                    options,
                    target,
                    allow_duplicate=allow_duplicate,
                    rvtools=whole,
                    kind=kind,
                ),
                label=f"Importing {Path(path).name}",
            )
            .with_progress()
            .success(self._imported)
            .failure(self._failed)
            .run_in_background(self.tasks)
        )
        if not self._progress_connected:  # once: a confirmed duplicate starts the import again
            self.tasks.task_progress.connect(self._progress)
            self._progress_connected = True

    def _progress(self, handle: TaskHandle) -> None:
        if handle is not self.import_task or handle.progress is None:
            return
        p = handle.progress
        if p.total:
            self.import_page.bar.setRange(0, 1000)
            self.import_page.bar.setValue(int(1000 * (p.fraction or 0)))
        rate = f" · {p.rate:,.0f} rows/s" if p.rate else ""
        total = f" of {p.total:,}" if p.total else ""
        self.import_page.label.setText(f"{p.done:,}{total} rows{rate}" + (f" — {p.text}" if p.text else ""))

    def _imported(self, outcome: ImportOutcome) -> None:
        self.import_task = None
        self.outcome = outcome
        self.import_page.bar.setRange(0, 1)
        self.import_page.bar.setValue(1)
        self.import_page.label.setText(summary_text(outcome))
        self.import_page.cancel.setEnabled(False)
        self.import_page.completeChanged.emit()
        if self._close_after_cancel:
            super().reject()

    def _failed(self, exc: BaseException) -> None:
        self.import_task = None
        self.import_page.bar.setRange(0, 1)
        self.import_page.bar.setValue(0)
        from core.imports import DuplicateImport  # the core's imports are loaded on first use

        if isinstance(exc, DuplicateImport) and exc.earlier and not self._close_after_cancel:
            self._ask_duplicate(exc)
            return
        if isinstance(exc, OperationCancelled):
            self.import_page.label.setText("The import was cancelled; nothing was kept.")
        else:
            message, hint, _ = describe(exc)
            self.import_page.label.setText(
                f"<span style='color:#b91c1c'>The import failed: {message}</span>"
                + (f"<br/>{hint}" if hint else "")
            )
        self.import_page.cancel.setEnabled(False)
        if self._close_after_cancel:
            super().reject()

    def _ask_duplicate(self, exc: DuplicateImport) -> None:
        """Nothing was imported yet: ask (non-blocking) whether to import the same file again."""
        last = exc.earlier[0]
        when = (
            last.completed_at.astimezone().strftime("%d %b %Y at %H:%M")
            if last.completed_at
            else "an earlier date"
        )
        name = Path(self.path).name
        more = len(exc.earlier) - 1
        already = (
            f"{name} was already imported into this engagement on {when} as {last.filename} "
            f"({last.rows:,} rows)"
            + (f", and {more} more time{'s' if more != 1 else ''} before" if more else "")
        )
        self.import_page.label.setText(already + ". Nothing has been imported yet.")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Already imported",
            already + ". Import it again?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("duplicateImportQuestion")
        box.setInformativeText(
            "Importing it again makes a second import with its own discovery flow; its servers then come "
            "from both imports."
        )
        box.button(QMessageBox.StandardButton.Yes).setText("Import again")
        box.button(QMessageBox.StandardButton.No).setText("Don't import")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda result: self._duplicate_answered(result, already))
        self.duplicate_question = box
        box.open()  # never exec() inside the event loop's callbacks (qasync #59)

    def _duplicate_answered(self, result: int, already: str) -> None:
        self.duplicate_question = None
        if result == QMessageBox.StandardButton.Yes:
            self.start_import(allow_duplicate=True)
            return
        self.import_page.label.setText(already + ". It was not imported again.")
        self.import_page.cancel.setEnabled(False)

    def cancel_import(self) -> None:
        if self.import_task is not None:
            self.import_task.cancel()
            self.import_page.label.setText("Cancelling…")

    def reject(self) -> None:
        if self.import_task is not None:  # closing while importing: cancel first, close when it stops
            self._close_after_cancel = True
            self.cancel_import()
            return
        super().reject()

    def accept(self) -> None:
        super().accept()
        if self.outcome is not None:
            o = self.outcome
            self.import_finished.emit(
                Selection(
                    o.ref.client_account_id,
                    o.ref.client_name,
                    o.ref.engagement_id,
                    o.ref.engagement_name,
                    o.import_id,
                    o.filename,
                    o.flow_id,
                )
            )
