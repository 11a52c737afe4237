"""Reading OS and database strings as exports write them: which product, which release.

"Microsoft Windows Server 2008 R2 (64-bit)", "Win2019", "RHEL" + "7.9", "CentOS Linux release
7.9.2009 (Core)", "SQL Server" + "11.0.7001.0", "Oracle Database 11g ... Release 11.2.0.4.0",
"5.5.5-10.6.12-MariaDB"... An `Identified` says what the text names — a product of the lifecycle
table, one or more candidate releases, the service pack / technology level / feature update when
it is given — and `how`, the pattern that recognised it, in words a consultant can check. It
never guesses: a family without a version ("Windows Server", "Ubuntu Linux (64-bit)"), a list of
releases ("CentOS 4/5/6/7 (64-bit)") or "or later" stays without a release, and the assessment
reports it as unknown. The lifecycle dates are looked up afterwards (core.techdebt.assess).

Patterns are compiled once; results are cached per (component, text, version), since an estate
repeats the same few hundred strings over thousands of assets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from core.techdebt.table import LifecycleTable, Release, lifecycle_table


@dataclass(frozen=True, slots=True)
class Identified:
    """What an OS or database string names (before any date is looked up)."""

    component: str  # "os" | "database"
    product_id: str | None  # a product of the lifecycle table; None: a family or nothing it knows
    product: str | None  # display name: the table product's, or the recognised family ("Linux")
    releases: tuple[str, ...] = ()  # candidate release keys of the table; () = version not known
    sub: str | None = None  # service pack / TL / feature update, when given
    edition: str | None = None  # Windows client servicing channel: "E", "W", "IoT"
    lts: bool = False  # Windows client long-term servicing (LTSB / LTSC)
    version: str | None = None  # the version as read, for display ("2008 R2", "7.9", "15 SP4")
    how: str = ""  # which pattern recognised it, readable
    problem: str | None = None  # why no release could be named, when that is the case


# ---------------------------------------------------------------------------------------------
# normalising

_NOISE = re.compile(
    r"\(?\b(?:32|64)[- ]?bits?\b\)?|\bx86[_-]64\b|\bamd64\b|\bx64\b|\bx86\b|\bi[3-6]86\b|\bppc64(?:le)?\b"
    r"|\bs390x\b|\baarch64\b|\barm64\b|[®™]|\((?:r|tm)\)|\bedition\b",
)
_SPACES = re.compile(r"[\s,;_]+")
#: a Linux kernel version ("3.10.0-1160.el7.x86_64", "5.15.0-91-generic"): not a distribution version
_KERNEL = re.compile(r"^\d+\.\d+\.\d+-\d+")
_EL_TAG = re.compile(r"\.el(\d{1,2})(?:_\d+)?\b")
_VERSION = re.compile(r"(?<![\w.])(\d+(?:\.\d+)*)")
_OR_LATER = re.compile(r"\bor\s+(?:later|newer|higher|above)\b|\bor\s+greater\b|\+\s*$")


def _norm(text: str | None) -> str:
    """Lower case, architecture and bitness words dropped, one space between words."""
    if not text:
        return ""
    s = _NOISE.sub(" ", str(text).lower())
    return _SPACES.sub(" ", s).strip()


def _quote(text: str | None, version: str | None) -> str:
    """The input as a rule shows it: 'text' (+ version 'v')."""
    shown = f"{text!r}" if text else "no name"
    return f"{shown} + version {version!r}" if version else shown


def _first_version(text: str, start: int = 0) -> re.Match[str] | None:
    return _VERSION.search(text, start)


def _field_version(version: str) -> str | None:
    """The version field when it is a version of the product (not a kernel version, not empty)."""
    if not version or _KERNEL.match(version):
        return None
    m = _first_version(version)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------------
# operating systems


@lru_cache(maxsize=8)
def _codename_map(product_id: str) -> dict[str, str]:
    """codename word (lower case) → release: "jammy" → "22.04", "buster" → "10", "maipo" → "7"."""
    table = lifecycle_table()
    if product_id == "rhel":
        return {k.lower(): str(v) for k, v in table.extra.get("rhel_codenames", {}).items()}
    out: dict[str, str] = {}
    for rel in table.product(product_id).releases:
        if rel.codename:
            out.setdefault(rel.codename.split(" ")[0].lower(), rel.release)
    return out


@lru_cache(maxsize=8)
def _codenames(product_id: str) -> re.Pattern[str]:
    words = sorted(_codename_map(product_id), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")


def _codename_release(product_id: str, word: str) -> str:
    return _codename_map(product_id)[word]


def _rhel_like(pid: str, name: str, pattern: str, *, codenames: bool = False) -> Matcher:
    """RHEL and its rebuilds: the release is the major version ("7.9" → 7; "el7" in a kernel → 7)."""
    compiled = re.compile(pattern)

    def match(text: str, version: str, table: LifecycleTable) -> Identified | None:
        m = compiled.search(text)
        if not m:
            return None
        base = Identified("os", pid, name, how=f"{name} named ({m.group(0)!r})")
        after = text[m.end() :]
        if re.match(r"\s*(?:release\s*)?\d+(?:\s*/\s*\d+)+", after):
            return replace(base, problem="it names several releases")
        found = _first_version(after)
        how = "version in the text"
        ver = found.group(1) if found else None
        if ver is None and codenames:
            cm = _codenames("rhel").search(text)
            if cm:
                ver, how = _codename_release("rhel", cm.group(0)), f"codename {cm.group(0).title()}"
        field = _field_version(version)
        if ver is None and field:
            ver, how = field, "version field"
        elif ver is not None and field and field.split(".")[0] != ver.split(".")[0]:
            return replace(base, version=ver, problem=f"the text says {ver}, the version field {field}")
        elif ver is not None and field and len(field) > len(ver):
            ver, how = field, "version field (more precise than the text's)"
        if ver is None:
            tag = _EL_TAG.search(version) or _EL_TAG.search(text)
            if tag:
                ver, how = tag.group(1), f"kernel tag el{tag.group(1)}"
        if ver is None:
            return replace(base, problem="no version in the text or the version field")
        major = ver.split(".")[0]
        return replace(base, releases=(major,), version=ver, how=f"{base.how}, {how} {ver}")

    return match


def _sles(text: str, version: str, table: LifecycleTable) -> Identified | None:
    m = re.search(
        r"\bsles\b|\bsles(?=\d)|\bsuse linux enterprise(?: server)?\b|\bsuse enterprise server\b", text
    )
    if not m:
        return None
    name = "SUSE Linux Enterprise Server"
    if re.search(r"\bsled\b|enterprise desktop", text):
        return Identified(
            "os", None, "SUSE Linux Enterprise Desktop", how="SUSE desktop named", problem=_NO_TABLE
        )
    if re.search(r"\bfor sap\b|\bsles4sap\b|\bsles sap\b", text):
        # its service packs get extra overlap support (ESPOS): SLES's dates would be wrong
        return Identified(
            "os", None, f"{name} for SAP Applications", how="SLES for SAP named", problem=_NO_TABLE
        )
    base = Identified("os", "sles", name, how=f"{name} named ({m.group(0).strip()!r})")
    after = text[m.end() :]
    sm = re.search(r"(?<![\d.])(\d{2})(?:[\s-]*(?:sp|service pack)\s*(\d+)|\.(\d+))?(?![\d.])", after)
    major = sp = None
    how = "version in the text"
    if sm:
        major, sp = sm.group(1), sm.group(2) or sm.group(3)
    field = version.strip()
    if field:
        fm = re.fullmatch(r"(?:(\d{2})(?:[\s.-]*(?:sp\s*)?(\d+))?|sp\s*(\d+))", _norm(field))
        if fm and (major is None or fm.group(1) in (None, major)):
            major = major or fm.group(1)
            sp = sp or fm.group(2) or fm.group(3)
            how = "version field" if sm is None else "text and version field"
    if major is None:
        return replace(base, problem="no version in the text or the version field")
    if int(major) >= 16:
        sub = f"{major}.{sp or 0}"
        shown = sub
    else:
        sub = None if sp is None else (f"SP{int(sp)}" if int(sp) else "GA")
        shown = f"{major} {sub}" if sub else major
    return replace(base, releases=(major,), sub=sub, version=shown, how=f"{base.how}, {how} {shown}")


def _ubuntu(text: str, version: str, table: LifecycleTable) -> Identified | None:
    m = re.search(r"\b(?:k|x|l)?ubuntu\b", text)
    if not m:
        return None
    base = Identified("os", "ubuntu", "Ubuntu", how=f"Ubuntu named ({m.group(0)!r})")
    pattern = re.compile(r"(?<![\d.])(\d{1,2}\.\d{2})(?:\.(\d+))?(?![\d])")
    vm = pattern.search(text, m.end())
    how = "version in the text"
    if vm is None and version and not _KERNEL.match(version):
        vm, how = pattern.search(version), "version field"
    if vm:
        shown = vm.group(0)
        return replace(base, releases=(vm.group(1),), version=shown, how=f"{base.how}, {how} {shown}")
    cm = _codenames("ubuntu").search(text)
    if cm:
        release = _codename_release("ubuntu", cm.group(0))
        return replace(base, releases=(release,), version=release, how=f"{base.how}, codename {cm.group(0)}")
    return replace(base, problem="no version in the text or the version field")


def _debian(text: str, version: str, table: LifecycleTable) -> Identified | None:
    m = re.search(r"\bdebian\b", text)
    if not m:
        return None
    base = Identified("os", "debian", "Debian GNU/Linux", how=f"Debian named ({m.group(0)!r})")
    vm = _first_version(text, m.end())
    ver, how = (vm.group(1), "version in the text") if vm else (_field_version(version), "version field")
    if ver is None:
        cm = _codenames("debian").search(text)
        if cm:
            release = _codename_release("debian", cm.group(0))
            return replace(
                base, releases=(release,), version=release, how=f"{base.how}, codename {cm.group(0)}"
            )
        return replace(base, problem="no version in the text or the version field")
    parts = ver.split(".")
    release = parts[0] if int(parts[0]) >= 4 or len(parts) == 1 else ".".join(parts[:2])
    return replace(base, releases=(release,), version=ver, how=f"{base.how}, {how} {ver}")


def _aix(text: str, version: str, table: LifecycleTable) -> Identified | None:
    m = re.search(r"\baix\b", text)
    if not m:
        return None
    base = Identified("os", "ibm-aix", "IBM AIX", how="AIX named")
    for source, where in ((text[m.end() :], "text"), (version, "version field")):
        lvl = re.search(r"(?<!\d)(\d)(\d)00-(\d{2})(?:-\d{2})?(?:-\d{4})?", source)  # oslevel -r / -s
        if lvl:
            release, tl = f"{lvl.group(1)}.{lvl.group(2)}", int(lvl.group(3))
            shown = f"{release} TL{tl}"
            return replace(
                base,
                releases=(release,),
                sub=f"TL{tl}",
                version=shown,
                how=f"{base.how}, oslevel {lvl.group(0)}",
            )
        vm = re.search(r"(?<![\d.])(\d)\.(\d)((?:\.\d+)*)(?:\s*tl\s*(\d+))?", source)
        if vm:
            release = f"{vm.group(1)}.{vm.group(2)}"
            rest = [p for p in vm.group(3).split(".") if p]
            tl: int | None = None
            if vm.group(4):
                tl = int(vm.group(4))
            elif len(rest) == 1 or (len(rest) >= 2 and int(rest[0]) > 0):
                tl = int(rest[0])
            shown = f"{release} TL{tl}" if tl is not None else release
            sub = f"TL{tl}" if tl is not None else None
            return replace(
                base, releases=(release,), sub=sub, version=shown, how=f"{base.how}, {where} {shown}"
            )
    return replace(base, problem="no version in the text or the version field")


def _solaris(text: str, version: str, table: LifecycleTable) -> Identified | None:
    m = re.search(r"\bsolaris\b|\bsunos\b", text)
    if not m:
        return None
    base = Identified("os", "oracle-solaris", "Oracle Solaris", how=f"Solaris named ({m.group(0)!r})")
    source, where = text[m.end() :], "text"
    vm = re.search(r"(?<![\d.])(\d{1,2})(?:\.(\d+))?", source)
    if vm is None:
        source, where = version, "version field"
        vm = re.search(r"(?<![\d.])(\d{1,2})(?:\.(\d+))?", source)
    if vm is None:
        return replace(base, problem="no version in the text or the version field")
    major, minor = vm.group(1), vm.group(2)
    if major == "5" and minor in ("8", "9", "10", "11"):  # SunOS 5.x is Solaris x
        major, minor, where = minor, None, f"{where} SunOS 5.{minor}"
    if major == "2" and minor:  # Solaris 2.6
        return replace(base, version=f"2.{minor}", problem=f"Solaris 2.{minor} is not in the lifecycle table")
    if major == "11":
        sub = f"11.{minor}" if minor is not None else None
        shown = sub or "11"
    else:
        sub, shown = None, major
    return replace(base, releases=(major,), sub=sub, version=shown, how=f"{base.how}, {where} {shown}")


_WIN_REWRITES = (
    (
        re.compile(r"\bw(?:in)?2k(3|8|12|16|19|22|25)(?=\b|r2)"),
        lambda m: f"windows server 20{int(m.group(1)):02d} ",
    ),
    (re.compile(r"\bw2k\b"), lambda m: "windows 2000 "),
    (
        re.compile(r"\b(?:win|ws|w)\s*(20(?:03|08|12|16|19|22|25))(?!\d)"),
        lambda m: f"windows server {m.group(1)} ",
    ),
    (re.compile(r"\bwin\s*(xp|vista|7|8\.1|8|10|11|nt)\b"), lambda m: f"windows {m.group(1)} "),
    (re.compile(r"\bwin(?:dows)?\s*(?:server|srv|svr)\b"), lambda m: "windows server "),
)
_WINDOWS = re.compile(r"\bwindows\b|\bmicrosoft windows\b")
_SERVER_YEAR = re.compile(r"(?<!\d)(2000|2003|2008|2012|2016|2019|2022|2025)(?!\d)\s*(r2\b)?")
_SAC = re.compile(r"(?<![\d.])(1709|1803|1809|1903|1909|2004|20h2|23h2)(?![\d])")
_CLIENT = re.compile(r"\bwindows\s*(xp|vista|7|8\.1|8|10|11)(?![\d.])")
_FEATURE_UPDATE = re.compile(
    r"(?<![\d.])(1507|1511|1607|1703|1709|1803|1809|1903|1909|2004|2[0-6]h[12])(?![\d])"
)
_LTSC = re.compile(r"(?:\b(2015|2016|2019|2021|2024)\s*)?\b(lts[bc])\b(?:\s*(2015|2016|2019|2021|2024))?")
_SP = re.compile(r"\b(?:sp|service pack)\s*(\d)\b")
_NT_BUILD = re.compile(r"(?<![\d.])(10\.0\.\d{5}|[56]\.[0-3](?:\.\d{4})?)(?![\d])")


@lru_cache(maxsize=1)
def _windows_builds() -> dict[tuple[str, str], list[tuple[str, str | None, bool]]]:
    """(product id, "10.0.17763") → [(release, sub, lts)] from the table's `latest` builds."""
    table = lifecycle_table()
    out: dict[tuple[str, str], list[tuple[str, str | None, bool]]] = {}
    for pid in ("windows-server", "windows"):
        for rel in table.product(pid).releases:
            if rel.latest and rel.latest.startswith("10.0."):
                entry = (rel.release, rel.sub, rel.lts)
                bucket = out.setdefault((pid, rel.latest), [])
                if entry not in bucket:
                    bucket.append(entry)
    return out


