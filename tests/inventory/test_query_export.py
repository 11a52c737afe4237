"""Query API (paging, sorting, filtering in SQL) and safe XLSX / CSV exports."""

from __future__ import annotations

import csv
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from core.bootstrap import Core
from core.errors import UserInputError
from core.export import csv_safe, export_inventory
from core.inventory import AssetFilters, count_assets, fetch_assets
from core.pipeline import run_flow
from core.uow import Tenant

from .builders import make_import
from .conftest import INJECTIONS, Estate


def test_paging_sorting_and_filtering(core: Core, tenant: Tenant, estate: Estate) -> None:
    with core.uow(tenant) as uow:
        assert count_assets(uow) == 7
        assert count_assets(uow, {"search": "WEB0"}) == 4
        assert count_assets(uow, {"environment": "Production"}) == 2  # case-insensitive
        assert count_assets(uow, {"environment": ["test", "development"]}) == 4
        assert count_assets(uow, AssetFilters(ranges={"memory_gb": (8, 16)})) == 3
        assert count_assets(uow, {"has_conflicts": True}) == 2
        assert count_assets(uow, {"data_import_id": estate.sheet.import_id}) == 4
        assert count_assets(uow, {"fqdn": None}) == 2
        by_mem = fetch_assets(
            uow, columns=["hostname", "memory_gb"], sort="memory_gb", descending=True, limit=3
        )
        assert [r["memory_gb"] for r in by_mem] == [32.0, 16.0, 8.0]
        everything = fetch_assets(uow, columns=["hostname"], sort="hostname", limit=100)
        assert [r["hostname"] for r in everything] == sorted(r["hostname"] for r in everything)
        pages = [
            fetch_assets(uow, columns=["hostname"], sort="hostname", offset=o, limit=3) for o in (0, 3, 6)
        ]
        assert [r["id"] for p in pages for r in p] == [r["id"] for r in everything]
        keyset, after = [], None
        while True:  # keyset paging gives the same order, NULLs last
            page = fetch_assets(uow, columns=["fqdn"], sort="fqdn", descending=True, limit=2, after=after)
            keyset += page
            if len(page) < 2:
                break
            after = (page[-1]["fqdn"], page[-1]["id"])
        offset = fetch_assets(uow, columns=["fqdn"], sort="fqdn", descending=True, limit=100)
        assert [r["id"] for r in keyset] == [r["id"] for r in offset]
        assert offset[-1]["fqdn"] is None
        with pytest.raises(UserInputError):
            fetch_assets(uow, sort="id; DROP TABLE assets")


def test_xlsx_export_keeps_types_and_neutralises_formulas(core: Core, tenant: Tenant, estate: Estate,
                                                         tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "inventory.xlsx"
    with core.uow(tenant) as uow:
        result = export_inventory(uow, out, "xlsx")
    assert result.rows["Assets"] == 7 and result.rows["Conflicts"] > 0 and result.rows["Quality"] > 10
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Assets", "Quality", "Conflicts"]
    ws = wb["Assets"]
    header = [c.value for c in ws[1]]
    assert "memory_gb (GB)" in header and "cpu_speed_mhz (MHz)" in header and "hostname" in header
    col = {h: i for i, h in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2))
    web01 = next(r for r in rows if r[col["fqdn"]].value == "web01.corp.example.com")
    assert web01[col["memory_gb (GB)"]].data_type == "n" and web01[col["memory_gb (GB)"]].value == 16
    assert web01[col["is_virtual"]].data_type == "b" and web01[col["is_virtual"]].value is True
    stamp = web01[col["install_date"]]
    assert isinstance(stamp.value, datetime) and stamp.is_date and stamp.value.year == 2020
    payloads = {
        r[col["description"]].value: r[col["description"]].data_type
        for r in rows
        if r[col["description"]].value
    }
    assert set(payloads) == {INJECTIONS[0], INJECTIONS[1], INJECTIONS[3], "-2+3"}  # exact text kept
    assert set(payloads.values()) == {"s"}  # string cells, never formulas
    with zipfile.ZipFile(out) as z:  # no formula element anywhere in the package
        assert all(
            b"<f>" not in z.read(n) and b"<f " not in z.read(n) for n in z.namelist() if n.endswith(".xml")
        )
    conflicts = wb["Conflicts"]
    assert [c.value for c in conflicts[1]][:3] == ["asset_id", "asset_name", "field"]


