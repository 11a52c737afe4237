"""Load the heavy parts of the core once, in the background, right after the database opens.

Why: the first import and the first mapping suggestion of a session load C extensions (encoding
detection, fuzzy matching, validation models) and build the matcher's indexes; loading a C
extension holds the GIL, so doing it in the middle of the first import froze the GUI thread for
~90 ms. Done here, while the consultant is still looking at a freshly opened window, the first
import runs without a stall. The optional semantic model is not loaded (it is far too slow).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def warm_up(_core: object = None) -> None:
    """Import and exercise the import and mapping code paths on tiny inputs (no database)."""
    try:
        import core.imports  # noqa: F401
        from core.ingest import open_table
        from core.mapping import load_target_schema, suggest_mappings

        load_target_schema()
        with tempfile.TemporaryDirectory(prefix="md-warmup-") as tmp:
            sample = Path(tmp) / "warmup.csv"
            sample.write_text("Hostname;IP Address;RAM (MB)\nsrv1;10.0.0.1;4096\n", encoding="utf-8")
            with open_table(sample) as table:
                rows = table.sample(5)
        suggest_mappings([("Hostname", [r[0] for r in rows]), ("RAM (MB)", ["4096"])], use_semantic=False)
    except Exception:  # warming is an optimisation; a failure here must never bother the user
        log.debug("warm-up failed", exc_info=True)