_WIN_HINT = re.compile(r"\bw(?:in|s\s*20|2k|\s*20)")


def _windows(text: str, version: str, table: LifecycleTable) -> Identified | None:
    if not _WIN_HINT.search(text):
        return None
    t = text
    for pattern, repl in _WIN_REWRITES:
        t = pattern.sub(repl, t)
    if not _WINDOWS.search(t):
        return None
    vtext = version
    server = bool(re.search(r"\bserver\b", t)) or (
        _CLIENT.search(t) is None and bool(re.search(r"(?<!\d)20(?:03|08|12|16|19|22|25)(?!\d)", t))
    )
    later = bool(_OR_LATER.search(t))
    sp = _SP.search(t) or _SP.search(vtext)
    sub = f"SP{sp.group(1)}" if sp else None
    build_m = _NT_BUILD.search(vtext) or _NT_BUILD.search(t)
    build = build_m.group(1) if build_m else None
    nt = table.extra.get("windows_nt_versions", {})

    if server:
        base = Identified("os", "windows-server", "Microsoft Windows Server", how="Windows Server named")
        if later:
            return replace(base, problem="'or later' names no single release")
        ym = _SERVER_YEAR.search(t)
        if ym and not (ym.group(1) == "2000" and "server" not in t):
            year, r2 = ym.group(1), bool(ym.group(2))
            release = f"{year} R2" if r2 and year in ("2008", "2012") else year
            shown = f"{year} R2" if r2 else year
            shown += f" {sub}" if sub else ""
            return replace(
                base, releases=(release,), sub=sub, version=shown, how=f"Windows Server {release} in the text"
            )
        sac = _SAC.search(t)
        if sac:
            rel = sac.group(1).upper()
            return replace(
                base, releases=(rel,), version=rel, how=f"Windows Server version {rel} in the text"
            )
        if build:
            return _windows_by_build(base, "windows-server", build, nt.get("server", {}), sub)
        return replace(base, problem="no release (year) in the text and no build number")

    base = Identified("os", "windows", "Microsoft Windows", how="Windows named")
    cm = _CLIENT.search(t)
    if cm is None:
        if later:
            return replace(base, problem="'or later' names no single release")
        if build:
            server_hit = _windows_by_build(
                replace(base, product_id="windows-server", product="Microsoft Windows Server"),
                "windows-server",
                build,
                nt.get("server", {}),
                sub,
            )
            client_hit = _windows_by_build(base, "windows", build, nt.get("client", {}), sub)
            hits = [h for h in (server_hit, client_hit) if h.releases]
            if len(hits) == 1:
                return hits[0]
            if len(hits) == 2:
                return replace(
                    base, version=build, problem=f"build {build} is both a server and a client release"
                )
        return replace(base, problem="no release in the text (server or client) and no build number")
    release = {"xp": "XP", "vista": "Vista"}.get(cm.group(1), cm.group(1))
    base = replace(base, how=f"Windows {release} in the text")
    if later:
        return replace(base, problem="'or later' names no single release")
    edition = None
    if re.search(r"\biot\b", t):
        edition = "IoT"
    elif re.search(r"\b(?:enterprise|education)\b", t):
        edition = "E"
    elif re.search(
        r"\b(?:home|pro|professional|core|workstation|workstations|business|ultimate|starter)\b", t
    ):
        edition = "W"
    lm = _LTSC.search(t)
    lts = bool(lm)
    fu = None
    if lm and (lm.group(1) or lm.group(3)):
        name = f"{release} {lm.group(2).upper()} {lm.group(3) or lm.group(1)}"
        fu = table.extra.get("windows_ltsc", {}).get(name)
        if fu is None:
            return replace(base, version=name, problem=f"Windows {name} is not a long-term servicing release")
        base = replace(base, how=f"{base.how}, Windows {name} = {fu}")
    if lts and edition is None:
        edition = "E"
    fum = _FEATURE_UPDATE.search(t[cm.end() :]) or _FEATURE_UPDATE.search(vtext)
    how = base.how
    if fu is None and fum:
        fu = fum.group(1).upper()
    if fu is None and build and build.startswith("10.0.") and release in ("10", "11"):
        hit = _windows_by_build(base, "windows", build, {}, None)
        if hit.releases == (release,) and hit.sub:
            fu, how = hit.sub, f"{how}, build {build}"
    if release in ("10", "11"):
        shown = f"{release} {fu}" if fu else release
        if lts:
            shown += f" {lm.group(2).upper()}" if lm else ""
        return replace(base, releases=(release,), sub=fu, edition=edition, lts=lts, version=shown, how=how)
    shown = f"{release} {sub}" if sub else release
    return replace(base, releases=(release,), sub=sub, version=shown, how=how)


