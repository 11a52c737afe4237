"""The lifecycle table: OS and database releases with their end of support, read once.

`resources/lifecycle.yaml` is generated from the endoflife.date data (tools/refresh_lifecycle.py);
`resources/lifecycle_extra.yaml` holds the hand-entered number-to-release mappings the matcher
needs (SQL Server builds, Windows NT versions, codenames). Both are data, not code, so refreshing
the table changes no code. A malformed file fails loudly at load, naming the product, the release
and the field, rather than giving a wrong finding later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from core.errors import MigrationDiscoveryError
from core.values.resources import read_yaml

TABLE_FILE = "lifecycle.yaml"
EXTRA_FILE = "lifecycle_extra.yaml"
COMPONENTS = ("os", "database")
_REQUIRED = ("cycle", "release", "label", "end_of_support", "extension_end")


class LifecycleTableError(MigrationDiscoveryError):
    """The lifecycle table in resources/ is malformed (a packaging defect, not bad user input)."""


@dataclass(frozen=True, slots=True)
class Release:
    """One row of the table: a release (with its service pack / TL / feature update, if any)."""

    product_id: str
    cycle: str  # endoflife.date's releaseCycle: the entry's key, shown in rules
    release: str  # "2008 R2", "15", "7.2", "12"
    sub: str | None  # "SP1", "TL5", "22H2", "11.4", None
    edition: str | None  # Windows client servicing channel: "E", "W", "IoT" or None (all)
    label: str
    released: dt.date | None
    end_of_active_support: dt.date | None
    end_of_support: dt.date | None
    ended: bool  # with end_of_support None: True = ended on an unknown date, False = no end announced
    extension_end: dt.date | None
    lts: bool = False
    codename: str | None = None
    latest: str | None = None


@dataclass(frozen=True)
class Product:
    """A product of the table and its releases, indexed by release name."""

    id: str
    name: str
    component: str
    source: str
    end_of_support_is: str
    extension: str | None
    sub_releases: str | None  # "updates": a release named without its sub-release means its latest one
    releases: tuple[Release, ...]
    by_release: Mapping[str, tuple[Release, ...]] = field(repr=False)


@dataclass(frozen=True)
class LifecycleTable:
    """The whole table: the products, where the data came from, and the hand-entered mappings."""

    snapshot: Mapping[str, Any]
    products: Mapping[str, Product]
    extra: Mapping[str, Any]

    def product(self, product_id: str) -> Product:
        return self.products[product_id]


def _as_date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise LifecycleTableError(f"{TABLE_FILE}: {where}: expected a date (YYYY-MM-DD) or null, got {value!r}")


def _release(product_id: str, raw: Mapping[str, Any]) -> Release:
    where = f"product {product_id!r}, release {raw.get('cycle')!r}"
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise LifecycleTableError(f"{TABLE_FILE}: {where}: missing {', '.join(missing)}")
    eos = _as_date(raw["end_of_support"], f"{where}, end_of_support")
    if eos is None and "ended" not in raw:
        raise LifecycleTableError(
            f"{TABLE_FILE}: {where}: end_of_support is null, so `ended: true|false` must say whether it ended"
        )
    return Release(
        product_id=product_id,
        cycle=str(raw["cycle"]),
        release=str(raw["release"]),
        sub=None if raw.get("sub") is None else str(raw["sub"]),
        edition=raw.get("edition"),
        label=str(raw["label"]),
        released=_as_date(raw.get("released"), f"{where}, released"),
        end_of_active_support=_as_date(raw.get("end_of_active_support"), f"{where}, end_of_active_support"),
        end_of_support=eos,
        ended=bool(raw.get("ended", True)),
        extension_end=_as_date(raw["extension_end"], f"{where}, extension_end"),
        lts=bool(raw.get("lts", False)),
        codename=None if raw.get("codename") is None else str(raw["codename"]),
        latest=None if raw.get("latest") is None else str(raw["latest"]),
    )


def build_table(data: Mapping[str, Any], extra: Mapping[str, Any]) -> LifecycleTable:
    """The table from the parsed YAML (separate from reading, so tests can check a broken file)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("products"), Mapping):
        raise LifecycleTableError(f"{TABLE_FILE}: expected a mapping with `snapshot` and `products`")
    products: dict[str, Product] = {}
    for pid, raw in data["products"].items():
        for key in ("name", "component", "releases"):
            if key not in raw:
                raise LifecycleTableError(f"{TABLE_FILE}: product {pid!r}: missing {key}")
        if raw["component"] not in COMPONENTS:
            raise LifecycleTableError(
                f"{TABLE_FILE}: product {pid!r}: component must be one of {COMPONENTS}, "
                f"not {raw['component']!r}"
            )
        releases = tuple(_release(pid, r) for r in raw["releases"])
        index: dict[str, list[Release]] = {}
        for rel in releases:
            index.setdefault(rel.release.casefold(), []).append(rel)
        products[pid] = Product(
            id=pid,
            name=str(raw["name"]),
            component=raw["component"],
            source=str(raw.get("source", "")),
            end_of_support_is=str(raw.get("end_of_support_is", "")),
            extension=raw.get("extension"),
            sub_releases=raw.get("sub_releases"),
            releases=releases,
            by_release={k: tuple(v) for k, v in index.items()},
        )
    return LifecycleTable(snapshot=dict(data.get("snapshot") or {}), products=products, extra=dict(extra))


@lru_cache(maxsize=1)
def lifecycle_table() -> LifecycleTable:
    """The table of resources/ (read and checked once per process)."""
    return build_table(read_yaml(TABLE_FILE), read_yaml(EXTRA_FILE))
