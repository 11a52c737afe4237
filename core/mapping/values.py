"""Value evidence: what the sample values of a column look like.

Names lie more often than values: a "Memory" column holding 12.5, 63.1, 88.0 is a percentage,
an "NTP Server" column holds IP addresses yet is no ip_address. The profile computed here is
used both to propose fields from distinctive values and to confirm or veto name evidence.
Numbers, units and the "no value" words are the value pipeline's (`core.values`), so a profile
reads "1.234,5", "12 Go" or "n/a" as the preview and cleansing will.
"""

from __future__ import annotations

import ipaddress
import math
import re
import statistics
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from core.mapping.text import fold
from core.mapping.vocabulary import Vocabulary, load_vocabulary
from core.values.dates import guess_date_format
from core.values.empty import EMPTY_VALUES
from core.values.numbers import PLAIN_NUMBER as _NUMBER
from core.values.numbers import parse_plain_number as parse_number
from core.values.units import UnitInfo, unit_table

__all__ = ["EMPTY_VALUES", "MAX_SAMPLES", "ValueProfile", "kind_fit", "profile_values", "value_fingerprint"]

MAX_SAMPLES = 200

_IPV4 = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$")
_CIDR = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)/(?:3[0-2]|[12]?\d)$")
_MAC = re.compile(r"^(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}$|^(?:[0-9a-f]{4}\.){2}[0-9a-f]{4}$", re.IGNORECASE)
_LIST_SPLIT = re.compile(r"\s*[,;|]\s*|\s+")
_FQDN = re.compile(
    r"^(?=.{4,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}\.?$", re.I
)
_HOSTNAME = re.compile(r"^(?=.*[a-z])[a-z0-9][a-z0-9_-]{0,62}$", re.IGNORECASE)
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_UUID = re.compile(r"^[{(]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[})]?$", re.IGNORECASE)
_HEX_ID = re.compile(r"^[0-9a-f]{16,40}$", re.IGNORECASE)
_MOREF = re.compile(
    r"^(?:vm|host|datastore|domain-[cs]|resgroup|network|dvportgroup|group-[vhdn]|datacenter|dvs|vapp)-\d+$",
    re.IGNORECASE,
)
_VMWARE_SERIAL = re.compile(r"^vmware-[0-9a-f]{2}(?:\s?[0-9a-f]{2}){7}", re.IGNORECASE)
_INT = re.compile(r"^[+-]?\d+$")
_NUMBER_UNIT = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*([^\d\s][^\d]*)$")
#: dimensions a value's own unit may carry in a profile (a "5 s" column is no size or rate)
_PROFILE_DIMENSIONS = frozenset({"data_size", "data_rate", "frequency", "percent", "ops_rate"})
_VERSION = re.compile(r"^v?\d+(?:\.\d+){1,3}(?:[ .-]?[a-z0-9]+)*$|^\d+\s?(?:sp\d|r\d|u\d)", re.IGNORECASE)
_TAGS = re.compile(r"^[\w .@/-]+\s*[:=]\s*[^,;:=]*(?:\s*[,;]\s*[\w .@/-]+\s*[:=]\s*[^,;:=]*)*$")
_PERSON = re.compile(
    r"^[A-ZÀ-Þ][a-zà-ÿ'’-]+(?:\s+[A-ZÀ-Þ][a-zà-ÿ'’-]+){1,3}$|^[A-ZÀ-Þ][a-zà-ÿ'-]+,\s*[A-ZÀ-Þ][a-zà-ÿ'-]+$"
)
_HAS_LETTER = re.compile(r"[^\W\d_]")
_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")