def _windows_by_build(
    base: Identified, pid: str, build: str, nt_map: dict[str, str], sub: str | None
) -> Identified:
    """A Windows release from its NT version / build ("10.0.17763" → 2019, "6.3.9600" → 2012 R2)."""
    hits = _windows_builds().get((pid, build), [])
    if hits:
        preferred = [h for h in hits if h[2]] or hits  # an LTSC server release over a same-build SAC one
        releases = {(h[0], h[1]) for h in preferred}
        if pid == "windows-server" and len({r for r, _ in releases}) == 1:
            release = next(iter(releases))[0]
            return replace(
                base, releases=(release,), sub=sub, version=release, how=f"build {build} → {release}"
            )
        if pid == "windows" and len({r for r, _ in releases}) == 1:
            release, fu = sorted(releases, key=lambda x: x[1] or "")[0]
            subs = {s for _, s in releases}
            fu = fu if len(subs) == 1 else None
            shown = f"{release} {fu}" if fu else release
            return replace(base, releases=(release,), sub=fu, version=shown, how=f"build {build} → {shown}")
    key = ".".join(build.split(".")[:2])
    if key in nt_map and not build.startswith("10."):
        release = nt_map[key]
        return replace(
            base, releases=(release,), sub=sub, version=release, how=f"NT version {key} → {release}"
        )
    return replace(base, version=build, problem=f"build {build} names no release of the table")


