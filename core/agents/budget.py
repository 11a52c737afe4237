"""What one prompt may carry: bounded samples, never whole files (the documented budget).

Per crew run at most `MAX_COLUMNS` columns are sent — the consultant names them
(`agents run ... --column NAME`, repeatable), else the first `MAX_COLUMNS` candidates in file order
are reviewed and the run says which it left out (`choose_columns`); per column at most `MAX_SAMPLE_VALUES`
distinct values of at most `MAX_VALUE_CHARS` characters each; a tool's answer is clipped to
`MAX_TOOL_CHARS`; the task text to `MAX_TASK_CHARS`; and no HTTP request may exceed
`MAX_REQUEST_BYTES` — the transport refuses a larger one before it leaves the machine (the
conversation of a task, with its tool results, is what grows). With `mask_pii` e-mail addresses,
phone numbers and IP addresses are replaced by their class (`<email>`, `<phone>`, `<ipv4>`,
`<ipv6>`) before anything is sent; the profile's shapes and counts stay.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import UserInputError

MAX_COLUMNS = 40
COLUMN_OPTION = "--column NAME"
MAX_SAMPLE_VALUES = 12
MAX_VALUE_CHARS = 80
MAX_TOOL_CHARS = 4_000
MAX_TASK_CHARS = 8_000
MAX_REQUEST_BYTES = 64_000

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"\b(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}\b")
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d ()/-]{7,}\d(?![\w.])")


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, saying that it was cut."""
    if len(text) <= limit:
        return text
    marker = f"… [cut: {len(text) - limit} more characters]"
    return text[: max(0, limit - len(marker))] + marker


def mask(text: str) -> str:
    """PII-looking parts of a value replaced by their class."""
    text = _EMAIL.sub("<email>", text)
    text = _IPV6.sub("<ipv6>", text)
    text = _IPV4.sub("<ipv4>", text)
    return _PHONE.sub("<phone>", text)


def value(text: object, mask_pii: bool) -> str:
    """One sample value as it may appear in a prompt."""
    out = str(text)
    if mask_pii:
        out = mask(out)
    return clip(out, MAX_VALUE_CHARS)


@dataclass(frozen=True)
class ColumnChoice:
    """The columns a run reviews and the candidates it leaves out (so the cap is never silent)."""

    reviewed: list[str]
    left_out: list[str]
    chosen: bool  # named by the consultant (`--column`), not the first MAX_COLUMNS candidates


def choose_columns(candidates: Sequence[str], requested: Sequence[str] | None = None) -> ColumnChoice:
    """The first `MAX_COLUMNS` candidates, or the `requested` ones (at most `MAX_COLUMNS`, no repeats).

    `left_out` lists the candidates this run does not review, in their order.
    """
    if not requested:
        reviewed = list(candidates[:MAX_COLUMNS])
        return ColumnChoice(reviewed, list(candidates[MAX_COLUMNS:]), chosen=False)
    reviewed = list(dict.fromkeys(requested))
    if len(reviewed) > MAX_COLUMNS:
        raise UserInputError(
            f"{len(reviewed)} columns named; an AI crew reviews at most {MAX_COLUMNS} per run",
            hint=f"name at most {MAX_COLUMNS} with {COLUMN_OPTION}, and run the crew again for the rest",
        )
    picked = set(reviewed)
    return ColumnChoice(reviewed, [c for c in candidates if c not in picked], chosen=True)


def fewer_columns_hint(flow_id: object, crew: str) -> str:
    """The recovery hint of a run over the request budget: how to choose fewer columns."""
    return (
        f"review fewer columns at a time: `migration-discovery agents run {flow_id} --crew {crew} "
        f"{COLUMN_OPTION}` (repeatable) names the columns to review"
    )