@dataclass
class ValueProfile:
    """Shape of a column's sample values (fractions are over non-empty values)."""

    total: int = 0
    nonempty: int = 0
    kinds: dict[str, float] = field(default_factory=dict)
    enums: dict[str, float] = field(default_factory=dict)
    numbers: list[float] = field(default_factory=list)
    value_units: Counter[str] = field(default_factory=Counter)
    distinct_ratio: float = 0.0
    distinct: int = 0
    date_format: str | None = None
    list_separator: str | None = None
    examples: tuple[str, ...] = ()
    padded: bool = False

    def frac(self, kind: str) -> float:
        return self.kinds.get(kind, 0.0)

    @property
    def empty(self) -> bool:
        return self.nonempty == 0

    @property
    def median(self) -> float | None:
        return statistics.median(self.numbers) if self.numbers else None

    @property
    def max(self) -> float | None:
        return max(self.numbers) if self.numbers else None

    @property
    def min(self) -> float | None:
        return min(self.numbers) if self.numbers else None

    @property
    def numeric(self) -> float:
        return self.frac("number")

    def decimals_share(self) -> float:
        if not self.numbers:
            return 0.0
        return sum(1 for x in self.numbers if not float(x).is_integer()) / len(self.numbers)

    def power_of_two_share(self) -> float:
        """Share of numbers near a power of two (memory sizes are; percentages are not)."""
        if not self.numbers:
            return 0.0
        hits = 0
        for x in self.numbers:
            if x <= 0:
                continue
            exp = round(math.log2(x))
            if abs(x - 2**exp) <= 0.04 * 2**exp:
                hits += 1
        return hits / len(self.numbers)

    def looks_like_percent(self) -> bool:
        """Non-integer numbers between 0 and 100 that are not memory-like powers of two."""
        if self.numeric < 0.9 or len(self.numbers) < 3:
            return False
        lo, hi = self.min or 0.0, self.max or 0.0
        return lo >= 0 and hi <= 100 and self.decimals_share() >= 0.5 and self.power_of_two_share() < 0.5

    def range_text(self) -> str:
        if not self.numbers:
            return ""
        lo, hi = self.min, self.max
        return f"{_fmt(lo)}–{_fmt(hi)}" if lo != hi else _fmt(lo)


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _value_unit(text: str) -> UnitInfo | None:
    """The unit a profiled value carries ("16 GB", "2 MB/s", "45 %"), from the one unit table."""
    unit = unit_table().read(text, value_spellings=False)
    return unit if unit is not None and unit.dimension in _PROFILE_DIMENSIONS else None


def _is_ip(text: str) -> bool:
    if _IPV4.match(text):
        return True
    if ":" in text and text.count(":") >= 2:
        try:
            ipaddress.IPv6Address(text.split("%")[0])
        except ValueError:
            return False
        return True
    return False


#: words that may follow a database engine's name in one value ("SQL Server 2016 Standard")
_EDITION_WORDS = frozenset(
    {"express", "standard", "enterprise", "developer", "web", "workgroup", "datacenter", "community"}
    | {"edition", "server", "ee", "se", "xe"}
)


def _engine_with_release(v: str, table: Collection[str]) -> bool:
    """A database engine named with its release or edition ("oracle 19c", "mysql 5.7 community"):
    CMDBs put both in one column; the engine's name must lead, a version or edition follow."""
    words = v.split()
    for k in range(len(words) - 1, 0, -1):
        rest = words[k]
        if " ".join(words[:k]) in table and (any(ch.isdigit() for ch in rest) or rest in _EDITION_WORDS):
            return True
    return False


def _enum_hits(folded: Sequence[str], vocab: Vocabulary) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, table in vocab.enumerations.items():
        hits = 0
        for v in folded:
            if (
                v in table
                or (name == "manufacturer" and v.split(" ")[0].rstrip(",") in table)
                or (name == "database_engine" and _engine_with_release(v, table))
            ):
                hits += 1
        if hits:
            out[name] = hits / len(folded)
    return out


_ValueShape = tuple[frozenset[str], float | None, str | None, str | None]
"""What one value contributes to a profile: its kinds, its number, its unit label, its list separator."""