_NO_TABLE = "the lifecycle table has no entry for it"

#: families recognised (so the finding names them) but not in the table, or with no version
_OS_FAMILIES = (
    (re.compile(r"\bopensuse\b"), "openSUSE"),
    (re.compile(r"\bfedora\b"), "Fedora"),
    (re.compile(r"\bamazon linux\b|\bamzn\b"), "Amazon Linux"),
    (re.compile(r"\bphoton\b"), "VMware Photon OS"),
    (re.compile(r"\besxi?\b"), "VMware ESXi"),
    (re.compile(r"\bfreebsd\b"), "FreeBSD"),
    (re.compile(r"\bhp-?ux\b"), "HP-UX"),
    (re.compile(r"\bmac ?os\b|\bos x\b"), "macOS"),
    (re.compile(r"\bsuse\b"), "SUSE Linux"),
    (re.compile(r"\bred ?hat linux\b"), "Red Hat Linux"),
    (re.compile(r"\boracle\b"), "Oracle"),
    (re.compile(r"\blinux\b"), "Linux"),
    (re.compile(r"\bunix\b"), "Unix"),
)

Matcher = Callable[[str, str, LifecycleTable], "Identified | None"]

_OS_MATCHERS: tuple[Matcher, ...] = (
    _windows,
    _rhel_like("centos-stream", "CentOS Stream", r"\bcentos\s*stream\b"),
    _rhel_like(
        "oracle-linux",
        "Oracle Linux",
        r"\boracle\s*(?:enterprise\s*|unbreakable\s*)?linux(?:\s*server)?\b|\boel\b|\bol(?=\s*[5-9]\b|\s*10\b)",
    ),
    _rhel_like("centos", "CentOS Linux", r"\bcentos(?:\s*linux)?\b"),
    _rhel_like("rocky-linux", "Rocky Linux", r"\brocky(?:\s*linux)?\b"),
    _rhel_like("almalinux", "AlmaLinux OS", r"\balma\s*linux(?:\s*os)?\b"),
    _rhel_like(
        "rhel",
        "Red Hat Enterprise Linux",
        r"\bred\s*hat\s*enterprise\s*linux(?:\s*(?:server|workstation|es|as|ws))?\b|\brhel\b|\brhel(?=\d)"
        r"|\bredhat(?:\s*linux)?\b(?!\s*linux\s*[1-9]\b)|\bred\s*hat\b(?!\s*linux\b)",
        codenames=True,
    ),
    _sles,
    _ubuntu,
    _debian,
    _aix,
    _solaris,
)


