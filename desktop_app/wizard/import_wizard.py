"""Import wizard: file → sheet → preview (correctable) → client/engagement → import → mapping review.

Why pages hold no core calls: every read (preview, engagements) and the import itself go through
the task manager; the import page shows progress and can cancel, and the wizard refuses to close
while the import is still running (it cancels first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from core.errors import OperationCancelled
from core.services import gui_queries, tenancy
from desktop_app.error_dialog import describe
from desktop_app.screens.registry import Selection
from desktop_app.settings_store import SettingsStore
from desktop_app.task_manager import CollectionOp, QueryOp, TaskHandle, TaskManager
from desktop_app.wizard import service
from desktop_app.wizard.service import ImportOutcome, Preview, ReadOptions, Target

PAGE_FILE, PAGE_SHEET, PAGE_PREVIEW, PAGE_TARGET, PAGE_IMPORT = range(5)
FILE_FILTER = "Inventory exports (*.csv *.tsv *.txt *.xlsx *.xlsm *.json *.zip);;All files (*)"
DELIMITERS = ((",", "Comma ,"), (";", "Semicolon ;"), ("\t", "Tab"), ("|", "Pipe |"))
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "mac_roman")


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
        self.w.store.last_directory = str(Path(path).parent)
        return True

    def nextId(self) -> int:
        suffix = Path(self.path.text().strip()).suffix.lower()
        return PAGE_SHEET if suffix in (".xlsx", ".xlsm", ".zip", ".json") else PAGE_PREVIEW


class SheetPage(QWizardPage):
    """Sheet (workbook), member (ZIP) or array (JSON) choice; skipped for plain CSV files."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Choose the sheet")
        self.setSubTitle("The workbook has several sheets; RVTools' vInfo or the largest is preselected.")
        self.sheet = QComboBox()
        self.sheet.setObjectName("wizardSheet")
        self.status = QLabel("Reading the workbook…")
        form = QFormLayout(self)
        form.addRow("Sheet", self.sheet)
        form.addRow(self.status)
        self._ready = False

    def initializePage(self) -> None:
        self._ready = False
        self.sheet.clear()
        self.status.setText("Reading the workbook…")
        self.w.load_preview(ReadOptions(), self._loaded)

    def _loaded(self, preview: Preview | None, error: BaseException | None) -> None:
        if error is not None or preview is None:
            self.status.setText(f"Cannot read this file: {describe(error)[0] if error else ''}")
            return
        self.sheet.addItems(preview.sheets or ([preview.sheet] if preview.sheet else []))
        if preview.sheet:
            self.sheet.setCurrentText(preview.sheet)
        self.status.setText(f"{len(preview.sheets)} sheet(s); detected: {preview.sheet or '—'}")
        self._ready = True
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._ready

    def validatePage(self) -> bool:
        sheet = self.sheet.currentText() or None
        if sheet != self.w.options.sheet:
            self.w.options = ReadOptions(sheet=sheet)
            self.w.preview = None
        return True

    def nextId(self) -> int:
        return PAGE_PREVIEW


class PreviewPage(QWizardPage):
    """The first rows as read, with the detected encoding, delimiter and header row — correctable."""

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
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.info)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.skip_bad)
        self._filling = False
        self._ready = False
        self.encoding.activated.connect(lambda _i: self._reread())
        self.encoding.lineEdit().editingFinished.connect(self._reread)
        self.delimiter.activated.connect(lambda _i: self._reread())
        self.header_row.editingFinished.connect(self._reread)

    def initializePage(self) -> None:
        if self.w.preview is not None:
            self._show(self.w.preview, None)
            return
        self._ready = False
        self.info.setText("Reading…")
        self.w.load_preview(self.w.options, self._show)

    def _reread(self) -> None:
        if self._filling or self.w.preview is None:
            return
        p = self.w.preview
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
            self.header_row.setEnabled(preview.format != "json")
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
        )
        self._ready = bool(preview.columns)
        self.completeChanged.emit()

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
        for w in (self.existing_radio, self.new_radio):
            w.toggled.connect(self._toggled)
        for edit in (self.client, self.engagement):
            edit.textChanged.connect(self.completeChanged)
        self.refs: list[tenancy.EngagementRef] = []

    def initializePage(self) -> None:
        QueryOp(self, gui_queries.engagements, label="Loading engagements").success(
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
        self.preview: Preview | None = None
        self.target: Target | None = None
        self.outcome: ImportOutcome | None = None
        self.import_task: TaskHandle | None = None
        self._close_after_cancel = False
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

    # -- import ------------------------------------------------------------------------------------

    def start_import(self) -> None:
        if self.import_task is not None or self.outcome is not None or self.target is None:
            return
        path, options, target = self.path, self.options, self.target
        self.import_page.label.setText(
            f"Importing {Path(path).name} into {target.client_name} / {target.engagement_name}…"
        )
        self.import_page.bar.setRange(0, 0)
        self.import_task = (
            CollectionOp(
                self,
                lambda core, ctx: service.run_import(core, ctx, path, options, target),
                label=f"Importing {Path(path).name}",
            )
            .changes(_import_changes)
            .with_progress()
            .success(self._imported)
            .failure(self._failed)
            .run_in_background(self.tasks)
        )
        self.tasks.task_progress.connect(self._progress)

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
        errors = f" · {len(outcome.errors)} row(s) skipped" if outcome.errors else ""
        self.import_page.label.setText(
            f"Imported {outcome.rows:,} rows{errors}; {outcome.suggestions} columns have suggested targets. "
            "Click “Review mappings” to decide them."
        )
        self.import_page.cancel.setEnabled(False)
        self.import_page.completeChanged.emit()
        if self._close_after_cancel:
            super().reject()

    def _failed(self, exc: BaseException) -> None:
        self.import_task = None
        self.import_page.bar.setRange(0, 1)
        self.import_page.bar.setValue(0)
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


def _import_changes(outcome: ImportOutcome) -> Any:
    from desktop_app.changes import OpChanges, ids

    return OpChanges(
        engagements=True,
        imports=True,
        flows=True,
        mappings=True,
        import_ids=ids(outcome.import_id),
        flow_ids=ids(outcome.flow_id),
    )
