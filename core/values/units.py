"""The one unit table: header units, contract units and the spellings cells use, from resources/.

Read once from `resources/mapping_vocabulary.yaml` (`units`, `target_units`, `value_units` and
the unit entries of `protected_words`). The mapping vocabulary takes its units from here, so a
header "Mémoire (Go)", the suggester's scale and a cell "12 Go" in cleansing all agree on what
"Go" is. Factors are to each dimension's base unit (bytes, bytes/s, Hz, percent, ops/s, s).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from core.values.resources import read_yaml
from core.values.text import fold

VOCABULARY_FILE = "mapping_vocabulary.yaml"

#: words after a count that carry no unit ("4 cores", "2 sockets", "12 vCPU")
COUNT_WORDS = frozenset(
    {"core", "cores", "cpu", "cpus", "vcpu", "vcpus", "socket", "sockets", "disk", "disks", "thread",
     "threads", "x", "pcs", "stk"}
)  # fmt: skip

#: endings that make a size (or a count of operations) a rate: "MB/s", "KBps", "ops/s"
_PER_SECOND = ("/s", "/sec", "/second", "ps")


@dataclass(frozen=True)
class UnitInfo:
    """A unit read from a header, a cell or a target: its dimension and factor to the base unit."""

    dimension: str
    factor: float
    label: str


@dataclass(frozen=True, eq=False)
class UnitTable:
    """Every unit the project knows, and how a cell's unit text is read against them."""

    units: dict[str, UnitInfo]
    """Header tokens (folded) -> unit; also what a cell's unit is looked up in."""
    target_units: dict[str, UnitInfo]
    """Units of the contract fields by label ("GB", "MHz", "percent", "KB/s", "ops/s")."""
    written: dict[str, str]
    """Case-sensitive spellings (protected words: "MBps" bytes, "Mbps" bits) -> token of `units`."""
    value_aliases: dict[str, str]
    """Folded spellings only a cell uses ("m", "tbytes", "io") -> token of `units`."""
    _memo: dict[tuple[str, bool], UnitInfo | None] = field(default_factory=dict, repr=False)

    def read(self, text: str, *, value_spellings: bool = True) -> UnitInfo | None:
        """The unit a cell writes after its number ("MB", "Go", "MB/s", "Mbps", "%"), or None.

        `value_spellings=False` leaves out the cell-only aliases (single letters like "m"), for
        callers that guess rather than convert (value profiling).
        """
        key = (text, value_spellings)
        if key not in self._memo:
            if len(self._memo) > 10_000:
                self._memo.clear()
            self._memo[key] = self._read(text.strip(), value_spellings)
        return self._memo[key]

    def _read(self, text: str, value_spellings: bool) -> UnitInfo | None:
        token = self.written.get(text)
        if token is not None:
            return self.units[token]
        folded = fold(text).replace(" ", "")
        unit = self._token(folded, value_spellings)
        if unit is not None:
            return unit
        for suffix in _PER_SECOND:
            if folded.endswith(suffix) and len(folded) > len(suffix):
                base = self._token(folded[: -len(suffix)], value_spellings)
                if base is None:
                    continue
                if base.dimension == "data_size":
                    return UnitInfo("data_rate", base.factor, f"{base.label}/s")
                if base.dimension in ("data_rate", "ops_rate"):  # "Mbit/s", "ops/s"
                    return base
        return None

    def _token(self, folded: str, value_spellings: bool) -> UnitInfo | None:
        unit = self.units.get(folded)
        if unit is None and value_spellings and folded in self.value_aliases:
            unit = self.units.get(self.value_aliases[folded])
        return unit

    def dimension_of(self, target_label: str | None) -> str | None:
        """The dimension of a contract unit ("GB" -> data_size); None for no or unknown unit."""
        target = self.target_units.get(target_label or "")
        return target.dimension if target else None

    def is_contract_dimension(self, unit: UnitInfo) -> bool:
        """Whether some contract field is in this unit's dimension (sizes are, durations are not)."""
        return any(t.dimension == unit.dimension for t in self.target_units.values())

    def factor_to(self, unit: UnitInfo, target_label: str) -> float | None:
        """What a number in `unit` is multiplied by to be in the contract unit; None if they differ."""
        target = self.target_units.get(target_label)
        if target is None or target.dimension != unit.dimension:
            return None
        return unit.factor / target.factor


def _table(raw: dict[str, Any]) -> UnitTable:
    units: dict[str, UnitInfo] = {}
    for dimension, table in raw["units"].items():
        for token, factor in table.items():
            units[fold(str(token))] = UnitInfo(dimension, float(factor), str(token))
    target_units = {
        str(label): UnitInfo(str(spec["dimension"]), float(spec["factor"]), str(label))
        for label, spec in raw["target_units"].items()
    }
    written = {
        str(spelling): str(token).strip()
        for spelling, token in (raw.get("protected_words") or {}).items()
        if str(token).strip() in units
    }
    aliases = {fold(str(k)): fold(str(v)) for k, v in (raw.get("value_units") or {}).items()}
    unknown = sorted(k for k, v in aliases.items() if v not in units)
    if unknown:
        raise ValueError(f"{VOCABULARY_FILE}: value_units {unknown} name no unit of `units`")
    return UnitTable(units, target_units, written, aliases)


@lru_cache(maxsize=1)
def unit_table() -> UnitTable:
    """The unit table (read once)."""
    return _table(read_yaml(VOCABULARY_FILE))


def read_unit(text: str) -> UnitInfo | None:
    """A cell's unit text against the one table (see `UnitTable.read`)."""
    return unit_table().read(text)