# ---------------------------------------------------------------------------------------------
# databases


def _mssql(text: str, version: str, table: LifecycleTable) -> Identified | None:
    m = re.search(
        r"\b(?:microsoft\s*)?(?:ms\s*)?sql\s*server\b|\bmssql(?:server)?\b|\bsql(?=\s*20\d\d\b)", text
    )
    if not m:
        return None
    base = Identified("database", "mssqlserver", "Microsoft SQL Server", how="SQL Server named")
    years = table.extra.get("mssql_versions", {})
    vtext = version
    sp = _SP.search(text) or _SP.search(vtext)
    sub = f"SP{sp.group(1)}" if sp else ("RTM" if re.search(r"\brtm\b", text + " " + vtext) else None)
    build_re = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{3,4})(?:\.\d+)?(?![\d])")
    bm = build_re.search(vtext) or build_re.search(text)
    # a year is a token of its own: the ".2000." of a build such as 15.0.2000.5 is not SQL Server 2000
    ym = re.search(
        r"(?<![\d.])(2000|2005|2008|2012|2014|2016|2017|2019|2022|2025)(?!\d|\.\d)\s*(r2\b)?", text
    )
    release = None
    how = ""
    if ym:
        release = f"{ym.group(1)} R2" if ym.group(2) and ym.group(1) == "2008" else ym.group(1)
        how = f"SQL Server {release} in the text"
    if bm:
        major, minor, build = bm.group(1), bm.group(2), int(bm.group(3))
        key = f"{int(major)}.{minor if int(minor) else '0'}"
        from_build = years.get(key)
        if from_build and release is not None and release != from_build:
            return replace(
                base, version=release, problem=f"the text says {release}, build {bm.group(0)} is {from_build}"
            )
        if from_build:
            release = from_build
            how = f"{how + ', ' if how else ''}build {bm.group(0)} → {from_build}"
            if sub is None:
                sub = _mssql_sp(table, from_build, build)
                if sub:
                    how += f" {sub}"
    if release is None:
        vm = re.fullmatch(r"(\d{1,2})(?:\.(\d{1,2}))?", vtext)
        if vm and vm.group(1) == "10" and vm.group(2) is None:
            return replace(
                base, releases=("2008", "2008 R2"), version="10", how="version 10 (2008 or 2008 R2)"
            )
        if vm:
            key = f"{int(vm.group(1))}.{vm.group(2) if vm.group(2) and int(vm.group(2)) else '0'}"
            if key in years:
                release, how = years[key], f"version {vtext} → {years[key]}"
    if release is None:
        return replace(base, problem="no release (year) and no build number")
    if sub == "RTM" and not any(r.sub for r in _mssql_releases(table, release)):
        sub = None  # 2017 and later have cumulative updates, no service packs: "(RTM)" names no entry
    shown = f"{release} {sub}" if sub else release
    return replace(base, releases=(release,), sub=sub, version=shown, how=how)


