"""Main window: engagements and their imports on the left, the current screen in the middle."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QStackedWidget, QTreeView

from core.bootstrap import Core
from core.services import catalog, tenancy


class MainWindow(QMainWindow):
    def __init__(self, core: Core) -> None:
        super().__init__()
        self.core = core
        self.setWindowTitle("Migration Discovery")
        self.resize(1280, 800)
        self.tree = QTreeView()
        self.tree.setHeaderHidden(True)
        self.model = QStandardItemModel()
        self.tree.setModel(self.model)
        self.stack = QStackedWidget()
        self.welcome = QLabel("Choose an engagement or an import on the left.")
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.welcome)
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 980])
        self.setCentralWidget(splitter)
        mode = "embedded database" if core.db.mode == "embedded" else f"shared server {core.db.server_label}"
        self.statusBar().addPermanentWidget(QLabel(f"{core.identity.label} · {mode}"))
        self.refresh()

    def refresh(self) -> None:
        self.model.clear()
        clients: dict[str, QStandardItem] = {}
        for ref in tenancy.list_engagements(self.core.sessions):
            client = clients.get(ref.client_name)
            if client is None:
                client = clients[ref.client_name] = QStandardItem(ref.client_name)
                client.setEditable(False)
                self.model.appendRow(client)
            eng = QStandardItem(ref.engagement_name)
            eng.setEditable(False)
            client.appendRow(eng)
            with self.core.uow(self.core.tenant_for(ref)) as uow:
                for imp in catalog.list_imports(uow):
                    phase = imp.current_phase or "-"
                    item = QStandardItem(f"{imp.filename} — {imp.total_records:,} rows · {phase}")
                    item.setEditable(False)
                    eng.appendRow(item)
        self.tree.expandAll()
