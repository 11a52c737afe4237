"""Value evidence: what the sample values of a column look like.

Names lie more often than values: a "Memory" column holding 12.5, 63.1, 88.0 is a percentage,
an "NTP Server" column holds IP addresses yet is no ip_address. The profile computed here is
used both to propose fields from distinctive values and to confirm or veto name evidence.
"""

from __future__ import annotations

import ipaddress
import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.mapping.text import fold
from core.mapping.vocabulary import Vocabulary, load_vocabulary

MAX_SAMPLES = 200
EMPTY_VALUES = frozenset(
    {
        "",
        "n/a",
        "na",
        "-",
        "--",
        "null",
        "none",
        "unknown",
        "tbd",
        "?",
        "#n/a",
        "nan",
        "(null)",
        "(empty)",
        "nil",
        "n.a.",
        "k.a.",
        "-/-",
        "<none>",
        "<null>",
        "not set",
        "not available",
    }
)

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
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|\d{1,3}(?:[,. ']\d{3})+(?:[.,]\d+)?|[.,]\d+)$")
_NUMBER_UNIT = re.compile(
    r"^([+-]?\d+(?:[.,]\d+)?)\s*(%|[kmgtp]i?b|bytes?|[kmg]hz|hz|[kmg]b/s|[kmg]bps|iops|mo|go|to|ko)$", re.I
)
_VERSION = re.compile(r"^v?\d+(?:\.\d+){1,3}(?:[ .-]?[a-z0-9]+)*$|^\d+\s?(?:sp\d|r\d|u\d)", re.IGNORECASE)
_TAGS = re.compile(r"^[\w .@/-]+\s*[:=]\s*[^,;:=]*(?:\s*[,;]\s*[\w .@/-]+\s*[:=]\s*[^,;:=]*)*$")
_PERSON = re.compile(
    r"^[A-ZÀ-Þ][a-zà-ÿ'’-]+(?:\s+[A-ZÀ-Þ][a-zà-ÿ'’-]+){1,3}$|^[A-ZÀ-Þ][a-zà-ÿ'-]+,\s*[A-ZÀ-Þ][a-zà-ÿ'-]+$"
)
_HAS_LETTER = re.compile(r"[^\W\d_]")
_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")

DATE_FORMATS: tuple[tuple[str, bool], ...] = (
    ("%Y-%m-%d", False),
    ("%Y-%m-%d %H:%M:%S", True),
    ("%Y-%m-%d %H:%M", True),
    ("%Y-%m-%dT%H:%M:%S", True),
    ("%Y-%m-%dT%H:%M:%SZ", True),
    ("%Y-%m-%dT%H:%M:%S.%fZ", True),
    ("%Y-%m-%dT%H:%M:%S%z", True),
    ("%Y-%m-%dT%H:%M:%S.%f", True),
    ("%Y/%m/%d", False),
    ("%d.%m.%Y", False),
    ("%d.%m.%Y %H:%M", True),
    ("%d.%m.%Y %H:%M:%S", True),
    ("%d/%m/%Y", False),
    ("%m/%d/%Y", False),
    ("%d/%m/%Y %H:%M", True),
    ("%m/%d/%Y %H:%M", True),
    ("%m/%d/%Y %I:%M:%S %p", True),
    ("%m/%d/%Y %H:%M:%S", True),
    ("%d/%m/%Y %H:%M:%S", True),
    ("%d-%b-%Y", False),
    ("%d %b %Y", False),
    ("%b %d, %Y", False),
    ("%d-%m-%Y", False),
)
_DATEISH = re.compile(
    r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}.*)?$"
    r"|^\d{1,2}[- ][a-z]{3}[- ,]+\d{4}$|^[a-z]{3} \d{1,2}, \d{4}$",
    re.IGNORECASE,
)


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


