"""Type coercion and normalisation of one raw cell onto one canonical asset field.

The generic transformation rules of a mapping (trim, first_of_list, value_map, case) are the
mapping review's: `core.mapping_review.rules.apply_rules` runs them (as a string target) so the
preview a consultant approved and the cleansing phase agree; its `parse_number` / `parse_bool`
also do the digits and the yes/no words. What this module adds is what the cleansing phase owns:

- numbers with their own unit ("16384 MB" into `memory_gb`) converted to the field's unit; the
  mapping's `scale` applies only to bare numbers (a value's explicit unit is more specific);
- booleans also from Virtual/Physical/VM words, then `invert`;
- dates in ISO, US (m/d/y), EU (d.m.y, d/m/y), text-month forms, Excel serials and Unix epochs.
  A slash/dash date whose day and month are both <= 12 is *ambiguous*: the column's evidence
  (`date_order`, inferred from the column's other values, or set as a rule) decides, otherwise
  the value is reported (rule `ambiguous_date`) instead of guessed. Naive times are UTC;
- JSON tags from `k:v, k:v`, `k=v; k=v` or JSON text;
- normalisation of enumerations (environment, power state, criticality, asset type, OS family,
  architecture, lifecycle, 6R, complexity), IP lists (first valid address is primary), MAC
  formats (`aa:bb:cc:dd:ee:ff`), host names (lower case; a dotted name splits into host + FQDN).

Nothing raises for bad data: a value that does not fit returns `(None, Problem)` and the caller
keeps the raw value in the record's `validation_errors`.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from core.cleansing.fields import FieldSpec
from core.mapping_review.rules import NOT_MAPPED, apply_rules, map_value, parse_bool, parse_number


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a value was not accepted: a stable rule name and a sentence for the consultant."""

    rule: str
    message: str


Coerced = tuple[Any, Problem | None]

NULL_TOKENS = frozenset({"", "n/a", "na", "null", "none", "nil", "(null)", "#n/a", "-", "--", "?", "(blank)"})
#: rules run by `core.mapping_review.rules.apply_rules` before the typed conversion here
_PRE_RULES = ("trim", "first_of_list", "split")

# ----------------------------------------------------------------------------- numbers and units

_NUM_UNIT = re.compile(
    r"^\s*([-+]?(?:\d[\d.,'\u00a0\u202f ]*)?\d(?:[eE][-+]?\d+)?|[-+]?[.,]\d+)\s*([^\d\s][^\d]*)?$"
)

#: unit text (lower case, no spaces) -> (dimension, factor to the dimension's contract unit)
_UNITS: dict[str, tuple[str, float]] = {}
for _names, _dim, _factor in (
    (("b", "byte", "bytes"), "data_size", 1 / 1024**3),
    (("kb", "kib", "k", "kbyte", "kbytes"), "data_size", 1 / 1024**2),
    (("mb", "mib", "m", "mbyte", "mbytes"), "data_size", 1 / 1024),
    (("gb", "gib", "g", "gbyte", "gbytes"), "data_size", 1.0),
    (("tb", "tib", "t", "tbyte", "tbytes"), "data_size", 1024.0),
    (("pb", "pib"), "data_size", 1024.0**2),
    (("hz",), "frequency", 1e-6),
    (("khz",), "frequency", 1e-3),
    (("mhz",), "frequency", 1.0),
    (("ghz",), "frequency", 1000.0),
    (("b/s", "bytes/s", "bps"), "data_rate", 1 / 1024),
    (("kb/s", "kib/s", "kbps", "kbytes/s"), "data_rate", 1.0),
    (("mb/s", "mib/s", "mbps", "mbytes/s"), "data_rate", 1024.0),
    (("gb/s", "gib/s", "gbps"), "data_rate", 1024.0**2),
    (("%", "pct", "percent"), "percent", 1.0),
    (("iops", "ops/s", "io/s", "ops"), "ops_rate", 1.0),
):
    for _n in _names:
        _UNITS[_n] = (_dim, _factor)

