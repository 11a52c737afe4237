"""`map finish --auto [--min-confidence X]` lists what it left unmapped; `map forget FLOW_ID COLUMN`."""

from __future__ import annotations

import json

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.uow import Tenant

from .conftest import MakeImport
from .helpers import memory, rows, suggested
from .test_auto_finish import COLUMNS, ROWS, force_guesses
from .test_cli import run_cli
from .test_learning_people import BOX, BOX_ROWS, TEACHER, teach_box_label


def test_map_finish_auto_lists_the_columns_it_left_unmapped(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import(columns=COLUMNS, rows=ROWS)
    force_guesses(core, tenant, ref.import_id)
    res = run_cli(core, "map", "finish", str(ref.flow_id), "--auto", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["field_mapping_completed"] is True and out["already_finished"] is False
    assert {"flow_id", "import_id", "total", "pending", "approved", "rejected"} <= set(out)
    left = {item["source_field"]: item["reason"] for item in out["left_unmapped"]}
    assert list(left) == ["Overall Cpu Readiness", "Network #1", "Notes"]
    assert "below the threshold 0.90" in left["Overall Cpu Readiness"]
    assert "preview fails" in left["Network #1"]
    assert out["approved"] == 2 and out["rejected"] == 3
    assert memory(core, tenant) == []  # auto-finish teaches nothing


def test_map_finish_auto_takes_min_confidence_and_prints_what_it_left(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import(columns=COLUMNS, rows=ROWS)
    force_guesses(core, tenant, ref.import_id)
    res = run_cli(core, "map", "finish", str(ref.flow_id), "--auto", "--min-confidence", "0.6")
    assert res.returncode == 0, res.stderr
    assert "left 2 column(s) unmapped" in res.stdout
    assert "'Network #1': the preview fails" in res.stdout and "'Notes': no target suggested" in res.stdout
    assert rows(core, tenant, ref.import_id)["Overall Cpu Readiness"].status == "approved"


def test_map_finish_min_confidence_needs_auto_and_a_fraction(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    alone = run_cli(core, "map", "finish", str(ref.flow_id), "--min-confidence", "0.5", "--json")
    assert alone.returncode == 2 and "--auto" in alone.stderr and alone.stdout == ""
    bad = run_cli(core, "map", "finish", str(ref.flow_id), "--auto", "--min-confidence", "7", "--json")
    assert bad.returncode == 2 and "min-confidence" in bad.stderr


def test_map_forget(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    teach_box_label(core, tenant, make_import)
    second = make_import(columns=BOX, rows=BOX_ROWS, filename="servers2.csv")
    assert suggested(core, tenant, second.import_id)["Box Label"].match_type == "learned"

    res = run_cli(core, "map", "forget", str(second.flow_id), "Box Label", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["flow_id"], out["import_id"], out["source_field"]) == (
        str(second.flow_id),
        str(second.import_id),
        "Box Label",
    )
    hostname = next(e for e in out["forgotten"] if e["target_field"] == "hostname")
    assert hostname["taught_by"] == TEACHER and hostname["taught_at"] and hostname["learned"] is True
    assert out["mapping"]["source_field"] == "Box Label" and out["mapping"]["match_type"] != "learned"
    assert not any(m["header"] == "Box Label" for m in memory(core, tenant))

    text = run_cli(core, "map", "forget", str(second.flow_id), "Box Label")
    assert text.returncode == 0 and "nothing was learned for column 'Box Label'" in text.stdout
    unknown = run_cli(core, "map", "forget", str(second.flow_id), "No Such Column", "--json")
    assert unknown.returncode == 2 and "No Such Column" in unknown.stderr and unknown.stdout == ""


def test_map_forget_prints_who_had_taught_it(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    teach_box_label(core, tenant, make_import)
    second = make_import(columns=BOX, rows=BOX_ROWS, filename="servers2.csv")
    mapping_actions.generate_suggestions(core.uows, tenant, second.import_id, use_semantic=False)
    res = run_cli(core, "map", "forget", str(second.flow_id), "Box Label")
    assert res.returncode == 0, res.stderr
    assert "forgot what was learned for column 'Box Label'" in res.stdout
    assert f"'Box Label' → hostname (approved 1×, rejected 0×, taught by {TEACHER} on" in res.stdout