def _mssql_releases(table: LifecycleTable, release: str) -> tuple[Release, ...]:
    product = table.products.get("mssqlserver")
    return tuple(product.by_release.get(release, ())) if product is not None else ()


def _mssql_sp(table: LifecycleTable, release: str, build: int) -> str | None:
    """The service pack a build is on, from the first build of each service pack."""
    levels = table.extra.get("mssql_service_pack_builds", {}).get(release)
    if not levels:
        return None
    found = None
    for name, first in sorted(levels.items(), key=lambda kv: kv[1]):
        if build >= first:
            found = name
    return found


_ORACLE_LETTER = re.compile(
    r"(?<![\w.])(8i|9i|10g|11g|12c|18c|19c|21c|23ai|23c|26ai)(?:\s*r(?:elease)?\s*([12])\b)?"
)
_ORACLE_LETTERS = {
    "8i": ("8.1",),
    "9i": ("9.0", "9.2"),
    "10g": ("10.1", "10.2"),
    "11g": ("11.1", "11.2"),
    "12c": ("12.1", "12.2"),
    "18c": ("18",),
    "19c": ("19",),
    "21c": ("21",),
    "23ai": ("23",),
    "23c": ("23",),
    "26ai": ("23",),
}


def _oracle_db(text: str, version: str, table: LifecycleTable) -> Identified | None:
    m = re.search(r"\boracle\b(?!\s*(?:linux|solaris|enterprise linux|unbreakable))", text)
    if not m:
        return None
    base = Identified("database", "oracle-database", "Oracle Database", how="Oracle (database) named")
    vtext = version
    num = re.compile(r"(?<![\w.])(\d{1,2})\.(\d+)(?:\.\d+)*")
    nm = num.search(text, m.end()) or num.search(vtext)
    if nm:
        major = int(nm.group(1))
        release = str(major) if major >= 18 else f"{major}.{nm.group(2)}"
        return replace(
            base, releases=(release,), version=nm.group(0), how=f"{base.how}, version {nm.group(0)}"
        )
    lm = _ORACLE_LETTER.search(text) or _ORACLE_LETTER.search(vtext)
    if lm:
        word = lm.group(1)
        releases = _ORACLE_LETTERS[word]
        if lm.group(2) and len(releases) == 2:
            releases = (releases[int(lm.group(2)) - 1],)
        shown = word + (f" Release {lm.group(2)}" if lm.group(2) else "")
        return replace(base, releases=releases, version=shown, how=f"{base.how}, {lm.group(0)}")
    return replace(base, problem="no version in the text or the version field")


