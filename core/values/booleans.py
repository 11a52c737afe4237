"""The one yes/no parser, for rule application and cleansing alike.

Words in English, German and French, the usual 1/0, on/off, x, and the machine-kind words of
`is_virtual` columns (Virtual/VM -> true, Physical/Bare metal -> false). Compared folded, so
"Sí", "SI" and "si" are one word. An `invert` rule is the caller's business.
"""

from __future__ import annotations

from core.values.text import fold

TRUE_WORDS = frozenset(
    {"true", "t", "yes", "y", "1", "on", "ja", "j", "oui", "vrai", "x", "enabled", "active", "wahr", "si",
     "virtual", "vm", "virtualmachine", "virtual machine"}
)  # fmt: skip
FALSE_WORDS = frozenset(
    {"false", "f", "no", "n", "0", "off", "nein", "non", "faux", "disabled", "inactive", "falsch",
     "physical", "phys", "physicalmachine", "physical machine", "bare metal", "baremetal"}
)  # fmt: skip


def parse_bool(text: str) -> bool | None:
    """True or False for a yes/no word; None when the text is none."""
    folded = fold(text)
    if folded in TRUE_WORDS:
        return True
    if folded in FALSE_WORDS:
        return False
    return None
