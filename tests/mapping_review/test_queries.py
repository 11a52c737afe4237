"""The review grid's reads: bounded samples (index range scan), preview, effective mappings."""

from __future__ import annotations

from sqlalchemy import text

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import ImportFieldMapping
from core.mapping_review import (
    effective_mappings,
    mapping_row,
    mapping_rows,
    preview_transformation,
)
from core.mapping_review.samples import SAMPLE_RECORDS
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import suggested


def test_preview_applies_the_rules_and_reports_bad_values(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    with core.uow(tenant) as uow:
        ram = preview_transformation(uow, s["RAM (MB)"].id)
        phys = preview_transformation(uow, s["IsPhysical"].id, n=2)
        ip = preview_transformation(uow, s["IP Address"].id)
        custom = preview_transformation(
            uow, s["RAM (MB)"].id, n=1, rules={"scale": 2}, target_field="cpu_cores"
        )
        unmapped = preview_transformation(uow, s["Zorglub"].id, n=3)
    assert [(p.raw, p.value, p.error) for p in ram[:3]] == [
        ("4096", 4.0, None),
        ("8192", 8.0, None),
        ("16384", 16.0, None),
    ]
    assert ram[3].raw == "lots" and ram[3].value == "lots" and "not a number" in ram[3].error
    assert [(p.raw, p.value) for p in phys] == [("No", True), ("Yes", False)]
    assert ip[1].raw == "10.0.0.2; 10.0.0.9" and ip[1].value == "10.0.0.2"
    assert [(p.raw, p.value) for p in custom] == [("4096", 8192)]
    assert [(p.raw, p.value) for p in unmapped] == [("a1", None), ("b2", None), ("c3", None)]


def test_effective_mappings_are_the_accepted_ones(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    s = suggested(core, tenant, ref.import_id)
    mapping_actions.modify(
        core.uows, tenant, s["Zorglub"].id, 1, target_field="cost_center", auto_finish=False
    )
    mapping_actions.reject(core.uows, tenant, s["IP Address"].id, 1, auto_finish=False)
    with core.uow(tenant) as uow:
        eff = effective_mappings(uow, ref.import_id)
        one = mapping_row(uow, s["Zorglub"].id)
    assert [(e.source_field, e.target_field, e.target_type) for e in eff] == [
        ("Zorglub", "cost_center", "string")
    ]
    assert one.status == "modified" and one.samples == ["a1", "b2", "c3", "d4"]


def test_grid_reads_only_the_first_records(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    """200 columns over many rows: samples come from an index range scan with a limit."""
    columns = [f"Col {i}" for i in range(200)]
    ref = make_import(columns=columns, rows=[[f"v{i}" for i in range(200)]], filename="wide.csv")
    with core.uow(tenant) as uow:  # 20,000 more records, generated server-side
        uow.session.execute(
            text(
                "INSERT INTO raw_import_records (id, client_account_id, engagement_id, data_import_id,"
                " record_index, cells, is_processed)"
                " SELECT gen_random_uuid(), :c, :e, :i, n,"
                " array_fill(('r' || n)::text, ARRAY[200]), false FROM generate_series(3, 20002) n"
            ),
            {"c": tenant.client_account_id, "e": tenant.engagement_id, "i": ref.import_id},
        )
        uow.commit()
    with core.db.admin_engine.begin() as conn:
        conn.execute(text("ANALYZE raw_import_records"))
    with core.uow(tenant) as uow:  # rows as the suggester would store them (it takes seconds for 200)
        uow.session.add_all(
            ImportFieldMapping(
                data_import_id=ref.import_id,
                source_field=c,
                source_position=i,
                status="suggested",
                client_account_id=tenant.client_account_id,
                engagement_id=tenant.engagement_id,
            )
            for i, c in enumerate(columns)
        )
        uow.commit()
    with core.uow(tenant) as uow:
        grid = mapping_rows(uow, ref.import_id)
        plan = uow.session.execute(
            text(
                "EXPLAIN (ANALYZE, FORMAT JSON) SELECT cells FROM raw_import_records"
                " WHERE data_import_id = :i"
                " ORDER BY record_index LIMIT :n"
            ),
            {"i": ref.import_id, "n": SAMPLE_RECORDS},
        ).scalar_one()
    assert len(grid) == 200 and grid[0].samples[:3] == ["v0", "r3", "r4"]

    def scanned(node: dict) -> int:  # rows read from the table by the plan's scan nodes
        own = node["Actual Rows"] if "Scan" in node["Node Type"] else 0
        return own + sum(scanned(child) for child in node.get("Plans", []))

    assert scanned(plan[0]["Plan"]) <= SAMPLE_RECORDS, plan  # a bounded read, never all 20,001 rows
