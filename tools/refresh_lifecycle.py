#!/usr/bin/env python3
"""Rebuild resources/lifecycle.yaml (the tech-debt lifecycle table) from a copy of endoflife.date.

    git clone https://github.com/endoflife-date/endoflife.date /tmp/endoflife.date
    python tools/refresh_lifecycle.py /tmp/endoflife.date            # writes resources/lifecycle.yaml
    python tools/refresh_lifecycle.py /tmp/endoflife.date --check    # exit 1 if the file would change

The app never fetches anything at run time: this command is how the table is refreshed, and the
result is committed. It reads `products/<name>.md` (YAML front matter, `releases:` with
releaseCycle, releaseDate, eoas, eol, eoes, latest, lts) for the products listed in PRODUCTS below,
keeps what the matcher needs and records the snapshot's commit and commit date in the header.
A copy without `.git` (a downloaded zip) needs `--commit` and `--date`.

Which endoflife.date field is "end of support" differs per product, on purpose: it is the end of
security updates *without* a paid extension (Microsoft extended support, RHEL maintenance support,
Ubuntu standard support, Debian LTS, which is free); the paid extension (ESU, ELS, ESM, LTSS,
Oracle Extended Support) is kept as `extension_end`. Each product says so in `end_of_support_is`.

Hand-entered data (SQL Server service-pack builds, Windows NT versions) is not here but in
resources/lifecycle_extra.yaml, which this command does not touch.

endoflife.date is MIT-licensed (Copyright 2020 endoflife.date contributors); the header says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "lifecycle.yaml"
SOURCE_URL = "https://github.com/endoflife-date/endoflife.date"

#: (release, sub, edition) from (releaseCycle, the release's own dict)
Split = Callable[[str, dict], tuple[str, str | None, str | None]]

EXTRA = ROOT / "resources" / "lifecycle_extra.yaml"
#: SQL Server's major.minor version → the release name everybody uses (hand-entered, shared with
#: the matcher)
MSSQL_YEARS: dict[str, str] = yaml.safe_load(EXTRA.read_text(encoding="utf-8"))["mssql_versions"]


def _plain(cycle: str, _rel: dict) -> tuple[str, str | None, str | None]:
    return cycle, None, None


def _windows_server(cycle: str, _rel: dict) -> tuple[str, str | None, str | None]:
    """'2008-r2-sp1' → ('2008 R2', 'SP1'); '1809-sac' → ('1809', None); '23h2-ac' → ('23H2', None)."""
    parts = cycle.split("-")
    release = parts[0].upper()
    sub = None
    for part in parts[1:]:
        if part == "r2":
            release += " R2"
        elif re.fullmatch(r"sp\d", part):
            sub = part.upper()
    return release, sub, None


_CLIENT_NAMES = {"5": "XP", "6": "Vista"}


def _windows_client(cycle: str, _rel: dict) -> tuple[str, str | None, str | None]:
    """'11-23h2-e' → ('11', '23H2', 'E'); '10-21h2-iot-lts' → ('10', '21H2', 'IoT'),
    '5-sp3' → ('XP', 'SP3')."""
    parts = cycle.split("-")
    release = _CLIENT_NAMES.get(parts[0], parts[0])
    sub = parts[1].upper() if len(parts) > 1 else None
    edition = None
    for part in parts[2:]:
        if part == "e":
            edition = "E"
        elif part == "w":
            edition = "W"
        elif part == "iot":
            edition = "IoT"
    return release, sub, edition


def _mssql(cycle: str, _rel: dict) -> tuple[str, str | None, str | None]:
    """'11.0-sp4' → ('2012', 'SP4'); '11.0' → ('2012', 'RTM'); '13.0-sp3-acp' → ('2016', 'SP3 ACP')."""
    version, _, rest = cycle.partition("-")
    release = MSSQL_YEARS[version]
    if rest == "r2":  # "10.50-r2": SQL Server 2008 R2 without a service pack
        return release, "RTM", None
    if rest:
        sp, _, extra = rest.partition("-")
        sub = sp.upper() + (" ACP" if extra == "acp" else "")
        return release, sub, None
    # 2017 and later have no service packs; earlier releases without a suffix are their RTM
    return release, (None if float(version) >= 14 else "RTM"), None


def _sles(cycle: str, _rel: dict) -> tuple[str, str | None, str | None]:
    """'15.4' → ('15', 'SP4'); '15.0' → ('15', 'GA'); '16.0' → ('16', '16.0') (16 numbers its minors)."""
    major, _, minor = cycle.partition(".")
    if int(major) >= 16:
        return major, cycle, None
    return major, (f"SP{minor}" if minor not in ("", "0") else "GA"), None


def _aix(cycle: str, _rel: dict) -> tuple[str, str | None, str | None]:
    """'7.2.5' → ('7.2', 'TL5')."""
    major, minor, tl = cycle.split(".")
    return f"{major}.{minor}", f"TL{tl}", None


def _solaris(cycle: str, _rel: dict) -> tuple[str, str | None, str | None]:
    """'11.4' → ('11', '11.4'); '11' (11 11/11) → ('11', '11.0'); '10' → ('10', None)."""
    major, _, minor = cycle.partition(".")
    if major == "11":
        return "11", f"11.{minor or '0'}", None
    return major, None, None


@dataclass(frozen=True)
class Spec:
    """How one endoflife.date product becomes a table product."""

    id: str
    name: str
    component: str  # os | database
    end_of_support: str  # the endoflife.date field that is our end_of_support
    end_of_support_is: str
    extension: str | None = None  # name of the paid extension kept as extension_end (from eoes)
    split: Split = _plain
    #: "updates": a release named without its sub-release (service pack, TL, update, feature update)
    #: stands for its latest one, since moving to it is a free update within the release
    sub_releases: str | None = None
    min_release: dt.date | None = None  # drop releases before this date (noise the matcher never needs)
    active_support: str = "eoas"  # the field that is end_of_active_support (full / mainstream support)


PRODUCTS = [
    Spec(
        "windows-server",
        "Microsoft Windows Server",
        "os",
        "eol",
        "end of Microsoft extended support (security updates without ESU)",
        "Extended Security Updates (ESU)",
        _windows_server,
        "updates",
    ),
    Spec(
        "windows",
        "Microsoft Windows",
        "os",
        "eol",
        "end of servicing of the release (for 7, 8.1, Vista, XP: end of extended support)",
        "Extended Security Updates (ESU)",
        _windows_client,
        "updates",
    ),
    Spec(
        "rhel",
        "Red Hat Enterprise Linux",
        "os",
        "eol",
        "end of maintenance support (security errata without ELS)",
        "Extended Life-cycle Support (ELS)",
    ),
    Spec("centos", "CentOS Linux", "os", "eol", "end of maintenance updates"),
    Spec("centos-stream", "CentOS Stream", "os", "eol", "end of builds (end of life)"),
    Spec(
        "oracle-linux",
        "Oracle Linux",
        "os",
        "eol",
        "end of Oracle Premier Support (errata without Extended Support)",
        "Oracle Extended Support",
    ),
    Spec("rocky-linux", "Rocky Linux", "os", "eol", "end of security support"),
    Spec("almalinux", "AlmaLinux OS", "os", "eol", "end of security support"),
    Spec(
        "sles",
        "SUSE Linux Enterprise Server",
        "os",
        "eol",
        "end of general support of the service pack (without LTSS)",
        "Long Term Service Pack Support (LTSS)",
        _sles,
        "updates",
    ),
    Spec(
        "ubuntu",
        "Ubuntu",
        "os",
        "eol",
        "end of standard support (maintenance and security updates without ESM)",
        "Expanded Security Maintenance (ESM, Ubuntu Pro)",
    ),
    Spec(
        "debian",
        "Debian GNU/Linux",
        "os",
        "eoes",
        "end of Debian LTS (free security updates; the security team's own support ends earlier: "
        "end_of_active_support)",
        None,
        active_support="eol",
    ),
    Spec(
        "ibm-aix",
        "IBM AIX",
        "os",
        "eol",
        "end of service pack support of the technology level",
        None,
        _aix,
        "updates",
    ),
    Spec(
        "oracle-solaris",
        "Oracle Solaris",
        "os",
        "eol",
        "end of Oracle Premier Support",
        "Oracle Extended Support",
        _solaris,
        "updates",
    ),
    Spec(
        "mssqlserver",
        "Microsoft SQL Server",
        "database",
        "eol",
        "end of Microsoft extended support of the service pack (without ESU)",
        "Extended Security Updates (ESU)",
        _mssql,
        "updates",
    ),
    Spec(
        "oracle-database",
        "Oracle Database",
        "database",
        "eol",
        "end of patching under Premier Support (or waived Extended Support)",
        "Oracle Extended Support",
    ),
    Spec("postgresql", "PostgreSQL", "database", "eol", "final community release"),
    Spec("mysql", "MySQL", "database", "eol", "end of Oracle Extended Support (last public update)"),
    Spec(
        "mariadb",
        "MariaDB",
        "database",
        "eol",
        "end of community support",
        "MariaDB Enterprise support",
    ),
    Spec(
        "ibm-db2",
        "IBM Db2",
        "database",
        "eol",
        "end of IBM base support",
        "IBM Extended Support",
    ),
]


def front_matter(path: Path) -> dict:
    """The YAML between the first two `---` lines of an endoflife.date product page."""
    text = path.read_text(encoding="utf-8")
    parts = text.split("\n---", 2)
    if not text.startswith("---") or len(parts) < 2:
        raise SystemExit(f"{path}: no YAML front matter (expected the file to start with ---)")
    return yaml.safe_load(parts[0].removeprefix("---")) or {}


def _date(value: object, where: str) -> dt.date | bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise SystemExit(f"{where}: expected a date, true or false, got {value!r}")


def _label(spec: Spec, rel: dict, release: str, sub: str | None, edition: str | None) -> str:
    label = rel.get("releaseLabel")
    if label:
        label = label.replace("__CODENAME__", str(rel.get("codename", ""))).replace("''", "").strip()
        label = re.sub(r"\s+", " ", label.replace("'", ""))
        if spec.name.split()[-1].lower() not in label.lower():
            label = f"{spec.name} {label}"
        return label
    shown = sub if sub and sub.startswith(release) else " ".join(b for b in (release, sub) if b)
    bits = [spec.name, shown, f"({edition})" if edition else ""]
    return " ".join(b for b in bits if b)


def product_entry(spec: Spec, repo: Path) -> dict:
    path = repo / "products" / f"{spec.id}.md"
    if not path.exists():
        raise SystemExit(f"{path}: missing — is {repo} a copy of {SOURCE_URL}?")
    data = front_matter(path)
    releases = []
    for rel in data.get("releases") or []:
        cycle = str(rel["releaseCycle"])
        where = f"{path.name} release {cycle}"
        released = _date(rel.get("releaseDate"), where)
        if spec.min_release and isinstance(released, dt.date) and released < spec.min_release:
            continue
        try:
            release, sub, edition = spec.split(cycle, rel)
        except (ValueError, KeyError) as exc:
            raise SystemExit(
                f"{where}: releaseCycle {cycle!r} is not in the form this product's cycles have "
                f"({spec.split.__doc__}) — update {spec.split.__name__} in this file ({exc})"
            ) from None
        eos = _date(rel.get(spec.end_of_support), where)
        active = _date(rel.get(spec.active_support), where)
        ext = _date(rel.get("eoes"), where) if spec.extension else None
        entry = {
            "cycle": cycle,
            "release": release,
            "sub": sub,
            "edition": edition,
            "label": _label(spec, rel, release, sub, edition),
            "released": released if isinstance(released, dt.date) else None,
            "end_of_active_support": active if isinstance(active, dt.date) else None,
            "end_of_support": eos if isinstance(eos, dt.date) else None,
        }
        if not isinstance(eos, dt.date):
            # true: ended on a date endoflife.date does not give; false/None: no end announced
            entry["ended"] = bool(eos)
        entry["extension_end"] = ext if isinstance(ext, dt.date) else None
        if rel.get("lts") not in (None, False):
            entry["lts"] = True
        if rel.get("codename"):
            entry["codename"] = str(rel["codename"])
        if rel.get("latest"):
            entry["latest"] = str(rel["latest"])
        releases.append(entry)
    releases.sort(key=lambda r: (r["released"] or dt.date.min, r["cycle"]), reverse=True)
    return {
        "name": spec.name,
        "component": spec.component,
        "source": f"endoflife.date products/{spec.id}.md",
        "end_of_support_is": spec.end_of_support_is,
        "extension": spec.extension,
        "sub_releases": spec.sub_releases,
        "releases": releases,
    }


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid YAML scalar


def render(products: dict[str, dict], commit: str, date: str) -> str:
    lines = [
        "# Lifecycle table for the tech-debt assessment: end of support of OS and database releases.",
        "#",
        "# GENERATED by tools/refresh_lifecycle.py from the endoflife.date data — do not edit by hand;",
        "# hand-entered additions live in resources/lifecycle_extra.yaml. Refresh with:",
        "#   git clone https://github.com/endoflife-date/endoflife.date /tmp/endoflife.date",
        "#   python tools/refresh_lifecycle.py /tmp/endoflife.date",
        "#",
        f"# Source: {SOURCE_URL} (commit {commit}, committed {date})",
        "# Licence of the source data: MIT, Copyright 2020 endoflife.date contributors —",
        "#   Permission is hereby granted, free of charge, to any person obtaining a copy of this software",
        "#   and associated documentation files (the 'Software'), to deal in the Software without",
        "#   restriction, including without limitation the rights to use, copy, modify, merge, publish,",
        "#   distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the",
        "#   Software is furnished to do so, subject to the following conditions: The above copyright notice",
        "#   and this permission notice shall be included in all copies or substantial portions of the",
        "#   Software. THE SOFTWARE IS PROVIDED 'AS IS', WITHOUT WARRANTY OF ANY KIND.",
        "#",
        "# Per release: end_of_support = end of security updates without a paid extension (what that is",
        "# for the product: end_of_support_is); extension_end = end of the paid extension (ESU, ELS, ESM,",
        "# LTSS ...) named by `extension`; end_of_active_support = end of full / mainstream support.",
        "# end_of_support null with ended: true — ended on a date the source does not give; with",
        "# ended: false — no end announced yet. release/sub/edition: how the matcher finds the entry",
        "# (sub = service pack, technology level, update or feature update; sub_releases: updates means a",
        "# release named without its sub-release stands for its latest one).",
        "",
        "snapshot:",
        f"  source: {_scalar(SOURCE_URL)}",
        '  licence: "MIT (Copyright 2020 endoflife.date contributors)"',
        f"  commit: {_scalar(commit)}",
        f"  date: {date}",
        "",
        "products:",
    ]
    for pid, product in products.items():
        lines.append(f"  {pid}:")
        for key in ("name", "component", "source", "end_of_support_is", "extension", "sub_releases"):
            lines.append(f"    {key}: {_scalar(product[key])}")
        lines.append("    releases:")
        for rel in product["releases"]:
            body = ", ".join(f"{k}: {_scalar(v)}" for k, v in rel.items())
            lines.append(f"      - {{{body}}}")
    return "\n".join(lines) + "\n"


def _git(repo: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("repo", type=Path, help="a copy of the endoflife.date repository")
    parser.add_argument("--commit", help="the snapshot's commit (default: from git)")
    parser.add_argument("--date", help="the snapshot's commit date YYYY-MM-DD (default: from git)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"file to write (default {OUT})")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file would change; write nothing")
    args = parser.parse_args(argv)

    commit = args.commit or _git(args.repo, "log", "-1", "--format=%H")
    date = args.date or _git(args.repo, "log", "-1", "--format=%cs")
    if not commit or not date:
        parser.error(f"{args.repo} is not a git checkout: give --commit and --date of the snapshot")
    dt.date.fromisoformat(date)
    text = render({spec.id: product_entry(spec, args.repo) for spec in PRODUCTS}, commit, date)
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'would change'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    count = sum(1 for line in text.splitlines() if line.startswith("      - {"))
    print(f"wrote {args.out}: {len(PRODUCTS)} products, {count} releases, snapshot {commit[:12]} of {date}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