def _major_minor(pid: str, name: str, pattern: str, *, major_from: int | None = None) -> Matcher:
    """Products whose release is major.minor (MySQL 5.7, MariaDB 10.6, Db2 11.5), or the major alone
    from `major_from` on (PostgreSQL 10 and later)."""
    compiled = re.compile(pattern)

    def match(text: str, version: str, table: LifecycleTable) -> Identified | None:
        m = compiled.search(text)
        if not m:
            return None
        base = Identified("database", pid, name, how=f"{name} named")
        ver, how = None, "version in the text"
        if pid == "mariadb":
            for source, where in ((text, "version in the text"), (version, "version field")):
                dm = re.search(r"(\d+\.\d+(?:\.\d+)?)-mariadb|\bdistrib\s*(\d+\.\d+(?:\.\d+)?)", source)
                if dm:
                    ver, how = dm.group(1) or dm.group(2), where
                    break
        if ver is None and pid == "mysql":
            dm = re.search(r"\b(?:ver|distrib)\s*(\d+\.\d+(?:\.\d+)?)", text)
            ver = dm.group(1) if dm else None
        if ver is None and pid == "ibm-db2":
            dm = re.search(r"\bsql(\d{2})(\d{2})(\d)\b", text + " " + version)  # SQLvvrrm
            if dm:
                ver = f"{int(dm.group(1))}.{int(dm.group(2))}.{dm.group(3)}"
                how = f"db2level token {dm.group(0).upper()}"
        if ver is None:
            vm = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)*)").search(text, m.end())
            ver = vm.group(1) if vm else None
        if ver is None:
            field = re.sub(r"^5\.5\.5-", "", version.strip())
            ver, how = _field_version(field), "version field"
        if ver is None:
            return replace(base, problem="no version in the text or the version field")
        parts = ver.split(".")
        if major_from is not None and int(parts[0]) >= major_from:
            releases: tuple[str, ...] = (parts[0],)
        elif len(parts) >= 2:
            releases = (f"{parts[0]}.{parts[1]}",)
        else:  # "MySQL 8", "PostgreSQL 9": every minor of that major is a candidate
            releases = tuple(
                r.release for r in table.product(pid).releases if r.release.split(".")[0] == parts[0]
            )
            if not releases:
                releases = (parts[0],)
        return replace(base, releases=releases, version=ver, how=f"{base.how}, {how} {ver}")

    return match


