"""Tech-debt findings: is an asset's OS and database still supported on a given date?

`assess(os_text, os_version, db_text, db_version, as_of)` gives one `Finding` per component the
asset has: `eol` (support has ended), `eol_12m` (ends within 12 months after as_of), `supported`
or `unknown`, with the product, version, end-of-support date and the rule — the table entry and
the pattern — that decided it. End of support is the end of security updates without a paid
extension; a paid extension (ESU, ELS, ESM, LTSS ...) is a note, never the date.

What the text does not say is not guessed:
- a release named without its service pack / TL / update stands for its latest one only where
  moving to that is a free update within the release (product `sub_releases: updates`), and the
  rule says so;
- several candidate releases ("Oracle 12c": 12.1 or 12.2; "Windows 11 24H2" without edition)
  give a status only when every candidate agrees, else `unknown` listing them;
- a family without a version, a product the table lacks, or a release it lacks is `unknown`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.techdebt.matcher import Identified, identify
from core.techdebt.table import LifecycleTable, Product, Release, lifecycle_table

STATUSES = ("eol", "eol_12m", "supported", "unknown")
_FAR = dt.date.max
_PAST = dt.date.min


@dataclass(frozen=True, slots=True)
class Finding:
    """One component's lifecycle finding (the CLI adds the asset)."""

    component: str  # "os" | "database"
    product: str | None
    version: str | None
    status: str  # "eol" | "eol_12m" | "supported" | "unknown"
    end_of_support: dt.date | None
    rule: str
    note: str | None = None  # the paid extension, when there is one
    release: str | None = None  # the table entry's label, e.g. "Windows Server 2008 R2 SP1"

    def to_dict(self) -> dict[str, Any]:
        """The finding as `analysis techdebt` prints it (../shared/contracts/cli.md), without `asset`."""
        return {
            "component": self.component,
            "product": self.product,
            "version": self.version,
            "status": self.status,
            "end_of_support": self.end_of_support.isoformat() if self.end_of_support else None,
            "rule": self.rule,
        }


