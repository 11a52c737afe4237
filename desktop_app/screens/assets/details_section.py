"""The "Details" section of the lineage panel: an asset's disks, partitions, NICs, snapshots, tools.

Why: a whole RVTools export says, per VM, what its summed fields are made of — which disks add up
to its storage, how full each partition is (used against provisioned), which networks and IPs
each NIC has, which snapshots are kept, whether the tools run, and the host and cluster it runs
on. The consultant reads them here next to the fields; each row names its sheet and row, and its
tooltip the source column and raw cell of every value (`core.inventory.details`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.screens.assets.columns import format_number

COL_ITEM, COL_VALUE, COL_SHEET, COL_ROW = range(4)
HEADERS = ("Detail", "Value", "Sheet", "Row")
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 3
#: group titles, in the order shown
GROUPS = {
    "disk": "Disks",
    "partition": "Partitions",
    "nic": "Network adapters",
    "snapshot": "Snapshots",
    "tools": "VMware Tools",
    "host": "Host",
    "cluster": "Cluster",
}
#: how the heading counts them
COUNTED = {
    "disk": "disk(s)",
    "partition": "partition(s)",
    "nic": "network adapter(s)",
    "snapshot": "snapshot(s)",
    "tools": "VMware Tools",
    "host": "host",
    "cluster": "cluster",
}
MIB_PER_GB = 1024


def _gb(mib: Any) -> str:
    return f"{format_number(round(float(mib) / MIB_PER_GB, 1))} GB"


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def describe(detail: dict[str, Any]) -> tuple[str, str]:
    """(name, summary) of one detail row as the section shows it."""
    a: dict[str, Any] = detail.get("attributes") or {}
    keys: dict[str, Any] = detail.get("keys") or {}
    kind = detail.get("kind")
    parts: list[str] = []
    if kind == "disk":
        if a.get("capacity_mib") is not None:
            parts.append(_gb(a["capacity_mib"]))
        if a.get("thin") is not None:
            parts.append("thin" if a["thin"] else "thick")
        parts += [str(a[k]) for k in ("mode", "controller") if a.get(k)]
        return str(a.get("disk") or "disk"), " · ".join(parts)
    if kind == "partition":
        used, size = a.get("consumed_mib"), a.get("capacity_mib")
        if used is not None and size:
            share = round(100 * float(used) / float(size))
            parts.append(f"{_gb(used)} used of {_gb(size)} provisioned ({share} %)")
        elif size is not None:
            parts.append(f"{_gb(size)} provisioned")
        if a.get("free_mib") is not None:
            parts.append(f"{_gb(a['free_mib'])} free")
        return str(a.get("disk") or "partition"), " · ".join(parts)
    if kind == "nic":
        parts += [str(a[k]) for k in ("network", "mac") if a.get(k)]
        addresses = [*(a.get("ipv4") or []), *(a.get("ipv6") or [])]
        if addresses:
            parts.append(", ".join(addresses))
        if a.get("connected") is not None:
            parts.append("connected" if a["connected"] else "not connected")
        return str(a.get("nic") or a.get("adapter") or "NIC"), " · ".join(parts)
    if kind == "snapshot":
        if a.get("created"):
            parts.append(str(a["created"]).replace("T", " ")[:16])
        if a.get("size_mib") is not None:
            parts.append(_gb(a["size_mib"]))
        if a.get("description"):
            parts.append(str(a["description"]))
        return str(a.get("name") or "snapshot"), " · ".join(parts)
    if kind == "tools":
        if a.get("version"):
            parts.append(f"version {a['version']}")
        if a.get("upgradeable") is not None:
            parts.append(f"upgradeable: {_yes(a['upgradeable'])}")
        if a.get("heartbeat"):
            parts.append(f"heartbeat {a['heartbeat']}")
        return str(a.get("status") or "tools"), " · ".join(parts)
    if kind == "host":
        parts += [str(a[k]) for k in ("esx_version", "model") if a.get(k)]
        if a.get("cores") is not None:
            parts.append(f"{a['cores']} cores")
        if a.get("memory_mib") is not None:
            parts.append(f"{_gb(a['memory_mib'])} memory")
        return str(keys.get("host") or "host"), " · ".join(parts)
    if kind == "cluster":
        if a.get("hosts") is not None:
            parts.append(f"{a['hosts']} hosts")
        if a.get("ha_enabled") is not None:
            parts.append(f"HA {'on' if a['ha_enabled'] else 'off'}")
        if a.get("drs_enabled") is not None:
            parts.append(f"DRS {a.get('drs_behavior') or 'on'}" if a["drs_enabled"] else "DRS off")
        return str(keys.get("cluster") or "cluster"), " · ".join(parts)
    return str(kind), ", ".join(f"{k}={v}" for k, v in a.items())


def lineage_tip(detail: dict[str, Any]) -> str:
    """File, sheet and row, then each value's source column and raw cell."""
    columns: dict[str, Any] = detail.get("columns") or {}
    raw: dict[str, Any] = detail.get("raw") or {}
    lines = [f"{detail.get('file') or '?'} — sheet {detail.get('sheet')}, row {detail.get('row')}"]
    lines += [f"{columns[k]}: {raw.get(k)!s}" for k in columns if columns.get(k)]
    if detail.get("match"):
        lines.append(f"joined to the VM by {str(detail['match']).replace('+', ' + ').replace('_', ' ')}")
    return "\n".join(lines)


