"""Normalising enumerations: the canonical value of each alias an export writes.

Environment, power state, criticality, asset type, OS family, architecture, operational status,
6R, complexity and virtualisation platform. The values and their aliases are data, read once from
`resources/value_enums.yaml` (ServiceNow choice labels, VMware / Hyper-V / Azure power states, the
German and French words). Aliases compare with everything but letters and digits removed, case
and accents folded ("Pre-Prod" = "preprod", "Élevé" = "eleve"); a choice label "<n> - <label>"
that is not listed itself is read by its label. A *closed* set reports an unknown value (rule
`enum`); an *open* set keeps it (lower-cased) so a new environment name is not lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.values.problems import Coerced, Problem
from core.values.resources import read_yaml
from core.values.text import fold

ENUMS_FILE = "value_enums.yaml"
#: a choice label with its number in front: "2 - somewhat critical", "3: Medium", "1. Production"
_NUMBERED_LABEL = re.compile(r"^\s*\d{1,3}\s*[-\u2013\u2014:.)]\s*(?=\S)(.*\D.*)$")


def _key(text: str) -> str:
    """Letters and digits only, folded (case, accents): the form aliases are compared in."""
    return re.sub(r"[^a-z0-9]+", "", fold(text))


@dataclass(frozen=True)
class EnumSet:
    """The canonical values of one enumerated field and the alias table they are read through."""

    field: str
    label: str
    closed: bool
    keep_case: bool
    table: Mapping[str, str]
    """`_key(alias)` -> canonical value (each canonical value is its own alias)."""

    @property
    def canonical(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.table.values())))

    def lookup(self, text: str) -> str | None:
        """The canonical value `text` stands for, or None when the set does not know it."""
        canon = self.table.get(_key(text))
        if canon is None:
            numbered = _NUMBERED_LABEL.match(text)
            if numbered is not None:
                canon = self.table.get(_key(numbered.group(1)))
        return canon


def _enum_set(name: str, raw: Mapping[str, Any]) -> EnumSet:
    values = raw.get("values")
    if not isinstance(values, Mapping) or not values:
        raise ValueError(f"{ENUMS_FILE}: {name} needs `values` (canonical value -> aliases)")
    table: dict[str, str] = {}
    for canon, aliases in values.items():
        for alias in (canon, *(aliases or ())):
            if not isinstance(alias, str):  # YAML reads on/off/yes/no unquoted as booleans
                kind = type(alias).__name__
                raise ValueError(f"{ENUMS_FILE}: {name}: quote {alias!r} (YAML reads it as a {kind})")
            key = _key(alias)
            if not key:
                raise ValueError(f"{ENUMS_FILE}: {name}: alias {alias!r} has no letter or digit")
            known = table.setdefault(key, canon)
            if known != canon:
                raise ValueError(f"{ENUMS_FILE}: {name}: {alias!r} means both {known!r} and {canon!r}")
    return EnumSet(
        field=name,
        label=str(raw.get("label") or name.replace("_", " ")),
        closed=bool(raw.get("closed", False)),
        keep_case=bool(raw.get("keep_case", False)),
        table=table,
    )


@lru_cache(maxsize=1)
def enum_sets() -> dict[str, EnumSet]:
    """The enumerated fields by name (read once from `resources/value_enums.yaml`)."""
    raw = read_yaml(ENUMS_FILE)
    return {str(name): _enum_set(str(name), spec) for name, spec in raw.items()}


def enum_set(field: str) -> EnumSet | None:
    """The enumeration of one field, or None when the field is not enumerated."""
    return enum_sets().get(field)


_LINUX_WORDS = (
    "linux",
    "rhel",
    "red hat",
    "redhat",
    "centos",
    "ubuntu",
    "debian",
    "suse",
    "sles",
    "oracle linux",
    "amazon linux",
    "rocky",
    "alma",
    "fedora",
    "photon",
    "coreos",
    "mint",
)
_UNIX_WORDS = ("aix", "solaris", "sunos", "hp-ux", "hpux", "freebsd", "openbsd", "netbsd", "unix", "tru64")


def os_family_of(os_name: str) -> str:
    """`windows`, `linux`, `unix` or `other` for an operating-system name."""
    low = os_name.casefold()
    if "windows" in low or low.startswith("win") or "microsoft" in low:
        return "windows"
    if any(w in low for w in _LINUX_WORDS):
        return "linux"
    if any(w in low for w in _UNIX_WORDS):
        return "unix"
    return "other"


def closed_set(enum: EnumSet) -> Callable[[str], Coerced]:
    """A normaliser that reports values outside the set (rule `enum`)."""

    def norm(text: str) -> Coerced:
        canon = enum.lookup(text)
        if canon is None:
            known = ", ".join(enum.canonical)
            return None, Problem("enum", f"{text!r} is not a known {enum.label} ({known})")
        return canon, None

    return norm


def open_set(enum: EnumSet) -> Callable[[str], Coerced]:
    """A normaliser that keeps values outside the set (lower-cased unless the set keeps case)."""

    def norm(text: str) -> Coerced:
        canon = enum.lookup(text)
        return (canon if canon is not None else (text if enum.keep_case else text.lower())), None

    return norm


def normalise_os_family(text: str) -> Coerced:
    """A family name (windows, linux, …) as written, else the family of an OS name."""
    enum = enum_set("os_family")
    canon = enum.lookup(text) if enum is not None else None
    return (canon or os_family_of(text)), None


def normaliser(enum: EnumSet) -> Callable[[str], Coerced]:
    """The normaliser of an enumerated field (OS family reads an OS name for its family)."""
    if enum.field == "os_family":
        return normalise_os_family
    return closed_set(enum) if enum.closed else open_set(enum)
