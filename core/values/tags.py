"""Tags (the `tags` JSON field) from the ways exports write them.

JSON text, `k:v, k:v`, `k=v; k=v`, or a list of labels; a bare label maps to null.
"""

from __future__ import annotations

import json
import re
from typing import Any

from core.values.problems import Coerced, Problem

_PAIR_SPLIT = re.compile(r"\s*[;,|\n]\s*")


def parse_tags(text: str) -> Coerced:
    """Key/value tags from JSON text, `k:v, k:v` or `k=v; k=v`; a bare label maps to null."""
    s = text.strip()
    if s[:1] in "{[":
        try:
            parsed = json.loads(s)
        except ValueError:
            return None, Problem("json", f"{s[:60]!r} looks like JSON but does not parse")
        if isinstance(parsed, dict):
            return parsed, None
        if isinstance(parsed, list):
            return parse_tags(", ".join(str(p) for p in parsed))
        return None, Problem("json", "tags must be an object or a list")
    tags: dict[str, Any] = {}
    for part in _PAIR_SPLIT.split(s):
        if not part:
            continue
        key, sep, value = part.partition("=") if "=" in part else part.partition(":")
        key = key.strip()
        if not key:
            return None, Problem("json", f"tag {part!r} has no key")
        tags[key] = value.strip() if sep else None
    return (tags or None), None