def test_csv_export_round_trips_and_prefixes_formula_triggers(core: Core, tenant: Tenant, estate: Estate,
                                                             tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "inventory.csv"
    with core.uow(tenant) as uow:
        result = export_inventory(uow, out, "csv")
    assert [Path(f).name for f in result.files] == [
        "inventory.csv",
        "inventory.quality.csv",
        "inventory.conflicts.csv",
    ]
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 7
    web01 = next(r for r in rows if r["fqdn"] == "web01.corp.example.com")
    assert float(web01["memory_gb (GB)"]) == 16.0 and web01["is_virtual"] == "true"
    assert web01["install_date"].startswith("2020-03-15")
    notes = {r["description"] for r in rows if r["description"]}
    assert notes == {"'" + INJECTIONS[0], "'" + INJECTIONS[1], "'" + INJECTIONS[3], "'-2+3"}
    with (tmp_path / "inventory.conflicts.csv").open(encoding="utf-8-sig", newline="") as fh:
        conflicts = list(csv.DictReader(fh))
    assert any(c["field"] == "memory_gb" and c["value"] == "24.0" for c in conflicts)


#: payloads behind a separator (a spreadsheet splitting at `;`, tab or a line break sees a formula),
#: each with the text the export must write: a `'` guard at the start of every part that starts a formula
SEPARATED = {
    "x;=1+1": "x;'=1+1",
    "a;b;@SUM(A1:A2)": "a;b;'@SUM(A1:A2)",
    "x\t=1+1": "x\t'=1+1",
    "x, =1+1": "x,' =1+1",
    "plain; -2+3": "plain;' -2+3",
    "x\n=1+1": "x\n'=1+1",
    'q";=1+1': "q\";'=1+1",
    "x;'=1+1": "x;'=1+1",  # already guarded
    "a;b, c": "a;b, c",  # nothing to guard
}


def test_csv_export_neutralises_formulas_after_any_separator(
    core: Core, tenant: Tenant, tmp_path: Path
) -> None:
    hosts = {value: f"sep{i:02d}" for i, value in enumerate(SEPARATED)}
    made = make_import(
        core, tenant, "separated.csv", ["Server Name", "Notes"], [[h, v] for v, h in hosts.items()],
        {"Server Name": "hostname", "Notes": "description"},
    )  # fmt: skip
    run_flow(core.uows, tenant, made.flow_id)
    out = tmp_path / "separated.csv"
    with core.uow(tenant) as uow:
        export_inventory(uow, out, "csv")
    text = out.read_text(encoding="utf-8-sig")
    with out.open(encoding="utf-8-sig", newline="") as fh:  # read back as written: each value whole
        notes = {r["hostname"]: r["description"] for r in csv.DictReader(fh)}
    assert {value: notes[host] for value, host in hosts.items()} == SEPARATED
    for guarded in SEPARATED.values():  # every text field is quoted, `;` ones included
        assert '"' + guarded.replace('"', '""') + '"' in text, guarded
    # opened with `;` (LibreOffice / Excel in many locales) or tab as the separator: no cell starts a
    # formula, even once the spreadsheet trims spaces and quotes
    for delimiter in (";", "\t"):
        with out.open(encoding="utf-8-sig", newline="") as fh:
            cells = [cell for row in csv.reader(fh, delimiter=delimiter) for cell in row]
        bad = [c for c in cells if c.lstrip(' "').startswith(("=", "+", "-", "@")) and not _is_number(c)]
        assert bad == [], (delimiter, bad)


def test_csv_guard_covers_a_formula_after_leading_spaces_or_quotes() -> None:
    """LibreOffice's "Trim spaces" import option would turn ` =1+1` into a formula."""
    assert csv_safe(" =1+1") == "' =1+1" and csv_safe("\u00a0@SUM(A1)") == "'\u00a0@SUM(A1)"
    assert csv_safe('"=1+1') == "'\"=1+1" and csv_safe("x =1+1") == "x =1+1" and csv_safe("") == ""


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