_DB_FAMILIES = (
    (re.compile(r"\baurora\b"), "Amazon Aurora"),
    (re.compile(r"\bpercona\b"), "Percona Server"),
    (re.compile(r"\bedb\b|\benterprisedb\b|\badvanced server\b"), "EDB Postgres Advanced Server"),
    (re.compile(r"\bgreenplum\b"), "Greenplum"),
    (re.compile(r"\bazure sql\b|\bsql database\b|\bsql managed instance\b"), "Azure SQL"),
    (re.compile(r"\bz/?os\b|\bdb2 for i\b|\bas/?400\b"), "IBM Db2 for z/OS or i"),
    (re.compile(r"\bmongo(?:db)?\b"), "MongoDB"),
    (re.compile(r"\bsybase\b|\bsap ase\b|\badaptive server\b"), "SAP ASE (Sybase)"),
    (re.compile(r"\bhana\b"), "SAP HANA"),
    (re.compile(r"\binformix\b"), "IBM Informix"),
    (re.compile(r"\bteradata\b"), "Teradata"),
    (re.compile(r"\bredis\b"), "Redis"),
    (re.compile(r"\bcassandra\b"), "Apache Cassandra"),
    (re.compile(r"\bsqlite\b"), "SQLite"),
    (re.compile(r"\bprogress\b|\bopenedge\b"), "Progress OpenEdge"),
)

_DB_MATCHERS: tuple[Matcher, ...] = (
    _major_minor("mariadb", "MariaDB", r"\bmariadb\b"),
    _major_minor("mysql", "MySQL", r"\bmysql\b"),
    _mssql,
    _major_minor("postgresql", "PostgreSQL", r"\bpostgres(?:ql)?\b|\bpgsql\b|\bpg(?=\s*\d)", major_from=10),
    _major_minor("ibm-db2", "IBM Db2", r"\bdb\s?2\b|\budb\b"),
    _oracle_db,
)


# ---------------------------------------------------------------------------------------------


def identify(component: str, text: str | None, version: str | None = None) -> Identified:
    """What an OS (component "os") or database ("database") string and its version field name."""
    if component not in ("os", "database"):
        raise ValueError(f"component must be 'os' or 'database', not {component!r}")
    return _identify(component, str(text or "").strip(), str(version or "").strip())


@lru_cache(maxsize=65536)
def _identify(component: str, text: str, version: str) -> Identified:
    table = lifecycle_table()
    quoted = _quote(text, version)
    t = _norm(text)
    v = _norm(version)
    if component == "database" and "mariadb" in v and "mariadb" not in t:
        t = f"{t} mariadb".strip()  # "MySQL" + "10.6.12-MariaDB": the version says what it is
    matchers = _OS_MATCHERS if component == "os" else _DB_MATCHERS
    families = _OS_FAMILIES if component == "os" else _DB_FAMILIES
    if component == "database":
        for pattern, family in families:  # look-alikes first (Aurora MySQL 2.x is not MySQL 2)
            if pattern.search(t):
                return Identified(
                    component, None, family, how=f"{family} named, from {quoted}", problem=_NO_TABLE
                )
    for matcher in matchers:
        found = matcher(t, v, table)
        if found is not None:
            return replace(found, how=f"{found.how}, from {quoted}")
    if component == "os":
        for pattern, family in families:
            if pattern.search(t):
                problem = (
                    _NO_TABLE
                    if family not in ("Linux", "Unix", "Oracle")
                    else "no distribution or release named"
                )
                if _OR_LATER.search(t):
                    problem = "'or later' names no single release"
                return Identified(
                    component, None, family, how=f"{family} named, from {quoted}", problem=problem
                )
    return Identified(
        component, None, None, how=f"no pattern knows {quoted}", problem="no product recognised"
    )