class DetailsSection(QWidget):
    """A heading and one tree: a group per kind of detail, a row per disk, partition, NIC, ..."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lineageDetailsSection")
        self.title = QLabel("Details")
        self.title.setObjectName("lineageDetailsTitle")
        self.tree = QTreeWidget()
        self.tree.setObjectName("lineageDetails")
        self.tree.setColumnCount(len(HEADERS))
        self.tree.setHeaderLabels(list(HEADERS))
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for col, width in zip(range(len(HEADERS)), (190, 420, 90, 50), strict=True):
            self.tree.setColumnWidth(col, width)
        self.tree.header().setSectionResizeMode(COL_VALUE, QHeaderView.ResizeMode.Stretch)
        self._groups: dict[str, QTreeWidgetItem] = {}
        bold = QFont()
        bold.setBold(True)
        self._bold = bold
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        self.setVisible(False)

    def clear(self) -> None:
        self.tree.clear()
        self._groups.clear()
        self.setVisible(False)

    def show_details(self, details: list[dict[str, Any]]) -> None:
        """One group per kind present (in `GROUPS` order); hidden when the asset has none."""
        self.clear()
        if not details:
            return
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for detail in details:
            by_kind.setdefault(str(detail.get("kind")), []).append(detail)
        for kind in [*GROUPS, *(k for k in by_kind if k not in GROUPS)]:
            rows = by_kind.get(kind)
            if not rows:
                continue
            group = QTreeWidgetItem([f"{GROUPS.get(kind, kind)} ({len(rows)})", "", "", ""])
            group.setFont(COL_ITEM, self._bold)
            group.setFirstColumnSpanned(False)
            for detail in rows:
                name, summary = describe(detail)
                item = QTreeWidgetItem(
                    [name, summary, str(detail.get("sheet") or ""), str(detail.get("row") or "")]
                )
                item.setData(COL_ITEM, DETAIL_ROLE, detail)
                item.setTextAlignment(COL_ROW, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                tip = lineage_tip(detail)
                for col in range(len(HEADERS)):
                    item.setToolTip(col, tip)
                group.addChild(item)
            self.tree.addTopLevelItem(group)
            group.setExpanded(True)
            self._groups[kind] = group
        self.title.setText(
            "Details — " + ", ".join(f"{len(by_kind[k])} {COUNTED[k]}" for k in GROUPS if k in by_kind)
        )
        self.setVisible(True)

    # -- access (tests) ----------------------------------------------------------------------------

    def kinds(self) -> list[str]:
        """The kinds shown, in order."""
        return list(self._groups)

    def rows(self, kind: str) -> list[dict[str, str]]:
        """The texts shown for each detail of a kind, by column header (plus its tooltip)."""
        group = self._groups.get(kind)
        if group is None:
            return []
        out = []
        for i in range(group.childCount()):
            child = group.child(i)
            out.append(
                {**{h: child.text(c) for c, h in enumerate(HEADERS)}, "tooltip": child.toolTip(COL_ITEM)}
            )
        return out
