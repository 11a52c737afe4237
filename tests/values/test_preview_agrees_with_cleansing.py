"""The mapping preview and cleansing agree on every value the field writes (one value pipeline).

One CSV holds, a column per value family, the spellings real exports use: ServiceNow criticality,
priority and impact labels, ServiceNow operational and install status labels, VMware / Hyper-V /
Azure power states, `2021/04/15 00:00:00`-style timestamps, yes/no words in any case and locale
numbers. It goes through the real path: `import_file`, the suggester, a decision per column (the
suggestion approved when it proposed the family's field, so its rules travel; otherwise the field
set as a consultant would), the preview (`preview_transformation`) and a cleansing run. For every
sample value the preview and the cleansed record must say the same, and that must be the value the
field knows.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core import tenancy
from core.actions import mapping as actions
from core.bootstrap import Core
from core.db.models import RawImportRecord
from core.imports import import_file
from core.mapping_review.queries import mapping_rows, preview_transformation
from core.pipeline import run_flow
from core.uow import Tenant

ERROR = object()
"""Expected outcome of a value the field must refuse (kept raw and reported, in both paths)."""


@dataclass(frozen=True)
class Family:
    """A column of the CSV: its target field, the rules a consultant sets (if any) and value -> expected."""

    target: str
    values: dict[str, Any]
    rules: dict[str, Any] | None = None
    manual: bool = False
    """Mapped by the consultant with `rules` (the suggester's rules do not travel)."""
    suggested: bool = False
    """The suggester must propose `target` for this column (name and values agree)."""
    marks: tuple[Any, ...] = field(default=())


FAMILIES: dict[str, Family] = {
    "Business criticality": Family(
        "business_criticality",
        {  # ServiceNow business_criticality, priority and impact/urgency choice labels
            "1 - most critical": "critical",
            "2 - somewhat critical": "high",
            "3 - less critical": "medium",
            "4 - not critical": "low",
            "5 - not critical": "low",
            "1 - Critical": "critical",
            "2 - High": "high",
            "3 - Moderate": "medium",
            "4 - Low": "low",
            "5 - Planning": "low",
            "1 - High": "high",
            "2 - Medium": "medium",
            "3 - Low": "low",
            "Tier 1": "critical",
            "Gold": "high",
            "rather important": ERROR,
        },
        suggested=True,
    ),
    "Operational status": Family(
        "operational_status",
        {  # ServiceNow operational_status and install_status labels
            "Operational": "operational",
            "Non-Operational": "non-operational",
            "Repair in Progress": "in maintenance",
            "Retired": "retired",
            "Pipeline": "planned",
            "Catastrophic Error": "non-operational",
            "DR Standby": "dr standby",  # an open set keeps what it does not know
            "Installed": "operational",
            "On Order": "planned",
            "In Maintenance": "in maintenance",
            "Pending Install": "planned",
            "Pending Repair": "in maintenance",
            "In Stock": "non-operational",
        },
        suggested=True,
    ),
    "Powerstate": Family(
        "power_state",
        {
            "poweredOn": "on",
            "poweredOff": "off",
            "suspended": "suspended",
            "POWEREDON": "on",
            "Running": "on",
            "Saved": "suspended",
            "VM running": "on",
            "VM deallocated": "off",
            "PowerState/stopped": "off",
            "exploded": ERROR,
        },
        suggested=True,
    ),
    "Creation date": Family(
        "install_date",
        {
            "2021/04/15 00:00:00": "2021-04-15T00:00:00+00:00",
            "2021/04/16 13:05:00": "2021-04-16T13:05:00+00:00",
            "2021/05/01 23:59:59": "2021-05-01T23:59:59+00:00",
            "2021/04/15": "2021-04-15T00:00:00+00:00",
            "2021/13/45 00:00:00": ERROR,
        },
        suggested=True,  # was vetoed: "values are not dates"
    ),
    "Is virtual": Family(
        "is_virtual",
        {
            **dict.fromkeys(("Yes", "YES", "y", "1", "TRUE", "true"), True),
            **dict.fromkeys(("No", "no", "N", "0", "False", "FALSE"), False),
            "maybe": ERROR,
        },
    ),
    "Memory GB": Family(
        "memory_gb",
        {  # both marks: the later one is the decimal mark, whatever the locale
            "1.024,5": 1024.5,
            "1,024.5": 1024.5,
            "16 384,25": 16384.25,
            "1.234.567,5": 1234567.5,
            "1,234,567.5": 1234567.5,
            "2,5": 2.5,
            "0.75": 0.75,
        },
    ),
    "Disk GB": Family(
        "storage_gb",
        {  # a column the consultant says is written with decimal commas: "2.048" groups thousands
            "1.024,5": 1024.5,
            "2.048": 2048.0,
            "16.384": 16384.0,
            "0,5": 0.5,
            "1,024": 1.024,
            "1.234.567": 1234567.0,
        },
        rules={"decimal_mark": ","},
        manual=True,
    ),
    "Used GB": Family(
        "storage_used_gb",
        {  # and one written with decimal points: "1,024" groups thousands (as without the rule)
            "1,024.5": 1024.5,
            "2,048": 2048.0,
            "1.024": 1.024,
            "0.5": 0.5,
        },
        rules={"decimal_mark": "."},
        manual=True,
    ),
    "Last seen": Family(
        "last_seen",
        {  # ambiguous day/month decided by the column's unambiguous dates ("25/04/2021": day first)
            "25/04/2021": "2021-04-25T00:00:00+00:00",
            "03/04/2021": "2021-04-03T00:00:00+00:00",
        },
        manual=True,  # no date_format rule from the suggester's profile
    ),
}


Outcomes = dict[str, dict[str, tuple[Any, str | None]]]
"""Per column: raw value -> (value, error message)."""


@dataclass(frozen=True)
class Run:
    """What the preview and the cleansing run said, and what the suggester proposed per column."""

    preview: Outcomes
    cleansed: Outcomes
    suggested: dict[str, str | None]


def _write_csv(path: Path) -> None:
    columns = list(FAMILIES)
    depth = max(len(f.values) for f in FAMILIES.values())
    rows = [
        [(list(f.values)[i] if i < len(f.values) else "") for f in FAMILIES.values()] for i in range(depth)
    ]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Name", *columns])
        writer.writerows([f"host{i:02d}", *row] for i, row in enumerate(rows))


def _decide(core: Core, tenant: Tenant, import_id: uuid.UUID) -> dict[str, str | None]:
    """A decision per column; returns what the suggester proposed for each."""
    rows = actions.generate_suggestions(core.uows, tenant, import_id, use_semantic=False).value
    suggested: dict[str, str | None] = {}
    for row in rows:
        suggested[row.source_field] = row.target_field
        family = FAMILIES.get(row.source_field)
        if family is None:
            actions.reject(core.uows, tenant, row.id, row.version, auto_finish=False)
        elif row.target_field == family.target and not family.manual:
            actions.approve(core.uows, tenant, row.id, row.version, auto_finish=False)
        else:
            actions.modify(
                core.uows, tenant, row.id, row.version, target_field=family.target,
                transformation_rules=family.rules, auto_finish=False,
            )  # fmt: skip
    return suggested


def _cleansed(core: Core, tenant: Tenant, import_id: uuid.UUID) -> Outcomes:
    """Per column, each raw cell and what the cleansed record holds for its field (or the error)."""
    positions = {name: i + 1 for i, name in enumerate(FAMILIES)}
    out: Outcomes = {name: {} for name in FAMILIES}
    with core.uows(tenant) as uow:
        records = uow.session.execute(
            select(RawImportRecord.cells, RawImportRecord.cleansed_data, RawImportRecord.validation_errors)
            .where(RawImportRecord.data_import_id == import_id)
            .order_by(RawImportRecord.record_index)
        ).all()
    for cells, data, errors in records:
        for name, family in FAMILIES.items():
            raw = cells[positions[name]]
            if not raw:
                continue
            mine = (e for e in errors or [] if e["field"] == family.target and e["value"] == raw)
            error = next((e["message"] for e in mine), None)
            out[name][raw] = ((data or {}).get(family.target), error)
    return out


@pytest.fixture(scope="module")
def run(core: Core, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    suffix = uuid.uuid4().hex[:8]
    ref = tenancy.ensure_engagement(
        core.db.admin_sessions(), f"Client {suffix}", f"Values {suffix}", core.user_id
    )
    tenant = core.tenant_for(ref)
    path = tmp_path_factory.mktemp("values") / "cmdb_ci_server.csv"
    _write_csv(path)
    imported = import_file(core.uows, tenant, path, source_system="ServiceNow CMDB")
    assert imported.flow_id is not None
    suggested = _decide(core, tenant, imported.import_id)
    with core.uows(tenant) as uow:
        mapping_ids = {
            r.source_field: r.id for r in mapping_rows(uow, imported.import_id) if r.source_field in FAMILIES
        }
        preview: Outcomes = {}
        for name, mid in mapping_ids.items():
            pairs = preview_transformation(uow, mid, n=50)
            preview[name] = {p.raw: (None if p.error else p.value, p.error) for p in pairs}
    run_flow(core.uows, tenant, imported.flow_id, through="data_cleansing")
    yield Run(preview, _cleansed(core, tenant, imported.import_id), suggested)


@pytest.mark.parametrize(
    "column", [pytest.param(name, id=name, marks=f.marks) for name, f in FAMILIES.items()]
)
def test_preview_and_cleansing_agree_on_every_value(run: Run, column: str) -> None:
    family = FAMILIES[column]
    preview, cleansed = run.preview[column], run.cleansed[column]
    assert set(preview) == set(family.values), "the preview shows every sample value"
    assert preview == cleansed, "what the preview shows is what cleansing stores"
    for raw, expected in family.values.items():
        value, error = cleansed[raw]
        if expected is ERROR:
            assert value is None and error, f"{raw!r} must be reported"
        else:
            assert error is None, f"{raw!r}: {error}"
            assert value == (pytest.approx(expected) if isinstance(expected, float) else expected), raw
    if family.suggested:
        assert run.suggested[column] == family.target