#: words after a count that carry no unit ("4 cores", "2 sockets")
_COUNT_WORDS = frozenset(
    {
        "core",
        "cores",
        "cpu",
        "cpus",
        "vcpu",
        "vcpus",
        "socket",
        "sockets",
        "disk",
        "disks",
        "thread",
        "threads",
        "x",
        "pcs",
        "stk",
    }
)
_INT32 = 2**31 - 1


def split_number(text: str) -> tuple[float, str | None] | None:
    """`"16 384,5 MB"` -> (16384.5, "mb"); None when the text is not a number (with a unit)."""
    m = _NUM_UNIT.match(text)
    if not m:
        return None
    number = parse_number(m.group(1))
    if number is None:
        return None
    unit = m.group(2)
    return number, (unit.strip().lower().replace(" ", "") if unit else None)


# ----------------------------------------------------------------------------- booleans

_EXTRA_TRUE = frozenset({"virtual", "vm", "virtualmachine", "virtual machine", "wahr", "si", "sí"})
_EXTRA_FALSE = frozenset(
    {"physical", "phys", "physicalmachine", "physical machine", "bare metal", "baremetal", "falsch"}
)


def to_bool(text: str) -> bool | None:
    folded = text.strip().casefold()
    if folded in _EXTRA_TRUE:
        return True
    if folded in _EXTRA_FALSE:
        return False
    return parse_bool(folded)


# ----------------------------------------------------------------------------- dates

DATE_ORDERS = ("dmy", "mdy", "ymd")
_EPOCH_EXCEL = datetime(1899, 12, 30, tzinfo=UTC)
_EPOCH_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_NUMERIC_DATE = re.compile(
    r"^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AaPp][Mm])?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
_MONTHS = {
    **{
        m: i + 1
        for i, m in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
        )
    },
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "june": 6,
    "july": 7,
    "august": 8,
    "sept": 9,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jän": 1,
    "januar": 1,
    "februar": 2,
    "mär": 3,
    "märz": 3,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "okt": 10,
    "oktober": 10,
    "dez": 12,
    "dezember": 12,
}
_WEEKDAYS = frozenset(
    {
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    }
)
_TEXT_TOKEN = re.compile(r"[A-Za-zäÄ]+\.?|\d{1,2}:\d{2}(?::\d{2})?|\d+(?:st|nd|rd|th)?|[+-]\d{2}:?\d{2}")


def _tz(text: str | None) -> timezone:
    if not text or text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _year(text: str) -> int:
    y = int(text)
    if len(text) <= 2:
        return 2000 + y if y < 70 else 1900 + y
    return y


def parse_date(text: str, date_order: str | None = None) -> Coerced:
    """A timestamp (aware, UTC when no zone given) from the common export forms."""
    s = text.strip()
    # Excel serials and Unix epochs: plain numbers only
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        n = float(s)
        if 20000 <= n <= 110000:  # 1954..2201 as Excel serial days
            return _EPOCH_EXCEL + timedelta(days=n), None
        if 1e8 <= n < 1e10:
            return _EPOCH_UNIX + timedelta(seconds=n), None
        if 1e11 <= n < 1e13:
            return _EPOCH_UNIX + timedelta(milliseconds=n), None
        if len(s) == 8 and s.isdigit():  # 20210312
            try:
                return datetime.strptime(s, "%Y%m%d").replace(tzinfo=UTC), None
            except ValueError:
                pass
        return None, Problem("date", f"{s!r} is a number but not a plausible Excel serial or epoch")
    if s[:4].isdigit() and len(s) >= 8 and s[4] == "-":
        try:
            stamp = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
        except ValueError:
            stamp = None
        if stamp is not None:
            return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)), None
    m = _NUMERIC_DATE.match(s)
    if m:
        return _numeric_date(m, s, date_order)
    return _text_date(s)