def parse_number(text: str) -> float | None:
    """A number written with '.' or ',' as decimal mark or thousands separator."""
    t = text.strip().replace("\u00a0", " ")
    if not _NUMBER.match(t):
        return None
    if re.fullmatch(r"[+-]?\d{1,3}(?:[,. ']\d{3})+", t):
        t = re.sub(r"[,. ']", "", t)
    elif re.fullmatch(r"[+-]?\d{1,3}(?:[, ']\d{3})+[.]\d+", t):
        t = re.sub(r"[, ']", "", t)
    elif re.fullmatch(r"[+-]?\d{1,3}(?:[. ']\d{3})+,\d+", t):
        t = re.sub(r"[. ']", "", t).replace(",", ".")
    else:
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


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


def _date_format(values: Sequence[str]) -> tuple[float, float, str | None]:
    """Share of dates, share with a time of day, and the format that parses most of them."""
    best: tuple[int, str | None, bool] = (0, None, False)
    dateish = [v for v in values[:60] if _DATEISH.match(v)]
    if len(dateish) < 0.3 * min(len(values), 60):
        return 0.0, 0.0, None  # cheap pre-check: strptime is slow, most columns hold no dates
    probe = values[:30]
    for fmt, has_time in DATE_FORMATS:
        ok = 0
        for v in probe:
            try:
                datetime.strptime(v, fmt)
            except ValueError:
                continue
            ok += 1
        if ok > best[0]:
            best = (ok, fmt, has_time)
            if ok == len(probe):
                break
    if not probe or best[0] == 0:
        return 0.0, 0.0, None
    share = best[0] / len(probe)
    return share, share if best[2] else 0.0, best[1]


def _enum_hits(folded: Sequence[str], vocab: Vocabulary) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, table in vocab.enumerations.items():
        hits = 0
        for v in folded:
            if v in table or (name == "manufacturer" and v.split(" ")[0].rstrip(",") in table):
                hits += 1
        if hits:
            out[name] = hits / len(folded)
    return out


def profile_values(samples: Sequence[str], *, vocab: Vocabulary | None = None) -> ValueProfile:
    """Profile up to MAX_SAMPLES values of one column."""
    vocab = vocab or load_vocabulary()
    raw = [("" if s is None else str(s)) for s in list(samples)[:MAX_SAMPLES]]
    padded = any(s != s.strip() for s in raw if s.strip())
    values = [s.strip() for s in raw if fold(s.strip()) not in EMPTY_VALUES]
    prof = ValueProfile(total=len(raw), nonempty=len(values), padded=padded)
    if not values:
        return prof
    n = len(values)
    counts: Counter[str] = Counter()
    numbers: list[float] = []
    folded = [fold(v) for v in values]
    seps: Counter[str] = Counter()
    for v, fv in zip(values, folded, strict=True):
        kinds: set[str] = set()
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
                seps[_separator(v)] += 1
            elif len(parts) >= 2 and all(_MAC.match(p) for p in parts):
                kinds.add("mac_list")
                seps[_separator(v)] += 1
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
            numbers.append(num)
            if _INT.match(v.strip()) or float(num).is_integer():
                kinds.add("integer")
        else:
            m = _NUMBER_UNIT.match(v)
            if m:
                parsed = parse_number(m.group(1))
                if parsed is not None:
                    kinds.add("number")
                    numbers.append(parsed)
                    prof.value_units[fold(m.group(2))] += 1
        if fv in vocab.booleans:
            kinds.add("boolean")
        if any(p.search(v) for p in vocab.os_patterns):
            kinds.add("os_name")
        if any(p.search(v) for p in vocab.cpu_patterns):
            kinds.add("cpu_model")
        if _VERSION.match(v):
            kinds.add("version")
        if (
            _TAGS.match(v)
            and not kinds & {"mac", "ipv6", "ip_list", "mac_list"}
            and not _TIME_OF_DAY.match(v)
        ):
            kinds.add("tags")
        if _PERSON.match(v):
            kinds.add("person")
        counts.update(kinds)
    date_share, datetime_share, fmt = _date_format(values)
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
    prof = profile_values(samples)
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
