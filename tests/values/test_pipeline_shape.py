"""The value pipeline is one package at the bottom of the core, and its users are thin.

`core.values` may import no other core package (the mapping vocabulary and profiles build on it,
not the other way round), cleansing and the mapping review do not import each other for values,
and the booleans the rule preview and cleansing accept are the same words.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.values import FieldCoercer, apply_rules, asset_fields
from core.values.booleans import FALSE_WORDS, TRUE_WORDS

ROOT = Path(__file__).resolve().parents[2]


def _core_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("core."))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("core."):
            found.add(node.module or "")
    return found


def test_core_values_imports_only_itself() -> None:
    for path in sorted((ROOT / "core" / "values").glob("*.py")):
        outside = {m for m in _core_imports(path) if not m.startswith("core.values")}
        assert not outside, (path.name, outside)


def test_cleansing_and_mapping_review_take_values_from_the_pipeline() -> None:
    coerce = _core_imports(ROOT / "core" / "cleansing" / "coerce.py")
    rules = _core_imports(ROOT / "core" / "mapping_review" / "rules.py")
    assert coerce and all(m.startswith("core.values") for m in coerce), coerce
    assert rules and all(m.startswith("core.values") for m in rules), rules
    preview = _core_imports(ROOT / "core" / "mapping_review" / "queries.py")
    assert not any(m.startswith("core.cleansing") for m in preview), preview


def test_one_set_of_yes_no_words() -> None:
    spec = asset_fields()["is_virtual"]
    for word in sorted(TRUE_WORDS | FALSE_WORDS):
        expected = word in TRUE_WORDS
        assert apply_rules(word, {}, "boolean") == (expected, None), word
        assert FieldCoercer(spec)(word.upper()) == (expected, None), word