def _numeric_date(m: re.Match[str], s: str, date_order: str | None) -> Coerced:
    a, sep, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(a) == 4:  # 2021/03/12
        year, month, day = int(a), int(b), int(c)
    elif len(c) in (2, 4):
        x, y = int(a), int(b)
        year = _year(c)
        if x > 12 and y <= 12:
            day, month = x, y
        elif y > 12 and x <= 12:
            month, day = x, y
        elif x == y:
            day = month = x
        elif date_order in ("dmy", "mdy"):
            day, month = (x, y) if date_order == "dmy" else (y, x)
        elif sep == ".":  # 03.04.2021 is day-first wherever dots are used
            day, month = x, y
        else:
            return None, Problem(
                "ambiguous_date",
                f"{s!r} could be day-first or month-first and the column does not say which;"
                " set date_order (dmy or mdy) in the mapping's rules",
            )
    else:
        return None, Problem("date", f"{s!r} is not a date in a known form")
    hour = int(m.group(5) or 0)
    if m.group(8):
        if not 1 <= hour <= 12:
            return None, Problem("date", f"{s!r} has an impossible 12-hour time")
        hour = hour % 12 + (12 if m.group(8).lower() == "pm" else 0)
    try:
        stamp = datetime(
            year, month, day, hour, int(m.group(6) or 0), int(m.group(7) or 0), tzinfo=_tz(m.group(9))
        )
    except ValueError:
        return None, Problem("date", f"{s!r} is not a valid calendar date")
    return stamp, None


def _text_date(s: str) -> Coerced:
    """`12 Mar 2021`, `Mar 12, 2021`, `Tue Mar 12 10:00:00 UTC 2021`, `12. März 2021`."""
    month = day = year = None
    clock = "00:00:00"
    zone = None
    for tok in _TEXT_TOKEN.findall(s.replace(",", " ")):
        low = tok.rstrip(".").lower()
        if low in _WEEKDAYS:
            continue
        if low in _MONTHS and month is None:
            month = _MONTHS[low]
        elif low in ("utc", "gmt", "z"):
            zone = "Z"
        elif ":" in tok and tok[0] not in "+-":
            clock = tok if tok.count(":") == 2 else tok + ":00"
        elif tok[0] in "+-":
            zone = tok
        elif low[:1].isdigit():
            n = re.match(r"\d+", low)
            digits = n.group(0) if n else ""
            if len(digits) == 4 and year is None:
                year = int(digits)
            elif len(digits) <= 2 and day is None:
                day = int(digits)
            elif len(digits) <= 2 and year is None:
                year = _year(digits)
            else:
                return None, Problem("date", f"{s!r} is not a date in a known form")
        else:
            return None, Problem("date", f"{s!r} is not a date in a known form")
    if month is None or day is None or year is None:
        return None, Problem("date", f"{s!r} is not a date in a known form")
    h, mi, se = (int(p) for p in clock.split(":"))
    try:
        return datetime(year, month, day, h, mi, se, tzinfo=_tz(zone)), None
    except ValueError:
        return None, Problem("date", f"{s!r} is not a valid calendar date")


# ----------------------------------------------------------------------------- JSON tags

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


# ----------------------------------------------------------------------------- enumerations


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


def _enum(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_key(alias): canon for canon, aliases in table.items() for alias in (canon, *aliases)}


