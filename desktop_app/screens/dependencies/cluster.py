"""One move group drawn as a cluster: its servers on a circle, its internal connections as lines.

Why only one group: drawing the whole estate (200,000 lines) is unreadable and slow; the screen
draws the selected group from its own connections, read on demand, and counts the rest.
Node size follows the server's number of internal links, so the busiest servers stand out.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsScene, QGraphicsView, QWidget

NODE_FILL = QColor("#0072B2")
EDGE = QColor("#8a94a3")
LABEL_LIMIT = 60  # above this many servers, names are shown on hover only
ASSET_ROLE = 0


class ClusterView(QGraphicsView):
    """Draws one group; emits `asset_activated(asset_id, name)` on a double-clicked server."""

    asset_activated = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setMinimumHeight(220)
        self.nodes: dict[str, QGraphicsEllipseItem] = {}
        self.edges: set[tuple[str, str]] = set()

    def draw(self, members: Sequence[dict[str, Any]], connections: Sequence[dict[str, Any]]) -> None:
        """Place `members` on a circle and join the pairs that `connections` link inside the group."""
        scene = self.scene()
        scene.clear()
        self.nodes, self.edges = {}, set()
        ids = {m["asset_id"] for m in members}
        degree: dict[str, int] = dict.fromkeys(ids, 0)
        for c in connections:
            a, b = c.get("source_asset_id"), c.get("target_asset_id")
            if a in ids and b in ids and a != b:
                pair = (min(a, b), max(a, b))
                if pair not in self.edges:
                    self.edges.add(pair)
                    degree[a] += 1
                    degree[b] += 1
        n = len(members)
        radius = max(90.0, n * 16.0 / math.pi)
        where: dict[str, QPointF] = {}
        for i, m in enumerate(members):
            angle = 2 * math.pi * i / max(n, 1) - math.pi / 2
            where[m["asset_id"]] = (
                QPointF(radius * math.cos(angle), radius * math.sin(angle)) if n > 1 else QPointF()
            )
        pen = QPen(EDGE, 1.4)
        for a, b in self.edges:
            line = scene.addLine(where[a].x(), where[a].y(), where[b].x(), where[b].y(), pen)
            line.setZValue(0)
        font = QFont()
        font.setPointSizeF(8.5)
        top = max(degree.values(), default=0) or 1
        for m in members:
            aid, p = m["asset_id"], where[m["asset_id"]]
            r = 7.0 + 7.0 * degree[aid] / top
            node = scene.addEllipse(
                QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r), QPen(QColor("#ffffff"), 1.5), QBrush(NODE_FILL)
            )
            node.setZValue(2)
            node.setData(ASSET_ROLE, aid)
            node.setToolTip(f"{m['hostname']} — {degree[aid]} link(s) in the group; double-click to open")
            node.setCursor(Qt.CursorShape.PointingHandCursor)
            self.nodes[aid] = node
            if n <= LABEL_LIMIT:
                label = scene.addSimpleText(m["hostname"], font)
                label.setBrush(QBrush(QColor("#1f2328")))
                w = label.boundingRect().width()
                dx = r + 4 if p.x() >= 0 else -r - 4 - w
                label.setPos(p.x() + dx if n > 1 else p.x() - w / 2, p.y() - 8 if n > 1 else p.y() + r + 2)
                label.setZValue(3)
        self.names = {m["asset_id"]: m["hostname"] for m in members}
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-20, -20, 20, 20))
        self.fit()

    def fit(self) -> None:
        if self.scene().items():
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
            if self.transform().m11() > 1.6:  # a small group is not blown up
                self.resetTransform()
                self.scale(1.6, 1.6)

    def clear(self) -> None:
        self.scene().clear()
        self.nodes, self.edges = {}, set()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        for item in self.items(event.position().toPoint()):
            aid = item.data(ASSET_ROLE)
            if aid:
                self.activate(str(aid))
                return
        super().mouseDoubleClickEvent(event)

    def activate(self, asset_id: str) -> None:
        self.asset_activated.emit(uuid.UUID(asset_id), self.names.get(asset_id, asset_id))
