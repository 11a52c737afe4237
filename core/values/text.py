"""Text folding shared by headers, vocabulary and values.

One function, so that "Größe", "groesse" and "GROSSE" and "Système" / "systeme" compare equal
everywhere (headers, synonyms and sample values alike). It lives at the bottom of the value
pipeline because every parser above it (booleans, value maps, units) compares folded text.
"""

from __future__ import annotations

import unicodedata

_SPECIAL = str.maketrans(
    {"ß": "ss", "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ð": "d", "þ": "th", "ı": "i"}
)


def fold(text: str) -> str:
    """Lower-case, NFKC, accents removed (ü -> u, é -> e), ß -> ss; whitespace collapsed."""
    if text.isascii():  # the same result without the Unicode passes (most values are ASCII)
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKC", text).translate(_SPECIAL).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())