ENVIRONMENTS = _enum(
    {
        "production": ("prod", "prd", "live", "prodn", "p", "productive", "produktion", "prod1"),
        "development": ("dev", "develop", "devl", "d", "entwicklung", "devel"),
        "test": ("tst", "testing", "qa", "t", "qs", "sit", "int", "integration"),
        "uat": ("acceptance", "user acceptance", "user acceptance test", "abnahme", "acc"),
        "staging": ("stage", "stg", "preprod", "pre-production", "preproduction", "pre-prod", "ppe"),
        "dr": ("disaster recovery", "bcp", "business continuity"),
        "sandbox": ("sbx", "lab", "poc"),
        "training": ("trn", "train", "schulung"),
    }
)
POWER_STATES = _enum(
    {
        "on": ("poweredon", "powered on", "running", "up", "started", "online", "active", "1", "true", "yes"),
        "off": (
            "poweredoff",
            "powered off",
            "stopped",
            "down",
            "shutdown",
            "shut down",
            "shutoff",
            "halted",
            "offline",
            "deallocated",
            "terminated",
            "0",
            "false",
            "no",
        ),
        "suspended": ("paused", "standby", "hibernated", "saved", "sleeping", "suspend"),
    }
)
CRITICALITIES = _enum(
    {
        "critical": (
            "crit",
            "mission critical",
            "tier 0",
            "tier0",
            "tier 1",
            "tier1",
            "1",
            "p1",
            "very high",
            "sehr hoch",
            "kritisch",
            "c",
        ),
        "high": ("hi", "h", "tier 2", "tier2", "2", "p2", "business critical", "hoch", "important"),
        "medium": ("med", "m", "moderate", "normal", "tier 3", "tier3", "3", "p3", "mittel"),
        "low": ("lo", "l", "tier 4", "tier4", "4", "p4", "minor", "niedrig", "gering", "non critical"),
    }
)
ASSET_TYPES = _enum(
    {
        "server": (
            "physical server",
            "physical",
            "bare metal",
            "baremetal",
            "host",
            "windows server",
            "linux server",
            "unix server",
            "computer",
            "esx host",
            "esxi host",
            "hypervisor",
            "srv",
        ),
        "virtual_machine": (
            "vm",
            "virtual",
            "virtual server",
            "virtual machine",
            "guest",
            "vmware vm",
            "vmware virtual machine",
            "ec2 instance",
            "azure vm",
            "instance",
            "vserver",
        ),
        "application": ("app", "business application", "software", "service", "business service"),
        "database": ("db", "db instance", "database instance", "sql instance", "dbms"),
        "network_device": ("network", "switch", "router", "firewall", "access point", "network gear"),
        "storage": ("san", "nas", "storage array", "filer", "storage system"),
        "load_balancer": ("lb", "f5", "adc", "loadbalancer", "load balancer"),
        "container": ("pod", "docker", "kubernetes", "k8s"),
        "other": ("unknown", "misc", "miscellaneous"),
    }
)
OS_FAMILIES = _enum(
    {
        "windows": ("win", "microsoft", "ms windows"),
        "linux": ("gnu/linux",),
        "unix": ("aix", "solaris", "hp-ux", "hpux", "bsd"),
        "other": (),
    }
)
ARCHITECTURES = _enum(
    {
        "x86_64": ("x64", "amd64", "x86-64", "64-bit", "64 bit", "64bit", "em64t", "intel64", "x86 64"),
        "x86": ("i386", "i686", "32-bit", "32 bit", "32bit", "ia32"),
        "arm64": ("aarch64", "armv8"),
        "arm": ("armv7", "armhf"),
        "ppc64le": ("ppc64 le",),
        "ppc64": ("power", "powerpc"),
        "s390x": ("z", "zseries"),
        "sparc": ("sparcv9",),
    }
)
OPERATIONAL_STATUSES = _enum(
    {
        "operational": ("in use", "in service", "live", "active", "installed", "deployed", "running"),
        "retired": ("decommissioned", "disposed", "removed", "retire"),
        "in maintenance": ("maintenance", "under maintenance", "repair", "in repair"),
        "planned": ("on order", "ordered", "pending install", "in build", "build"),
        "non-operational": ("non operational", "not in use", "inactive", "down", "stock", "in stock"),
    }
)
SIXR = _enum(
    {
        "rehost": ("lift and shift", "lift & shift", "lift-and-shift", "re-host"),
        "replatform": ("re-platform", "lift and reshape", "lift tinker and shift"),
        "refactor": ("re-factor", "rearchitect", "re-architect", "rebuild", "rewrite"),
        "repurchase": ("re-purchase", "replace", "saas", "drop and shop"),
        "retire": ("decommission", "re-tire"),
        "retain": ("keep", "revisit", "re-tain"),
        "relocate": ("re-locate", "hypervisor lift"),
    }
)
COMPLEXITIES = _enum(
    {
        "low": ("l", "simple", "easy", "1"),
        "medium": ("m", "med", "moderate", "2"),
        "high": ("h", "complex", "hard", "3"),
    }
)
PLATFORMS = _enum(
    {
        "VMware vSphere": ("vmware", "vsphere", "esx", "esxi", "vcenter", "vmware esxi"),
        "Hyper-V": ("hyperv", "microsoft hyper-v", "hyper v", "scvmm"),
        "KVM": ("kvm", "qemu", "libvirt"),
        "Nutanix AHV": ("ahv", "nutanix"),
        "Xen": ("xen", "citrix xenserver", "xenserver", "citrix hypervisor"),
        "AWS": ("amazon", "ec2", "amazon web services"),
        "Azure": ("microsoft azure",),
        "GCP": ("google cloud", "gce"),
        "Oracle VM": ("ovm",),
        "Proxmox": ("pve",),
    }
)

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


