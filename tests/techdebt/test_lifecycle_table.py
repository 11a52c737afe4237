"""The lifecycle table in resources/: it loads, every entry is complete and its dates are in order.

Why: the table is generated data; a refresh that drops a field, swaps two dates or loses a product
the issue names would give wrong findings silently. A broken file must fail at load, naming the
product, the release and the field.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import pytest
import yaml

from core.techdebt import LifecycleTableError, lifecycle_table
from core.techdebt.table import build_table


def test_the_header_records_source_licence_and_snapshot_date() -> None:
    table = lifecycle_table()
    snap = table.snapshot
    assert snap["source"] == "https://github.com/endoflife-date/endoflife.date"
    assert snap["licence"].startswith("MIT")
    assert re.fullmatch(r"[0-9a-f]{40}", snap["commit"])
    assert isinstance(snap["date"], dt.date)
    # the comment header (how to refresh, the licence) is not in the parsed data: read the file
    text = resources.files("resources").joinpath("lifecycle.yaml").read_text(encoding="utf-8")
    assert "tools/refresh_lifecycle.py" in text and "MIT" in text and snap["commit"] in text


def test_every_entry_has_the_required_fields_and_dates_in_order() -> None:
    table = lifecycle_table()
    assert len(table.products) >= 17
    for product in table.products.values():
        assert product.name and product.component in ("os", "database") and product.source
        assert product.end_of_support_is, product.id
        assert product.releases, product.id
        released = [r.released for r in product.releases if r.released]
        assert released == sorted(released, reverse=True), f"{product.id}: releases not newest first"
        for rel in product.releases:
            where = f"{product.id} {rel.cycle}"
            assert rel.release and rel.label and rel.cycle, where
            if rel.end_of_support is None:
                assert isinstance(rel.ended, bool), where
            chain = [rel.released, rel.end_of_active_support, rel.end_of_support, rel.extension_end]
            dates = [d for d in chain if d is not None]
            assert dates == sorted(dates), f"{where}: dates out of order {chain}"
            if rel.extension_end is not None:
                assert product.extension, f"{where}: an extension date without the extension's name"


# the releases the issue names, per product (a refresh must keep them)
REQUIRED = {
    "windows-server": ["2003", "2008", "2008 R2", "2012", "2012 R2", "2016", "2019", "2022", "2025"],
    "windows": ["XP", "Vista", "7", "8", "8.1", "10", "11"],
    "rhel": ["5", "6", "7", "8", "9", "10"],
    "centos": ["6", "7", "8"],
    "centos-stream": ["8", "9", "10"],
    "oracle-linux": ["6", "7", "8", "9"],
    "sles": ["11", "12", "15"],
    "ubuntu": ["14.04", "16.04", "18.04", "20.04", "22.04", "24.04"],
    "debian": ["8", "9", "10", "11", "12", "13"],
    "ibm-aix": ["7.1", "7.2", "7.3"],
    "oracle-solaris": ["10", "11"],
    "mssqlserver": ["2005", "2008", "2008 R2", "2012", "2014", "2016", "2017", "2019", "2022"],
    "oracle-database": ["11.2", "12.1", "12.2", "18", "19", "21", "23"],
    "postgresql": ["9.6", "10", "11", "12", "13", "14", "15", "16", "17"],
    "mysql": ["5.6", "5.7", "8.0", "8.4"],
    "mariadb": ["10.6", "10.11", "11.4"],
    "ibm-db2": ["10.5", "11.1", "11.5"],
}


@pytest.mark.parametrize("product_id", sorted(REQUIRED))
def test_the_products_and_releases_of_the_issue_are_there(product_id: str) -> None:
    product = lifecycle_table().product(product_id)
    missing = [r for r in REQUIRED[product_id] if r.casefold() not in product.by_release]
    assert missing == []


def test_sles_keeps_its_service_packs() -> None:
    subs = {r.sub for r in lifecycle_table().product("sles").by_release["15"]}
    assert {"GA", "SP1", "SP4", "SP7"} <= subs


def test_the_hand_entered_mappings_load() -> None:
    extra = lifecycle_table().extra
    assert extra["mssql_versions"]["11.0"] == "2012"
    assert extra["mssql_service_pack_builds"]["2012"]["SP4"] == 7001
    assert extra["windows_nt_versions"]["server"]["6.3"] == "2012 R2"


def _one_release(**changes: object) -> dict:
    release = {
        "cycle": "1",
        "release": "1",
        "label": "P 1",
        "released": dt.date(2020, 1, 1),
        "end_of_support": dt.date(2025, 1, 1),
        "extension_end": None,
    }
    release.update(changes)
    release = {k: v for k, v in release.items() if v != "DROP"}
    return {"products": {"p": {"name": "P", "component": "os", "releases": [release]}}}


def test_a_broken_table_names_the_product_release_and_field() -> None:
    with pytest.raises(LifecycleTableError, match=r"product 'p', release '1': missing end_of_support"):
        build_table(_one_release(end_of_support="DROP"), {})
    with pytest.raises(LifecycleTableError, match=r"release '1', extension_end: expected a date"):
        build_table(_one_release(extension_end="soon"), {})
    with pytest.raises(LifecycleTableError, match=r"`ended: true\|false`"):
        build_table(_one_release(end_of_support=None), {})
    bad = _one_release()
    bad["products"]["p"]["component"] = "middleware"
    with pytest.raises(LifecycleTableError, match="component must be one of"):
        build_table(bad, {})
    with pytest.raises(LifecycleTableError, match="expected a mapping"):
        build_table(yaml.safe_load("- just a list"), {})
