"""Settings: database (embedded or a shared server), theme, default confidence threshold, AI model.

Why this shape: the server URL goes to the core settings file *without* its password; the password
goes to the OS keyring, or — when this machine has none — stays in memory for the session and the
dialog says so. Changing the database asks before restarting the connection. The AI model (issue 16)
is any OpenAI-compatible endpoint: base URL and model in the settings file, the API key in the
keyring like the password; "Test connection" lists the endpoint's models (`GET …/models`) on a
background thread.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from core.config import Settings, write_settings_file
from core.db.database import normalise_url
from core.errors import ConfigurationError
from desktop_app import ai_settings, credentials
from desktop_app.settings_store import THEMES, SettingsStore
from desktop_app.theme import apply_theme


class SettingsDialog(QDialog):
    """Opened with `open()`; emits `restart_requested(Settings)` when the database changed."""

    restart_requested = Signal(object)

    def __init__(self, settings: Settings, store: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.settings = settings
        self.store = store

        # database
        self.embedded = QRadioButton("Embedded database on this computer (works offline)")
        self.embedded.setObjectName("dbEmbedded")
        self.shared = QRadioButton("Shared PostgreSQL server")
        self.shared.setObjectName("dbShared")
        group = QButtonGroup(self)
        group.addButton(self.embedded)
        group.addButton(self.shared)
        url_without, password = (
            credentials.split_password(settings.database_url) if settings.database_url else ("", None)
        )
        self.url = QLineEdit(url_without)
        self.url.setObjectName("dbUrl")
        self.url.setPlaceholderText("postgresql://alice@db.example.com:5432/discovery?sslmode=require")
        self.password = QLineEdit(
            password or (credentials.load_password(url_without) if url_without else "") or ""
        )
        self.password.setObjectName("dbPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.storage_note = QLabel(self._storage_text())
        self.storage_note.setObjectName("passwordStorageNote")
        self.storage_note.setWordWrap(True)
        (self.shared if settings.database_url else self.embedded).setChecked(True)
        self.embedded.toggled.connect(self._update_enabled)
        db_box = QGroupBox("Database")
        db_form = QFormLayout(db_box)
        db_form.addRow(self.embedded)
        db_form.addRow(self.shared)
        db_form.addRow("Server URL", self.url)
        db_form.addRow("Password", self.password)
        db_form.addRow(self.storage_note)

        # appearance and mapping
        self.theme = QComboBox()
        self.theme.setObjectName("theme")
        for name in THEMES:
            self.theme.addItem(name.capitalize(), name)
        self.theme.setCurrentIndex(max(0, self.theme.findData(store.theme)))
        self.threshold = QDoubleSpinBox()
        self.threshold.setObjectName("threshold")
        self.threshold.setRange(50.0, 100.0)
        self.threshold.setDecimals(0)
        self.threshold.setSuffix(" %")
        self.threshold.setValue(round(store.confidence_threshold * 100))
        other = QGroupBox("Review")
        other_form = QFormLayout(other)
        other_form.addRow("Theme", self.theme)
        other_form.addRow("Default “approve all ≥” threshold", self.threshold)

        ai_box = self._build_ai(settings)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(db_box)
        layout.addWidget(other)
        layout.addWidget(ai_box)
        layout.addWidget(self.buttons)
        self._update_enabled()

    def _build_ai(self, settings: Settings) -> QGroupBox:
        """The AI model: endpoint, model (listed by "Test connection"), key, PII masking."""
        from core.agents.settings import crewai_installed

        current = ai_settings.current(settings.data_dir)
        self.llm_url = QLineEdit(current.base_url or "")
        self.llm_url.setObjectName("llmBaseUrl")
        self.llm_url.setPlaceholderText("http://localhost:11434/v1  (Ollama, vLLM, llama.cpp, OpenAI, Azure)")
        self.llm_model = QComboBox()
        self.llm_model.setObjectName("llmModel")
        self.llm_model.setEditable(True)
        if current.model:
            self.llm_model.addItem(current.model)
        self.llm_key = QLineEdit(current.api_key or "")
        self.llm_key.setObjectName("llmApiKey")
        self.llm_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.llm_key.setPlaceholderText("only if the server needs one (kept in the keyring)")
        self.llm_mask = QCheckBox("Mask e-mail addresses, phone numbers and IP addresses in prompts")
        self.llm_mask.setObjectName("llmMaskPii")
        self.llm_mask.setChecked(current.mask_pii)
        self.llm_test = QPushButton("Test connection")
        self.llm_test.setObjectName("llmTest")
        self.llm_test.clicked.connect(self.test_connection)
        self.llm_status = QLabel(
            "Only bounded samples and column profiles go to this endpoint, nowhere else."
            if crewai_installed()
            else "The AI crews need the optional CrewAI package: pip install 'migration-discovery[ai]'."
        )
        self.llm_status.setObjectName("llmStatus")
        self.llm_status.setWordWrap(True)
        box = QGroupBox("AI model (optional)")
        form = QFormLayout(box)
        form.addRow("Base URL", self.llm_url)
        form.addRow("Model", self.llm_model)
        form.addRow("API key", self.llm_key)
        form.addRow(self.llm_mask)
        form.addRow(self.llm_test)
        form.addRow(self.llm_status)
        return box

    def test_connection(self) -> None:
        """List the endpoint's models in the background; the model box offers them."""
        from core.agents.settings import list_models
        from desktop_app.task_manager import TaskManager

        url, key = self.llm_url.text().strip(), self.llm_key.text().strip() or None
        if not url:
            self.llm_status.setText("Enter the base URL first (it usually ends in /v1).")
            return
        self.llm_status.setText(f"Asking {url} for its models…")
        self.llm_test.setEnabled(False)
        TaskManager.instance().submit(
            lambda _core: list_models(url, key),
            kind="read",
            label="Testing the AI model connection",
            needs_core=False,
            success=self._models_listed,
            failure=self._models_failed,
            parent=self,
        )

    def _models_listed(self, models: list[str]) -> None:
        self.llm_test.setEnabled(True)
        chosen = self.llm_model.currentText()
        self.llm_model.clear()
        self.llm_model.addItems(models)
        if chosen:
            self.llm_model.setCurrentText(chosen)
        elif models:
            self.llm_model.setCurrentIndex(0)
        self.llm_status.setText(f"Connected: {len(models)} model(s): {', '.join(models[:8])}")

    def _models_failed(self, exc: BaseException) -> None:
        self.llm_test.setEnabled(True)
        text = exc.describe() if isinstance(exc, ConfigurationError) else str(exc)
        self.llm_status.setText(f"Connection failed: {text}")

    def save_ai(self) -> None:
        ai_settings.save(
            self.settings.data_dir,
            self.llm_url.text(),
            self.llm_model.currentText(),
            self.llm_key.text().strip(),
            self.llm_mask.isChecked(),
        )

    @staticmethod
    def _storage_text() -> str:
        if credentials.keyring_available():
            return "The password is stored in the system keyring, never in the settings file."
        return (
            "No system keyring is available on this computer: the password is kept in memory for this "
            "session only (you will be asked again next time). It is never written to disk."
        )

    def _update_enabled(self) -> None:
        shared = self.shared.isChecked()
        for w in (self.url, self.password, self.storage_note):
            w.setEnabled(shared)

    # -- applying ------------------------------------------------------------------------------

    def chosen_url(self) -> str | None:
        """The URL with password (for connecting now), or None for the embedded database."""
        if not self.shared.isChecked():
            return None
        url = normalise_url(self.url.text().strip())
        bare, in_url = credentials.split_password(url)
        return credentials.with_password(bare, self.password.text() or in_url)

    def _accept(self) -> None:
        try:
            url = self.chosen_url()
        except ConfigurationError as exc:
            QMessageBox.warning(self, "Settings", exc.describe())
            return
        self.store.theme = str(self.theme.currentData())
        self.store.confidence_threshold = self.threshold.value() / 100.0
        self.store.sync()
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.store.theme)
        self.save_ai()
        changed = url != self.settings.database_url
        if changed:
            self.save_database(url)
        self.accept()
        if changed:
            self._ask_restart(url)

    def save_database(self, url: str | None) -> str:
        """Persist the choice: URL without password in the settings file, password to keyring/memory."""
        if url is None:
            write_settings_file(self.settings.data_dir, {"database_url": None})
            return "embedded"
        bare, password = credentials.split_password(url)
        write_settings_file(self.settings.data_dir, {"database_url": bare})
        storage = credentials.store_password(bare, password) if password else "none"
        self.password_storage = storage
        return storage

    def _ask_restart(self, url: str | None) -> None:
        new_settings = dataclasses.replace(self.settings, database_url=url)
        parent = self.parentWidget()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Restart the connection?",
            "The database setting changed. Close the current connection and connect to "
            + ("the embedded database" if url is None else "the shared server")
            + " now?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            parent,
        )
        box.setObjectName("restartQuestion")
        if url is not None and not credentials.keyring_available():
            box.setInformativeText("The password is kept in memory for this session only.")
        box.finished.connect(
            lambda result: (
                self.restart_requested.emit(new_settings)
                if result == QMessageBox.StandardButton.Yes
                else None
            )
        )
        self._restart_box = box
        box.open()