def _plus_12_months(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def status_on(release: Release, as_of: dt.date) -> str:
    """The status of one table entry on `as_of` (support ends *on* end_of_support)."""
    eos = release.end_of_support
    if eos is None:
        return "eol" if release.ended else "supported"
    if eos <= as_of:
        return "eol"
    if eos <= _plus_12_months(as_of):
        return "eol_12m"
    return "supported"


def _end_key(release: Release) -> dt.date:
    if release.end_of_support is not None:
        return release.end_of_support
    return _PAST if release.ended else _FAR


def _note(product: Product, release: Release, as_of: dt.date) -> str | None:
    if product.id == "debian" and release.end_of_active_support and release.end_of_support:
        tense = "ended" if release.end_of_active_support <= as_of else "ends"
        return (
            f"Debian security team support {tense} {release.end_of_active_support.isoformat()}; "
            f"free Debian LTS (fewer packages and architectures) until {release.end_of_support.isoformat()}"
        )
    ext = release.extension_end
    if not product.extension or ext is None:
        return None
    if release.end_of_support is not None and ext <= release.end_of_support:
        return None
    if ext > as_of:
        return f"paid {product.extension} available until {ext.isoformat()}"
    return f"paid {product.extension} also ended {ext.isoformat()}"


def _describe(release: Release) -> str:
    if release.end_of_support:
        return f"{release.cycle} ends {release.end_of_support.isoformat()}"
    return f"{release.cycle} {'ended (date not given)' if release.ended else 'no end announced'}"


@dataclass(frozen=True)
class _Pick:
    release: Release
    why: str  # how the entry was chosen among the release's rows, "" when it was the only one


def _groups(product: Product, ident: Identified, rows: tuple[Release, ...]) -> list[list[Release]]:
    """Windows client rows split by servicing channel; one group for every other product."""
    if product.id != "windows":
        return [list(rows)]
    rows = tuple(r for r in rows if r.lts == ident.lts)
    if ident.edition:
        return [[r for r in rows if r.edition in (ident.edition, None)]]
    return [[r for r in rows if r.edition in (e, None)] for e in ("W", "E")]


def _pick(product: Product, ident: Identified, rows: list[Release]) -> list[_Pick]:
    """The entries the input can be among a release's rows ([] when its sub-release is not there)."""
    if not rows:
        return []
    if ident.sub:
        exact = [r for r in rows if r.sub and r.sub.casefold() == ident.sub.casefold()]
        return [_Pick(exact[0], "")] if exact else []
    if len(rows) == 1:
        return [_Pick(rows[0], "")]
    # a long-term servicing edition does not update to the next one for free: each is a candidate
    if product.sub_releases == "updates" and not (product.id == "windows" and ident.lts):
        latest = max(rows, key=_end_key)
        kind = _SUB_KIND.get(product.id, "update")
        return [_Pick(latest, f"{kind} not given: a free update to the latest, {latest.sub or latest.cycle}")]
    return [_Pick(r, "") for r in rows]


_SUB_KIND = {
    "windows-server": "service pack",
    "mssqlserver": "service pack",
    "sles": "service pack",
    "ibm-aix": "technology level",
    "oracle-solaris": "update",
    "windows": "feature update / service pack",
}


def _unknown(ident: Identified, why: str) -> Finding:
    return Finding(ident.component, ident.product, ident.version, "unknown", None, f"{why} ← {ident.how}")


def resolve(ident: Identified, as_of: dt.date, table: LifecycleTable | None = None) -> Finding:
    """The finding for an identified string on `as_of`."""
    table = table or lifecycle_table()
    if ident.product_id is None or ident.problem or not ident.releases:
        return _unknown(ident, ident.problem or "no release named")
    product = table.product(ident.product_id)
    picks: list[_Pick] = []
    missing: list[str] = []
    for key in ident.releases:
        rows = product.by_release.get(key.casefold())
        if not rows:
            missing.append(key)
            continue
        for group in _groups(product, ident, rows):
            found = _pick(product, ident, group)
            if not found:
                label = f"{product.name} {key}" + (f" {ident.sub}" if ident.sub else "")
                return _missing_sub(ident, product, group or list(rows), label, as_of)
            picks.extend(p for p in found if p not in picks)
    if missing and not picks:
        snapshot = table.snapshot.get("date", "?")
        return _unknown(
            ident, f"{product.name} {', '.join(missing)} is not in the lifecycle table (snapshot {snapshot})"
        )
    statuses = {status_on(p.release, as_of) for p in picks}
    if len(statuses) > 1:
        listed = "; ".join(f"{_describe(p.release)} ({status_on(p.release, as_of)})" for p in picks)
        return _unknown(ident, f"{product.id}: candidates disagree — {listed}")
    status = statuses.pop()
    if len(picks) == 1:
        chosen = picks[0].release
        rule = f"{product.id} {chosen.cycle} ({chosen.label}; {product.end_of_support_is})"
        if picks[0].why:
            rule += f"; {picks[0].why}"
        end = chosen.end_of_support
    else:
        # all candidates agree: ended at the latest by the last end, supported at least to the first
        ends = [p.release for p in picks]
        chosen = max(ends, key=_end_key) if status == "eol" else min(ends, key=_end_key)
        bound = "all ended, the last" if status == "eol" else "all agree, the first to end"
        rule = (
            f"{product.id} candidates {', '.join(p.release.cycle for p in picks)} ({bound}: {chosen.cycle}; "
            f"{product.end_of_support_is})"
        )
        end = chosen.end_of_support
    return Finding(
        ident.component,
        product.name,
        ident.version,
        status,
        end,
        f"{rule} ← {ident.how}",
        _note(product, chosen, as_of),
        chosen.label,
    )


def _missing_sub(
    ident: Identified, product: Product, rows: list[Release], label: str, as_of: dt.date
) -> Finding:
    """A service pack / edition the table lacks: ended for sure if the whole release has ended."""
    if rows:
        latest = max(rows, key=_end_key)
        if status_on(latest, as_of) == "eol":
            return Finding(
                ident.component,
                product.name,
                ident.version,
                "eol",
                None,
                f"{label} is not in the lifecycle table, but the release's last entry {_describe(latest)}, "
                f"so it has ended too ← {ident.how}",
                _note(product, latest, as_of),
            )
    return _unknown(ident, f"{label} is not in the lifecycle table")


def finding_for(component: str, text: str | None, version: str | None, as_of: dt.date) -> Finding:
    """The finding for one component's name and version field (cached: estates repeat strings)."""
    return _finding(component, str(text or "").strip(), str(version or "").strip(), as_of)


@lru_cache(maxsize=65536)
def _finding(component: str, text: str, version: str, as_of: dt.date) -> Finding:
    return resolve(identify(component, text, version), as_of)


def assess(
    os_text: str | None,
    os_version: str | None,
    db_text: str | None,
    db_version: str | None,
    as_of: dt.date,
) -> list[Finding]:
    """One finding per component the asset has (an OS string or version → an `os` finding; the
    same for the database)."""
    findings = []
    if _present(os_text) or _present(os_version):
        findings.append(finding_for("os", os_text, os_version, as_of))
    if _present(db_text) or _present(db_version):
        findings.append(finding_for("database", db_text, db_version, as_of))
    return findings


def _present(value: str | None) -> bool:
    return value is not None and str(value).strip() != ""


__all__ = ["STATUSES", "Finding", "assess", "finding_for", "resolve", "status_on"]
