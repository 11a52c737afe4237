"""Chart data of the tech-debt screen: findings by OS/DB family and by end-of-support year.

Why bars from `BarChart` (desktop_app/screens/assets/charts.py): PySide6-Essentials ships no
QtCharts, and the painted chart already reads well in both themes. The bars follow the table's
filter, so a consultant can narrow to one family or status and see its years.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor

from desktop_app.screens.assets.charts import BAR_HEIGHT, VALUE_WIDTH, Bar, BarChart
from desktop_app.screens.techdebt.model import COMPONENTS
from desktop_app.screens.techdebt.status import LIFECYCLE, status_of
from desktop_app.theme import colors

NO_DATE = "No date known"


class LabelledChart(BarChart):
    """A `BarChart` giving its labels half the width: product names are long, the panel narrow."""

    def track_rect(self, i: int) -> QRect:
        row = self.row_rect(i)
        left = row.left() + min(230, row.width() // 2)
        width = max(20, row.right() - (VALUE_WIDTH - 16) - left)
        return QRect(left, row.center().y() - BAR_HEIGHT // 2, width, BAR_HEIGHT)


def _worst(statuses: Counter[str]) -> str:
    return next((s for s in LIFECYCLE if statuses.get(s)), "unknown")


def _breakdown(statuses: Counter[str]) -> str:
    return ", ".join(f"{statuses[s]} {status_of(s).label.lower()}" for s in LIFECYCLE if statuses.get(s))


def family_bars(rows: Sequence[dict[str, Any]]) -> list[Bar]:
    """One bar per component and product, most findings first; coloured by its worst status."""
    groups: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in rows:
        groups[(str(r.get("component")), r.get("product") or "Not recognised")][str(r.get("status"))] += 1
    top = max((sum(c.values()) for c in groups.values()), default=0)
    ordered = sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    bars = []
    for (component, product), statuses in ordered:
        n = sum(statuses.values())
        label = f"{COMPONENTS.get(component, component)} · {product.removeprefix('Microsoft ')}"
        bars.append(
            Bar(label, n, top, f"{n:,}", status_of(_worst(statuses)).fill, f"{label}: {_breakdown(statuses)}")
        )
    return bars


def year_bars(rows: Sequence[dict[str, Any]], as_of: dt.date | None) -> list[Bar]:
    """One bar per end-of-support year (past years in the end-of-support colour), then no date."""
    years: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        day = r.get("end_of_support")
        years[str(day)[:4] if day else NO_DATE][str(r.get("status"))] += 1
    top = max((sum(c.values()) for c in years.values()), default=0)
    this_year = as_of.year if as_of else dt.date.today().year
    bars = []
    for year in sorted(years, key=lambda y: (y == NO_DATE, y)):
        statuses = years[year]
        n = sum(statuses.values())
        colour: QColor
        if year == NO_DATE:
            colour = status_of("unknown").fill
        elif int(year) < this_year:
            colour = status_of("eol").fill
        elif int(year) <= this_year + 1:
            colour = status_of("eol_12m").fill
        else:
            colour = status_of("supported").fill
        bars.append(Bar(year, n, top, f"{n:,}", colour or colors().accent, f"{year}: {_breakdown(statuses)}"))
    return bars
