"""Text folding for headers, vocabulary and values: `core.values.text.fold`, under its mapping name.

One function, so that "Größe", "groesse" and "GROSSE" and "Système" / "systeme" compare equal
everywhere (headers, synonyms and sample values alike).
"""

from __future__ import annotations

from core.values.text import fold

__all__ = ["fold"]
