"""No code outside `core/flows/` writes flow-state fields: one authoritative write path.

Scans the source of `core/` and `desktop_app/` (the model definitions excepted) for assignments
to the phase fields, for them as keywords of `DiscoveryFlow(...)`/`.values(...)`/`update(...)`,
for `setattr` with their names, and for `UPDATE discovery_flows` in SQL text.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core.flows.phases import FLAG_FIELDS

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("core/flows/", "core/db/models/")
#: Names that belong to discovery flows only: any write of them outside core.flows is a bypass.
PHASE_FIELDS = frozenset({*FLAG_FIELDS, "current_phase", "phases_completed", "progress_percentage"})
#: Names shared with other tables (imports have a status too): checked on objects named like a flow.
SHARED_FIELDS = frozenset({"status", "completed_at", "error_message", "error_phase", "error_details"})
WRITING_CALLS = frozenset({"DiscoveryFlow", "values", "update", "insert", "DiscoveryFlowFactory"})
RAW_SQL = re.compile(r"update\s+(\w+\.)?discovery_flows\b", re.IGNORECASE)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _flowish(node: ast.AST) -> bool:
    name = _name(node).lower()
    return "flow" in name and "master" not in name


def violations(source: str, filename: str) -> list[str]:
    """Every direct write of a protected flow field in one module's source."""
    found: list[str] = []
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and (
                    t.attr in PHASE_FIELDS or (t.attr in SHARED_FIELDS and _flowish(t.value))
                ):
                    found.append(f"{filename}:{node.lineno}: assigns .{t.attr}")
        if isinstance(node, ast.Call):
            func = _name(node.func)
            if func in WRITING_CALLS:
                is_flow = func == "DiscoveryFlow" or any(
                    _flowish(a) for a in (*node.args, getattr(node.func, "value", node.func))
                )
                for kw in node.keywords:
                    if kw.arg in PHASE_FIELDS or (kw.arg in SHARED_FIELDS and is_flow):
                        found.append(f"{filename}:{node.lineno}: {func}({kw.arg}=...)")
            if func == "update" and any(_name(a) == "DiscoveryFlow" for a in node.args):
                found.append(f"{filename}:{node.lineno}: bulk update(DiscoveryFlow)")
            if func == "update" and node.args and isinstance(node.args[0], ast.Dict):
                keys = {k.value for k in node.args[0].keys if isinstance(k, ast.Constant)}
                found += [f"{filename}:{node.lineno}: update({{{k!r}: ...}})" for k in keys & PHASE_FIELDS]
            if (
                func == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in PHASE_FIELDS | SHARED_FIELDS
                and _flowish(node.args[0])
            ):
                found.append(f"{filename}:{node.lineno}: setattr(..., {node.args[1].value!r})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and RAW_SQL.search(node.value):
            found.append(f"{filename}:{node.lineno}: raw SQL updates discovery_flows")
    return found


def test_no_code_outside_core_flows_writes_flow_state() -> None:
    problems: list[str] = []
    for top in ("core", "desktop_app"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(ALLOWED):
                continue
            problems += violations(path.read_text(encoding="utf-8"), rel)
    assert problems == [], "direct writes of flow state outside core.flows:\n" + "\n".join(problems)


def test_the_scan_catches_each_kind_of_bypass() -> None:
    bad = """
flow.current_phase = "asset_inventory"
discovery_flow.status = "completed"
row.data_import_completed = True
flow.phases_completed += ["x"]
s.add(DiscoveryFlow(status="running", flow_name="x"))
s.execute(update(DiscoveryFlow).values(progress_percentage=50))
setattr(flow, "error_message", "x")
s.execute(text("UPDATE discovery_flows SET status = 'x'"))
s.execute(sa.update(DiscoveryFlow).values(status="x"))
s.query(DiscoveryFlow).update({"current_phase": "x"})
"""
    found = violations(bad, "bad.py")
    assert sorted({int(line.split(":")[1]) for line in found}) == list(range(2, 12)), found


def test_the_scan_leaves_other_tables_and_reads_alone() -> None:
    fine = """
imp.status = "completed"
master_flow.status = "running"
mapping.status = "approved"
x = flow.current_phase
s.add(DataImport(status="pending"))
select(DiscoveryFlow).where(DiscoveryFlow.current_phase == "x")
DecisionResult(field_mapping_completed=True)
"""
    assert violations(fine, "fine.py") == []