def _value_shape(v: str, fv: str, vocab: Vocabulary) -> _ValueShape:
    """The kinds (and number, unit, list separator) of one non-empty value; `fv` is it folded."""
    kinds: set[str] = set()
    number: float | None = None
    unit_label: str | None = None
    separator: str | None = None
    if _HAS_LETTER.search(v):
        kinds.add("text")
    if _IPV4.match(v):
        kinds.add("ipv4")
    elif _is_ip(v):
        kinds.add("ipv6")
    elif _CIDR.match(v):
        kinds.add("cidr")
    elif _MAC.match(v):
        kinds.add("mac")
    else:
        parts = [p for p in _LIST_SPLIT.split(v) if p]
        if len(parts) >= 2 and all(_is_ip(p) for p in parts):
            kinds.add("ip_list")
            separator = _separator(v)
        elif len(parts) >= 2 and all(_MAC.match(p) for p in parts):
            kinds.add("mac_list")
            separator = _separator(v)
    if _UUID.match(v):
        kinds.add("uuid")
    elif _HEX_ID.match(v) and not v.isdigit():
        kinds.add("hex_id")
    if _MOREF.match(v):
        kinds.add("moref")
    if _VMWARE_SERIAL.match(v):
        kinds.add("vmware_serial")
    if _EMAIL.match(v):
        kinds.add("email")
    plain = not kinds & {"ipv4", "ipv6", "cidr", "email"}
    if plain and _FQDN.match(v) and not _NUMBER.match(v) and not _VERSION.match(v):
        kinds.add("fqdn")
    if _HOSTNAME.match(v) and not _MOREF.match(v):
        kinds.add("hostname")
    num = parse_number(v)
    if num is not None:
        kinds.add("number")
        number = num
        if _INT.match(v.strip()) or float(num).is_integer():
            kinds.add("integer")
    else:
        m = _NUMBER_UNIT.match(v)
        unit = _value_unit(m.group(2)) if m else None
        if m and unit is not None:
            parsed = parse_number(m.group(1))
            if parsed is not None:
                kinds.add("number")
                number = parsed
                unit_label = unit.label
    if fv in vocab.booleans:
        kinds.add("boolean")
    if vocab.os_any.search(v) if vocab.os_any else any(p.search(v) for p in vocab.os_patterns):
        kinds.add("os_name")
    if vocab.cpu_any.search(v) if vocab.cpu_any else any(p.search(v) for p in vocab.cpu_patterns):
        kinds.add("cpu_model")
    if _VERSION.match(v):
        kinds.add("version")
    if _TAGS.match(v) and not kinds & {"mac", "ipv6", "ip_list", "mac_list"} and not _TIME_OF_DAY.match(v):
        kinds.add("tags")
    if _PERSON.match(v):
        kinds.add("person")
    return frozenset(kinds), number, unit_label, separator


_FINGERPRINTS: dict[tuple[str, ...], str] = {}
"""Fingerprints of recently profiled samples: the suggester profiles a column, then the review
fingerprints the same samples (and learned decisions once more); the profile is made once."""
_FINGERPRINTS_KEPT = 4096


def profile_values(samples: Sequence[str], *, vocab: Vocabulary | None = None) -> ValueProfile:
    """Profile up to MAX_SAMPLES values of one column.

    Each distinct value is examined once (a column of 200 samples often holds a handful of
    values), its shape counted as often as it occurs.
    """
    default = vocab is None
    vocab = vocab or load_vocabulary()
    raw = [("" if s is None else str(s)) for s in list(samples)[:MAX_SAMPLES]]
    prof = _profile(raw, vocab)
    if default:
        if len(_FINGERPRINTS) >= _FINGERPRINTS_KEPT:
            _FINGERPRINTS.clear()
        _FINGERPRINTS[tuple(raw)] = _fingerprint(prof)
    return prof


