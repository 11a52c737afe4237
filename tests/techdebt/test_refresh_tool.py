"""tools/refresh_lifecycle.py on a small copy of the endoflife.date layout.

Why: refreshing the table is how its dates stay current; the command must read the front matter
as endoflife.date writes it (dates, `eol: true|false`, release labels), map each product's fields
to end of support / paid extension as documented, record the snapshot, and write a file the app
loads — or say which file is missing.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.techdebt.table import build_table

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("refresh_lifecycle", ROOT / "tools" / "refresh_lifecycle.py")
assert spec and spec.loader
tool = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = tool  # dataclasses look their module up while the file runs
spec.loader.exec_module(tool)

PAGES = {
    "windows-server": """  - releaseCycle: "2012-r2"
    releaseLabel: "Windows Server 2012 R2"
    releaseDate: 2013-11-25
    lts: true
    eoas: 2018-10-09
    eol: 2023-10-10
    eoes: 2026-10-13
    latest: 6.3.9600
""",
    "debian": """  - releaseCycle: "12"
    codename: "Bookworm"
    releaseDate: 2023-06-10
    eol: 2026-07-11
    eoes: 2028-06-30
""",
    "oracle-solaris": """  - releaseCycle: "11.2"
    releaseDate: 2014-04-29
    eol: true
""",
    "ibm-aix": """  - releaseCycle: "7.3.2"
    releaseDate: 2023-11-30
    eol: 2026-11-30
""",
    "ibm-db2": """  - releaseCycle: "12.1"
    releaseDate: 2024-11-14
    eol: false
    eoes: false
""",
    "mssqlserver": """  - releaseCycle: "11.0-sp4"
    codename: Denali
    releaseLabel: "2012 '__CODENAME__' SP4"
    releaseDate: 2017-10-05
    eoas: 2022-07-12
    eol: 2022-07-12
    eoes: 2025-07-08
""",
}


def _copy(tmp_path: Path) -> Path:
    products = tmp_path / "eol" / "products"
    products.mkdir(parents=True)
    for product in tool.PRODUCTS:
        body = PAGES.get(
            product.id, '  - releaseCycle: "1"\n    releaseDate: 2020-01-01\n    eol: 2030-01-01\n'
        )
        (products / f"{product.id}.md").write_text(
            f"---\ntitle: {product.name}\ncategory: os\n\nreleases:\n{body}\n---\n\n> text of the page\n",
            encoding="utf-8",
        )
    return tmp_path / "eol"


def test_it_writes_a_table_the_app_loads(tmp_path: Path) -> None:
    repo, out = _copy(tmp_path), tmp_path / "lifecycle.yaml"
    args = [str(repo), "--commit", "c" * 40, "--date", "2026-08-22", "--out", str(out)]
    assert tool.main(args) == 0
    text = out.read_text(encoding="utf-8")
    assert f"commit {'c' * 40}, committed 2026-08-22" in text and "MIT" in text
    extra = yaml.safe_load((ROOT / "resources" / "lifecycle_extra.yaml").read_text(encoding="utf-8"))
    table = build_table(yaml.safe_load(text), extra)
    ws = table.product("windows-server").by_release["2012 r2"][0]
    assert (ws.end_of_support.isoformat(), ws.extension_end.isoformat(), ws.lts) == (
        "2023-10-10",
        "2026-10-13",
        True,
    )
    debian = table.product("debian").by_release["12"][0]  # Debian LTS is free: it is the end of support
    assert (debian.end_of_support.isoformat(), debian.end_of_active_support.isoformat()) == (
        "2028-06-30",
        "2026-07-11",
    )
    solaris = table.product("oracle-solaris").by_release["11"][0]
    assert (solaris.sub, solaris.end_of_support, solaris.ended) == ("11.2", None, True)
    db2 = table.product("ibm-db2").by_release["12.1"][0]
    assert (db2.end_of_support, db2.ended, db2.extension_end) == (None, False, None)
    sql = table.product("mssqlserver").by_release["2012"][0]
    assert (sql.sub, sql.label) == ("SP4", "Microsoft SQL Server 2012 Denali SP4")
    # --check: unchanged → 0; after an edit → 1, and nothing written
    assert tool.main([*args, "--check"]) == 0
    out.write_text(text.replace("2023-10-10", "2023-10-11"), encoding="utf-8")
    assert tool.main([*args, "--check"]) == 1
    assert "2023-10-11" in out.read_text(encoding="utf-8")


def test_a_copy_without_git_needs_the_snapshot_named(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    with pytest.raises(SystemExit):
        tool.main([str(repo), "--out", str(tmp_path / "x.yaml")])


def test_a_release_cycle_of_an_unexpected_form_is_named(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    page = repo / "products" / "ibm-aix.md"
    page.write_text(page.read_text(encoding="utf-8").replace('"7.3.2"', '"7.3"'), encoding="utf-8")
    with pytest.raises(SystemExit, match=r"ibm-aix\.md release 7\.3: releaseCycle '7\.3' is not in the form"):
        tool.main([str(repo), "--commit", "c", "--date", "2026-01-01", "--out", str(tmp_path / "x.yaml")])


def test_a_missing_product_page_is_named(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    (repo / "products" / "rhel.md").unlink()
    with pytest.raises(SystemExit, match=r"rhel\.md: missing"):
        tool.main([str(repo), "--commit", "c", "--date", "2026-01-01", "--out", str(tmp_path / "x.yaml")])


def test_it_runs_as_the_documented_command(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "s"],
        check=True,
    )
    out = tmp_path / "lifecycle.yaml"
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "refresh_lifecycle.py"), str(repo), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"{len(tool.PRODUCTS)} products" in done.stdout
    commit = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%H"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert commit in out.read_text(encoding="utf-8")
