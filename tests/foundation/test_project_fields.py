"""The project's own asset fields (beside the unchanged contract) are typed, stored and targets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.db.models import Asset
from core.mapping import load_target_schema
from core.values.fields import asset_fields

ROOT = Path(__file__).resolve().parents[2]
PROJECT = yaml.safe_load((ROOT / "resources" / "project_asset_fields.yaml").read_text())["fields"]
PYTHON_TYPES = {"string": str, "integer": int, "float": float, "boolean": bool}


def test_rvtools_vm_fields_are_project_fields_not_contract_fields() -> None:
    contract = yaml.safe_load((ROOT / "resources" / "asset_fields.yaml").read_text())["fields"]
    names = [f["name"] for f in PROJECT]
    assert {"is_template", "nic_count", "firmware_type", "vm_hardware_version", "os_configured"} <= set(names)
    assert not set(names) & {f["name"] for f in contract}


@pytest.mark.parametrize("entry", PROJECT, ids=lambda e: e["name"])
def test_project_field_is_an_asset_field_a_column_and_a_target(entry: dict[str, str]) -> None:
    spec = asset_fields()[entry["name"]]
    assert (spec.type, spec.unit) == (entry["type"], entry.get("unit"))
    column = Asset.__table__.columns[entry["name"]]
    assert column.type.python_type is PYTHON_TYPES[entry["type"]]
    target = load_target_schema()[entry["name"]]
    assert (target.type, target.unit) == (entry["type"], entry.get("unit"))