def _profile(raw: list[str], vocab: Vocabulary) -> ValueProfile:
    folds: dict[str, str] = {}

    def folded_of(text: str) -> str:
        out = folds.get(text)
        if out is None:
            out = folds[text] = fold(text)
        return out

    padded = any(s != s.strip() for s in raw if s.strip())
    values = [v for v in (s.strip() for s in raw) if folded_of(v) not in EMPTY_VALUES]
    prof = ValueProfile(total=len(raw), nonempty=len(values), padded=padded)
    if not values:
        return prof
    n = len(values)
    counts: Counter[str] = Counter()
    numbers: list[float] = []
    folded = [folds[v] for v in values]
    seps: Counter[str] = Counter()
    shapes: dict[str, _ValueShape] = {}
    for v, fv in zip(values, folded, strict=True):
        shape = shapes.get(v)
        if shape is None:
            shape = shapes[v] = _value_shape(v, fv, vocab)
        kinds, number, unit_label, separator = shape
        counts.update(kinds)
        if number is not None:
            numbers.append(number)
        if unit_label is not None:
            prof.value_units[unit_label] += 1
        if separator is not None:
            seps[separator] += 1
    date_share, datetime_share, fmt = guess_date_format(values)
    if date_share:
        counts["date"] = round(date_share * n)
        counts["datetime"] = round(datetime_share * n)
        prof.date_format = fmt
        if date_share >= 0.8:  # "2026-04-20" is no version or number
            for k in ("version", "number", "integer", "hostname"):
                counts.pop(k, None)
            numbers = []
    prof.kinds = {k: c / n for k, c in counts.items()}
    prof.enums = _enum_hits(folded, vocab)
    prof.numbers = numbers
    prof.distinct = len(set(folded))
    prof.distinct_ratio = prof.distinct / n
    prof.examples = tuple(dict.fromkeys(values))[:3]
    if seps:
        prof.list_separator = seps.most_common(1)[0][0]
    elif sum(1 for v in values if "," in v and not _NUMBER.match(v)) >= 0.3 * n:
        prof.list_separator = ","
    return prof


def _separator(text: str) -> str:
    for sep in (";", ",", "|"):
        if sep in text:
            return sep
    return " "


def kind_fit(profile: ValueProfile, kinds: Sequence[str]) -> float:
    """Share of values that fit any of `kinds` (enum:<name> for enumerations)."""
    best = 0.0
    for kind in kinds:
        if kind.startswith("enum:"):
            name = kind[5:]
            share = profile.enums.get(name, 0.0)
            if name == "virtual_physical":
                share = max(share, profile.frac("boolean"))
        elif kind == "number":
            share = profile.frac("number")
        elif kind == "integer":
            share = profile.frac("integer")
        elif kind == "boolean":
            share = max(profile.frac("boolean"), profile.enums.get("virtual_physical", 0.0))
        else:
            share = profile.frac(kind)
        best = max(best, share)
    return best


def value_fingerprint(samples: Sequence[str]) -> str:
    """A short, stable description of a column's value shape, for matching learned decisions.

    Two columns get the same fingerprint when their values are of the same dominant kind and
    magnitude (e.g. 'number:int:e4' for memory in MB, 'ipv4' for addresses), whatever the
    exact values — so a decision learned on one export applies to the next export of that tool.
    """
    raw = tuple(("" if s is None else str(s)) for s in list(samples)[:MAX_SAMPLES])
    known = _FINGERPRINTS.get(raw)
    return known if known is not None else _fingerprint(profile_values(raw))


def _fingerprint(prof: ValueProfile) -> str:
    if prof.empty:
        return "empty"
    order = (
        "moref",
        "vmware_serial",
        "uuid",
        "mac",
        "ipv4",
        "ipv6",
        "ip_list",
        "cidr",
        "email",
        "date",
        "boolean",
        "os_name",
        "cpu_model",
        "fqdn",
        "tags",
        "number",
        "version",
        "hostname",
        "text",
    )
    kind = next((k for k in order if prof.frac(k) >= 0.8), "mixed")
    if kind == "number":
        med = prof.median or 0.0
        exp = math.floor(math.log10(abs(med))) if med else 0
        sub = "int" if prof.frac("integer") >= 0.95 else "dec"
        kind = f"number:{sub}:e{exp}"
    elif kind == "date":
        kind = "datetime" if prof.frac("datetime") >= 0.8 else "date"
    enum = max(prof.enums.items(), key=lambda kv: kv[1], default=(None, 0.0))
    if enum[0] and enum[1] >= 0.8 and kind in ("text", "hostname", "mixed", "boolean"):
        kind = f"enum:{enum[0]}"
    return kind
