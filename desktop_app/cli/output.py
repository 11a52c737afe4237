"""How CLI commands print machine-readable results (the one `print_json`)."""

from __future__ import annotations

import json
import sys


def print_json(data: object) -> None:
    """One JSON document on stdout, non-ASCII kept, flushed (scripts read it line by line)."""
    json.dump(data, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()
