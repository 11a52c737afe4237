"""Column widths of the mapping grid: sized to their content, and the reason always gets room.

Why a function of plain numbers: at the default 1360×840 window the grid has about 1,000 pixels for
eight columns. Each column asks for its content (capped); the explanation takes the rest but never
less than `REASON_MIN` — when the room is short the sample values give way first (the preview pane
shows them), then the source and target columns, each down to a floor. Long texts are elided in
the middle and carry a tooltip, so look-alike headers ("OS according to the …") stay distinct.
"""

from __future__ import annotations

from collections.abc import Mapping

from desktop_app.screens.mapping_review.model import (
    COL_CONFIDENCE,
    COL_EXPLANATION,
    COL_MATCH,
    COL_SAMPLES,
    COL_SOURCE,
    COL_STATUS,
    COL_TARGET,
)

REASON_MIN = 250
"""The explanation column's least width (px) when the others are sized."""

CAPS = {COL_SOURCE: 240, COL_SAMPLES: 220, COL_TARGET: 200, COL_MATCH: 100, COL_STATUS: 110}
"""The most a column asks for, whatever its content (the tooltip has the rest)."""

FLOORS = {COL_SOURCE: 160, COL_SAMPLES: 100, COL_TARGET: 120}
"""How far a column gives way when the room is short."""

GIVE_WAY = ((COL_SAMPLES,), (COL_SOURCE, COL_TARGET))
"""Who gives way first: the samples alone, then source and target in proportion to their slack."""

FIXED = {COL_CONFIDENCE: 96}


def fit_widths(
    wanted: Mapping[int, int], available: int, headers: Mapping[int, int] | None = None
) -> dict[int, int]:
    """Widths of every column but the explanation (which stretches over what is left).

    `wanted`: the content width of each column (header included; COL_ACTIONS its painted buttons);
    `available`: the viewport width; `headers`: the width of each header's text — no column gives
    way below it, so a header is never cut.
    """
    headers = headers or {}
    floors = {col: max(floor, headers.get(col, 0)) for col, floor in FLOORS.items()}
    widths = {
        col: max(min(w, CAPS.get(col, w)), headers.get(col, 0))
        for col, w in wanted.items()
        if col != COL_EXPLANATION
    }
    widths.update({col: max(widths.get(col, 0), w) for col, w in FIXED.items()})
    short = sum(widths.values()) + REASON_MIN - available
    for group in GIVE_WAY:
        if short <= 0:
            break
        slack = {col: max(0, widths[col] - floors[col]) for col in group if col in widths}
        total = sum(slack.values())
        if total <= 0:
            continue
        take = min(short, total)
        for col, s in slack.items():
            cut = round(take * s / total)
            widths[col] -= cut
            short -= cut
    return widths
