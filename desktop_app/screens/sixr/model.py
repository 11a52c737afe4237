"""Pure helpers of the 6R board: dispositions, grouping, and how a card reads.

Why apart from the widgets: the texts a consultant reads on a card, its tooltip and the detail
pane come from one recommendation dict (`core.queries.sixr`) and are tested without drawing.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from core.planning.sixr import DISPOSITIONS

#: what each disposition means, for column headers' tooltips
MEANING = {
    "rehost": "Lift and shift onto cloud VMs, unchanged",
    "replatform": "Move with a few changes (supported OS, managed database)",
    "refactor": "Re-architect for the cloud",
    "repurchase": "Replace with a SaaS product",
    "retire": "Switch off: no longer needed",
    "retain": "Keep where it is for now",
    "relocate": "Move the hypervisor as it is (e.g. VMware to a VMware cloud)",
}
#: column header colours (fill, ink): readable on the light theme
COLOURS = {
    "rehost": ("#dbeafe", "#1e3a8a"),
    "replatform": ("#ede9fe", "#4c1d95"),
    "refactor": ("#fce7f3", "#831843"),
    "repurchase": ("#dcfce7", "#14532d"),
    "retire": ("#fee2e2", "#7f1d1d"),
    "retain": ("#f3f4f6", "#1f2937"),
    "relocate": ("#ffedd5", "#7c2d12"),
}


def by_disposition(recs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Recommendations per disposition, every disposition present (empty lists too), in board order."""
    out: dict[str, list[dict[str, Any]]] = {d: [] for d in DISPOSITIONS}
    for r in recs:
        out.setdefault(r["disposition"], []).append(r)
    return out


def kind_of(rec: dict[str, Any]) -> str:
    return "application" if rec["application"] is not None else "asset"


def card_text(rec: dict[str, Any]) -> str:
    """Two or three lines: name; confidence and asset count; who overrode it."""
    n = len(rec["assets"])
    second = f"{rec['confidence']:.0%}" + (
        f" · {n} asset{'s' if n != 1 else ''}" if rec["application"] else " · asset"
    )
    lines = [rec["label"], second]
    if rec["override"]:
        lines.append(f"✎ overridden by {rec['override']['by']}")
    return "\n".join(lines)


def when(text: str | None) -> str:
    return dt.datetime.fromisoformat(text).strftime("%d %b %Y %H:%M") if text else ""


def tooltip(rec: dict[str, Any]) -> str:
    """The reasons, one a line, so they show on hover without opening anything."""
    head = f"{rec['label']} — {rec['disposition']} ({rec['confidence']:.0%})"
    return "\n".join([head, *(f"• {r}" for r in rec["reasons"])])


def detail_html(rec: dict[str, Any]) -> str:
    """The detail pane: disposition, override (who, when, why), reasons and assets."""
    parts = [
        f"<h3 style='margin:0'>{escape(rec['label'])}</h3>",
        f"<p>{escape(kind_of(rec).capitalize())} · <b>{escape(rec['disposition'])}</b> · "
        f"confidence {rec['confidence']:.0%}</p>",
    ]
    o = rec["override"]
    if o:
        parts.append(
            "<p style='background:#fef3c7;color:#78350f;padding:4px'>"
            f"✎ Overridden to <b>{escape(o['disposition'])}"
            f"</b> by {escape(o['by'])} on {escape(when(o['at']))}<br>Reason: {escape(o['reason'])}</p>"
        )
    parts.append("<b>Reasons</b><ul style='margin-top:2px'>")
    parts += [f"<li>{escape(r)}</li>" for r in rec["reasons"]] or ["<li>none recorded</li>"]
    parts.append(f"</ul><b>Assets ({len(rec['assets'])})</b><ul style='margin-top:2px'>")
    parts += [f"<li>{escape(a)}</li>" for a in rec["assets"]]
    parts.append("</ul>")
    return "".join(parts)