def _closed(name: str, table: dict[str, str]) -> Callable[[str], Coerced]:
    def norm(text: str) -> Coerced:
        canon = table.get(_key(text))
        if canon is None:
            return None, Problem(
                "enum", f"{text!r} is not a known {name} ({', '.join(sorted(set(table.values())))})"
            )
        return canon, None

    return norm


def _open(table: dict[str, str], *, lower: bool = True) -> Callable[[str], Coerced]:
    def norm(text: str) -> Coerced:
        canon = table.get(_key(text))
        return (canon if canon is not None else (text.lower() if lower else text)), None

    return norm


def _os_family(text: str) -> Coerced:
    canon = OS_FAMILIES.get(_key(text))
    return (canon or os_family_of(text)), None


# ----------------------------------------------------------------------------- network

_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")
_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})$")
_LIST = re.compile(r"[\s,;|]+")


def normalise_ip(text: str) -> Coerced:
    """The first valid address of a list is the primary one (CIDR suffix and zone dropped)."""
    bad: list[str] = []
    for part in _LIST.split(text.strip()):
        if not part:
            continue
        candidate = part.strip("[]()").split("%", 1)[0].split("/", 1)[0]
        try:
            return str(ipaddress.ip_address(candidate)), None
        except ValueError:
            bad.append(part)
    return None, Problem("ip", f"no valid IP address in {text!r}")


def normalise_mac(text: str) -> Coerced:
    """`AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `AABBCCDDEEFF` -> `aa:bb:cc:dd:ee:ff` (first of a list)."""
    for part in _LIST.split(text.strip()):
        if not part:
            continue
        hexdigits = re.sub(r"[:\-.]", "", part.lower())
        if _MAC_HEX.match(hexdigits):
            return ":".join(hexdigits[i : i + 2] for i in range(0, 12, 2)), None
    return None, Problem("mac", f"{text!r} is not a MAC address")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def normalise_hostname(text: str) -> Coerced:
    """Lower-case host name; a dotted name is kept whole here and split by `derive_fields`."""
    name = text.strip().rstrip(".").lower()
    if "\\" in name:  # DOMAIN\host
        name = name.rsplit("\\", 1)[1]
    if _is_ip(name):
        return None, Problem("hostname", f"{text!r} is an IP address, not a host name")
    labels = name.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        return None, Problem("hostname", f"{text!r} is not a valid host name")
    return name, None


def normalise_domain(text: str) -> Coerced:
    name = text.strip().strip(".").lower()
    if not name or " " in name:
        return None, Problem("hostname", f"{text!r} is not a DNS domain")
    return name, None


STRING_NORMALISERS: dict[str, Callable[[str], Coerced]] = {
    "hostname": normalise_hostname,
    "fqdn": normalise_hostname,
    "dns_domain": normalise_domain,
    "ip_address": normalise_ip,
    "mac_address": normalise_mac,
    "environment": _open(ENVIRONMENTS),
    "power_state": _closed("power state", POWER_STATES),
    "business_criticality": _closed("criticality", CRITICALITIES),
    "asset_type": _closed("asset type", ASSET_TYPES),
    "os_family": _os_family,
    "os_architecture": _open(ARCHITECTURES),
    "operational_status": _open(OPERATIONAL_STATUSES),
    "sixr_strategy": _closed("6R strategy", SIXR),
    "migration_complexity": _closed("complexity", COMPLEXITIES),
    "virtualization_platform": _open(PLATFORMS, lower=False),
}
#: enumerations whose values the normaliser rewrites (rule label "enum")
ENUM_FIELDS = frozenset(
    {
        "environment",
        "power_state",
        "business_criticality",
        "asset_type",
        "os_family",
        "os_architecture",
        "operational_status",
        "sixr_strategy",
        "migration_complexity",
        "virtualization_platform",
    }
)


