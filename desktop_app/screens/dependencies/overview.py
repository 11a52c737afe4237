"""The estate overview: every move group as one bubble, one edge per linked pair of groups.

Why this shape: 20,000 servers and 200,000 connections cannot be drawn as lines; a few thousand
groups and their aggregated pair edges can (plain ellipse and path items at positions the
background load computed). Bubble area follows the group's servers, edge width the log of its
server pairs. Only the biggest groups carry a label (labels that would overlap on screen are
hidden); every bubble has a tooltip. Infrastructure servers are drawn only on request, as small
nodes on a ring set apart, each with one path holding its edges to the groups it serves.
A click emits `group_picked(group_id)`, a double-click `group_opened(group_id)`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPainterPath, QPen, QTransform, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from desktop_app.screens.dependencies.layout import OverviewLayout
from desktop_app.theme import colors

LABELS = 40  # only the biggest groups are labelled; the others say who they are on hover
GROUP_ROLE = 0
DIMMED = 0.12


def _alpha(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


class _Label(QGraphicsSimpleTextItem):
    """A group name drawn at screen size (it ignores the zoom) on a light plate, so it stays readable."""

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-3, -1, 3, 1)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_alpha(colors().base, 215))
        painter.drawRoundedRect(self.boundingRect(), 3, 3)
        super().paint(painter, option, widget)


class OverviewView(QGraphicsView):
    """Draws the estate from `DependencyData`; `nodes`, `edges`, `infra_nodes` and `infra_edges`
    say what is drawn (tests and the screen read them)."""

    group_picked = Signal(str)
    group_opened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMinimumHeight(220)
        self.nodes: dict[str, QGraphicsEllipseItem] = {}
        self.edges: dict[tuple[str, str], QGraphicsPathItem] = {}
        self.labels: list[tuple[str, _Label]] = []
        self.infra_nodes: dict[str, QGraphicsEllipseItem] = {}
        self.infra_edges: dict[str, QGraphicsPathItem] = {}
        self.infra_shown = False
        self.matching: set[str] | None = None
        self.selected: str | None = None
        self._layout = OverviewLayout()
        self._infra_links: dict[str, dict[str, Any]] = {}
        self._infra_names: dict[str, str] = {}
        self._zoomed = False

    # -- drawing -----------------------------------------------------------------------------------

    def draw(
        self,
        groups: Sequence[dict[str, Any]],
        pairs: Sequence[dict[str, Any]],
        layout: OverviewLayout,
        infrastructure_links: dict[str, dict[str, Any]],
        infrastructure_names: dict[str, str],
    ) -> None:
        """Create one bubble per group and one path per linked pair at the precomputed positions."""
        scene = self.scene()
        scene.clear()
        self.nodes, self.edges, self.labels, self.infra_nodes, self.infra_edges = {}, {}, [], {}, {}
        self._layout = layout
        self._infra_links, self._infra_names = infrastructure_links, infrastructure_names
        self._zoomed = False
        c = colors()
        where = layout.groups
        edge_colour = _alpha(c.muted, 120)
        for p in pairs:
            a, b = p["groups"]
            if a not in where or b not in where:
                continue
            path = QPainterPath(QPointF(where[a][0], where[a][1]))
            path.lineTo(where[b][0], where[b][1])
            pen = QPen(edge_colour, min(1.0 + 1.1 * math.log1p(p["links"]), 7.0))
            pen.setCosmetic(True)  # width in pixels, whatever the zoom
            edge = QGraphicsPathItem(path)
            edge.setPen(pen)
            edge.setZValue(0)
            edge.setToolTip(f"{p['links']:,} server pair(s), {p['observations']:,} observations")
            scene.addItem(edge)
            self.edges[(a, b)] = edge
        fill, outline = _alpha(c.accent, 150), QPen(c.accent.darker(130), 1.2)
        outline.setCosmetic(True)
        for g in groups:
            if g["id"] not in where:
                continue
            x, y, r = where[g["id"]]
            node = QGraphicsEllipseItem(QRectF(x - r, y - r, 2 * r, 2 * r))
            node.setPen(outline)
            node.setBrush(QBrush(fill))
            node.setZValue(2)
            node.setData(GROUP_ROLE, g["id"])
            apps = ", ".join(g["applications"][:8]) or "no application named"
            more = f" (+{len(g['applications']) - 8:,})" if len(g["applications"]) > 8 else ""
            node.setToolTip(
                f"<b>{g['name']}</b><br>{len(g['assets']):,} server(s)<br>Applications: {apps}{more}"
                "<br><i>click to select, double-click for its detail</i>"
            )
            node.setCursor(Qt.CursorShape.PointingHandCursor)
            scene.addItem(node)
            self.nodes[g["id"]] = node
        drawn = [g for g in groups if g["id"] in where]
        biggest = sorted(drawn, key=lambda g: (-len(g["assets"]), g["name"]))
        for g in biggest[:LABELS]:
            label = _Label(f"{g['name']} · {len(g['assets']):,}")
            label.setBrush(QBrush(c.text))
            label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            rect = label.boundingRect()
            label.setTransform(QTransform.fromTranslate(-rect.width() / 2, 2))  # under the bubble
            x, y, r = where[g["id"]]
            label.setPos(x, y + r)
            label.setZValue(4)
            label.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            label.setAcceptHoverEvents(False)
            scene.addItem(label)
            self.labels.append((g["id"], label))
        if self.infra_shown:
            self._draw_infrastructure()
        self._restyle()
        self.fit()

    def show_infrastructure(self, shown: bool) -> None:
        """Bring the infrastructure ring in or set it aside again (items are created only when shown)."""
        self.infra_shown = shown
        if shown and not self.infra_nodes:
            self._draw_infrastructure()
        elif not shown:
            for item in [*self.infra_nodes.values(), *self.infra_edges.values()]:
                self.scene().removeItem(item)
            self.infra_nodes, self.infra_edges = {}, {}
        self._restyle()
        self.fit()

    def _draw_infrastructure(self) -> None:
        c = colors()
        scene, where = self.scene(), self._layout.groups
        fill, outline = QBrush(c.bar_mid), QPen(c.bar_mid.darker(140), 1.2)
        outline.setCosmetic(True)
        for iid, (x, y, r) in self._layout.infrastructure.items():
            served = {g: n for g, n in self._infra_links.get(iid, {}).get("groups", {}).items() if g in where}
            path = QPainterPath()
            for gid in served:
                path.moveTo(x, y)
                path.lineTo(where[gid][0], where[gid][1])
            pen = QPen(_alpha(c.bar_mid, 45), 1.0)
            pen.setCosmetic(True)
            edges = QGraphicsPathItem(path)
            edges.setPen(pen)
            edges.setZValue(1)
            edges.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            scene.addItem(edges)
            self.infra_edges[iid] = edges
            name = self._infra_names.get(iid, iid)
            info = self._infra_links.get(iid, {})
            node = QGraphicsEllipseItem(QRectF(x - r, y - r, 2 * r, 2 * r))
            node.setPen(outline)
            node.setBrush(fill)
            node.setZValue(3)
            node.setToolTip(
                f"<b>{name}</b> (infrastructure, set aside)<br>serves {len(served):,} group(s): "
                f"{info.get('links', 0):,} server link(s), {info.get('observations', 0):,} observations"
            )
            scene.addItem(node)
            self.infra_nodes[iid] = node

    # -- selection and filter ------------------------------------------------------------------------

    def set_matching(self, ids: Collection[str] | None) -> None:
        """Dim the groups the screen's filters do not accept (None: every group matches)."""
        self.matching = None if ids is None else set(ids)
        self._restyle()

    def set_selected(self, group_id: str | None) -> None:
        """Outline the group selected in the table, and bring its edges forward."""
        self.selected = group_id
        self._restyle()

    def is_dimmed(self, group_id: str) -> bool:
        return self.matching is not None and group_id not in self.matching

    def _restyle(self) -> None:
        c = colors()
        chosen = QPen(c.modified, 3.0)
        chosen.setCosmetic(True)
        plain = QPen(c.accent.darker(130), 1.2)
        plain.setCosmetic(True)
        for gid, node in self.nodes.items():
            node.setOpacity(DIMMED if self.is_dimmed(gid) else 1.0)
            node.setPen(chosen if gid == self.selected else plain)
            node.setZValue(3 if gid == self.selected else 2)
        for (a, b), edge in self.edges.items():
            on = self.selected in (a, b)
            edge.setOpacity(DIMMED if self.is_dimmed(a) or self.is_dimmed(b) else 1.0)
            pen = edge.pen()
            pen.setColor(_alpha(c.modified, 200) if on else _alpha(c.muted, 120))
            edge.setPen(pen)
            edge.setZValue(1 if on else 0)
        for gid, label in self.labels:
            label.setOpacity(0.35 if self.is_dimmed(gid) else 1.0)

    # -- view ----------------------------------------------------------------------------------------

    def fit(self) -> None:
        """Show the whole estate (unless the consultant zoomed), then hide labels that would overlap."""
        rect = self.scene().itemsBoundingRect()
        if not self._zoomed and not rect.isEmpty():
            self.scene().setSceneRect(rect.adjusted(-30, -30, 30, 30))
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._declutter()

    def _declutter(self) -> None:
        """Greedy: the biggest groups keep their labels; a label that would cover another one or run
        out of the view is hidden (its group still says who it is on hover)."""
        placed: list[QRectF] = []
        inside = QRectF(self.viewport().rect())
        for _gid, label in self.labels:
            anchor = self.mapFromScene(label.pos())
            size = label.boundingRect().size()
            w, h = size.width() + 8, size.height() + 4
            box = QRectF(anchor.x() - w / 2, anchor.y(), w, h)
            free = inside.contains(box) and not any(box.intersects(p) for p in placed)
            label.setVisible(free)
            if free:
                placed.append(box)

    def visible_labels(self) -> list[str]:
        return [label.text() for _gid, label in self.labels if label.isVisible()]

    def clear(self) -> None:
        self.scene().clear()
        self.nodes, self.edges, self.labels, self.infra_nodes, self.infra_edges = {}, {}, [], {}, {}

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Zoom under the mouse; it stays zoomed until a refresh or a double-click on empty space."""
        factor = 1.2 if event.angleDelta().y() > 0 else 1 / 1.2
        self._zoomed = True
        self.scale(factor, factor)
        self._declutter()

    # -- clicks --------------------------------------------------------------------------------------

    def group_at(self, pos: QPointF) -> str | None:
        """The group under a viewport position (its bubble, not a label or an edge)."""
        for item in self.items(pos.toPoint()):
            gid = item.data(GROUP_ROLE)
            if gid:
                return str(gid)
        return None

    def pick(self, group_id: str) -> None:
        """What a click on a bubble does: the screen selects the group in its table."""
        self.group_picked.emit(group_id)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        gid = self.group_at(event.position()) if event.button() == Qt.MouseButton.LeftButton else None
        if gid:
            self.pick(gid)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        gid = self.group_at(event.position())
        if gid:
            self.group_opened.emit(gid)
            return
        self._zoomed = False
        self.fit()
        super().mouseDoubleClickEvent(event)
