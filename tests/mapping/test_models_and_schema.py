"""Pydantic models, the target schema contract, and the no-answers-in-product-code rule."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from core.mapping import FieldMappingSuggestion, ManualMappingRequest, load_target_schema
from core.mapping.models import CONTRACT_KEYS

from .helpers import CASES, SHARED_CASES

ROOT = Path(__file__).resolve().parents[2]


def test_target_schema_contains_every_contract_field_exactly() -> None:
    contract = yaml.safe_load((ROOT / "resources" / "asset_fields.yaml").read_text(encoding="utf-8"))
    schema = load_target_schema()
    for entry in contract["fields"]:
        field = schema[entry["name"]]
        assert (field.type, field.unit) == (entry["type"], entry.get("unit"))
        assert field.description and field.synonyms


def test_manual_mapping_request_validates_type_and_target() -> None:
    ok = ManualMappingRequest(
        source_field=" RAM ", target_field="memory_gb", transformation_rules={"scale": 0.5}
    )
    assert ok.source_field == "RAM"
    assert ok.data_type == "float"
    with pytest.raises(ValidationError, match="data_type"):
        ManualMappingRequest(source_field="RAM", target_field="memory_gb", data_type="decimal")
    with pytest.raises(ValidationError, match="unknown target field"):
        ManualMappingRequest(source_field="RAM", target_field="memory_size")
    with pytest.raises(ValidationError, match="scale"):
        ManualMappingRequest(
            source_field="RAM", target_field="memory_gb", transformation_rules={"scale": "half"}
        )
    assert ManualMappingRequest(source_field="Notes", target_field=None).data_type is None


def test_suggestion_model_ties_none_to_null_target_and_prints_contract_keys() -> None:
    s = FieldMappingSuggestion(
        source_field="x", target_field=None, confidence=0.7, match_type="none", explanation="nothing fits"
    )
    assert tuple(s.contract_dict()) == CONTRACT_KEYS
    with pytest.raises(ValidationError):
        FieldMappingSuggestion(
            source_field="x", target_field="hostname", confidence=0.7, match_type="none", explanation=""
        )
    with pytest.raises(ValidationError):
        FieldMappingSuggestion(
            source_field="x", target_field=None, confidence=1.5, match_type="none", explanation=""
        )


def test_product_code_and_resources_do_not_mention_benchmark_cases() -> None:
    names = {p.name.split(".")[0] for d in (CASES, SHARED_CASES) if d.is_dir() for p in d.glob("*.csv")}
    files = [
        *(ROOT / "core" / "mapping").rglob("*.py"),
        *(ROOT / "resources").glob("*.yaml"),
        ROOT / "desktop_app" / "cli" / "commands_map.py",
    ]
    for f in files:
        text = f.read_text(encoding="utf-8")
        for name in names:
            assert not re.search(re.escape(name), text), f"{f} mentions case {name}"


def test_importing_the_package_is_light() -> None:
    heavy = "('numpy', 'torch', 'yaml', 'rapidfuzz', 'pydantic')"
    code = f"import sys, core.mapping; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