# ----------------------------------------------------------------------------- the coercer


def _fmt_scale(scale: float) -> str:
    return f"{scale:.10g}"


class FieldCoercer:
    """Turns every cell of one source column into values of one canonical field.

    Built once per mapping; results are cached by raw text (exports repeat values a lot), so a
    column of 100k cells costs one dictionary lookup per repeated value.
    """

    def __init__(
        self, spec: FieldSpec, rules: Mapping[str, Any] | None = None, *, date_order: str | None = None
    ) -> None:
        self.spec = spec
        self.rules: dict[str, Any] = dict(rules or {})
        self.date_order = self.rules.get("date_order") or date_order
        self._pre = {k: self.rules[k] for k in _PRE_RULES if k in self.rules}
        value_map = self.rules.get("value_map")
        self._value_map = value_map if isinstance(value_map, Mapping) and value_map else None
        self._case = self.rules.get("case") if spec.type in ("string", "json") else None
        self._json_rules = spec.type == "json" and bool(
            self.rules.get("split") or self.rules.get("key_value")
        )
        self._strip_unit = bool(self.rules.get("strip_unit"))
        fmt = self.rules.get("date_format")
        self._date_format = fmt if isinstance(fmt, str) and fmt else None
        scale = self.rules.get("scale")
        self.scale = float(scale) if isinstance(scale, int | float) and not isinstance(scale, bool) else None
        self.invert = bool(self.rules.get("invert"))
        self._cache: dict[str, Coerced] = {}
        self.label = self._label()

    def _label(self) -> str:
        """How a value was obtained, for lineage: the type plus each rule that applied."""
        parts = [self.spec.type]
        if self.spec.name in ENUM_FIELDS:
            parts.append(f"normalised {self.spec.name}")
        elif self.spec.name in STRING_NORMALISERS:
            parts.append(f"normalised {self.spec.name.replace('_address', '')}")
        if self.scale not in (None, 1.0):
            parts.append(f"scale ×{_fmt_scale(self.scale)}")  # type: ignore[arg-type]
        if self.spec.unit:
            parts.append(f"unit {self.spec.unit}")
        if self.invert:
            parts.append("inverted")
        for key in ("first_of_list", "value_map", "case", "strip_unit", "date_format", "key_value"):
            if self.rules.get(key):
                parts.append(key if key != "case" else f"case {self.rules[key]}")
        if self.spec.type == "datetime" and self.date_order:
            parts.append(f"date order {self.date_order}")
        return "; ".join(parts)

    def __call__(self, raw: str | None) -> Coerced:
        if raw is None:
            return None, None
        hit = self._cache.get(raw)
        if hit is None:
            hit = self._coerce(raw)
            if len(self._cache) < 500_000:
                self._cache[raw] = hit
        return hit

    def _coerce(self, raw: str) -> Coerced:
        """trim, first_of_list, value_map, case (the mapping review's rules), then the type here."""
        if raw.strip().casefold() in NULL_TOKENS:
            return None, None
        if self._json_rules:  # split / key_value build lists or objects: the review's semantics
            value, error = apply_rules(raw, self.rules, "json")
            if error:
                return None, Problem("json", error)
            return (
                (value, None) if isinstance(value, dict | list) or value is None else parse_tags(str(value))
            )
        value, error = apply_rules(raw, self._pre, "string") if self._pre else (raw.strip(), None)
        if error:
            return None, Problem("rule", error)
        if value is None:
            return None, None
        value = str(value).strip()
        if self._value_map is not None:
            mapped = map_value(self._value_map, value)
            if mapped is None:
                return None, None
            if mapped is not NOT_MAPPED:  # a mapped value is final: typed, never scaled or inverted
                return self._mapped(raw, mapped)
        if self._case in ("lower", "upper", "title"):
            value = getattr(value, self._case)()
        if value.casefold() in NULL_TOKENS:
            return None, None
        return self._typed(value)

    def _mapped(self, raw: str, mapped: Any) -> Coerced:
        if self.spec.type == "string":
            text = str(mapped).strip()
            norm = STRING_NORMALISERS.get(self.spec.name)
            return norm(text) if norm and text else ((text or None), None)
        value, error = apply_rules(raw, {k: v for k, v in self.rules.items() if k not in ("scale", "invert")},
                                   self.spec.type)  # fmt: skip
        if error:
            return None, Problem("value_map", error)
        if self.spec.type == "datetime" and isinstance(value, str):
            stamp, problem = parse_date(value, "ymd")
            return (stamp.isoformat() if stamp else None), problem
        return value, None

    def _typed(self, value: str) -> Coerced:
        kind = self.spec.type
        if kind == "string":
            norm = STRING_NORMALISERS.get(self.spec.name)
            return norm(value) if norm else (value, None)
        if kind in ("integer", "float"):
            return self._number(value)
        if kind == "boolean":
            flag = to_bool(value)
            if flag is None:
                return None, Problem("boolean", f"{value!r} is not a yes/no value")
            return (not flag if self.invert else flag), None
        if kind == "datetime":
            if self._date_format:
                try:
                    stamp = datetime.strptime(value, self._date_format)
                except ValueError:
                    pass
                else:
                    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).isoformat(), None
            stamp, problem = parse_date(value, self.date_order)
            return (stamp.isoformat() if stamp is not None else None), problem
        if kind == "json":
            return parse_tags(value)
        return value, None

    def _number(self, text: str) -> Coerced:
        parsed = split_number(text)
        if parsed is None:
            return None, Problem(
                "number" if self.spec.type == "float" else "integer", f"{text!r} is not a number"
            )
        number, unit = parsed
        dimension = self.spec.dimension
        if unit is not None and unit not in _COUNT_WORDS:
            known = _UNITS.get(unit)
            if known is None and not self._strip_unit:
                return None, Problem("unit", f"{text!r} has an unknown unit {unit!r}")
            if known is not None and (dimension is None or known[0] != dimension):
                return None, Problem("unit", f"{text!r}: unit {unit!r} does not fit {self.spec.header}")
            if known is not None:
                number = number * known[1]  # the value's own unit beats the column's scale
            elif self.scale is not None:  # strip_unit: an unknown word after the digits is ignored
                number = number * self.scale
                unit = None
        elif self.scale is not None:
            number = number * self.scale
        if not math.isfinite(number):
            return None, Problem("number", f"{text!r} is not a finite number")
        if number < 0:
            return None, Problem("range", f"{text!r} is negative; {self.spec.name} cannot be")
        if self.spec.type == "integer":
            if abs(number - round(number)) > 1e-9:
                return None, Problem("integer", f"{text!r} is not a whole number")
            if number > _INT32:
                return None, Problem("range", f"{text!r} is too large")
            return round(number), None
        return (round(number, 6) if unit is not None or self.scale is not None else number), None


# ----------------------------------------------------------------------------- per-record derivations


def derive_fields(values: dict[str, Any]) -> dict[str, str]:
    """Fill fields implied by others (host/FQDN/domain split, OS family); returns field -> source.

    Only fills what is missing: a mapped value always wins over a derived one.
    """
    derived: dict[str, str] = {}
    host = values.get("hostname")
    fqdn = values.get("fqdn")
    if host and "." in host:  # FQDN in the host-name column
        short, _, domain = host.partition(".")
        values["hostname"] = short
        derived["hostname"] = "hostname"
        if not fqdn:
            values["fqdn"] = fqdn = host
            derived["fqdn"] = "hostname"
    if fqdn and "." not in fqdn:  # a short name in the FQDN column
        if not values.get("hostname"):
            values["hostname"] = fqdn
            derived["hostname"] = "fqdn"
        del values["fqdn"]
        fqdn = None
    if fqdn:
        short, _, domain = fqdn.partition(".")
        if not values.get("hostname"):
            values["hostname"] = short
            derived["hostname"] = "fqdn"
        if not values.get("dns_domain"):
            values["dns_domain"] = domain
            derived["dns_domain"] = "fqdn"
    os_name = values.get("operating_system")
    if os_name and not values.get("os_family"):
        values["os_family"] = os_family_of(os_name)
        derived["os_family"] = "operating_system"
    return derived
