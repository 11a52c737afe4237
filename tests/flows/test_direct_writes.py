"""No code outside `core/flows/transitions.py` writes flow-state fields: one authoritative write path.

Scans the source of `core/` and `desktop_app/` (the model definitions excepted) for assignments
to the phase fields, for them as keywords of `DiscoveryFlow(...)`/`.values(...)`/`update(...)`,
for `setattr` with their names, and for `UPDATE discovery_flows` in SQL text. Inside `core/flows/`
(recovery, lifecycle, the error wrapper, …) the scan is stricter: a `setattr` on a flow with a computed
name counts too, since that is how a module would write the flags in a loop.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core.flows.phases import FLAG_FIELDS

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = ("core/flows/", "core/db/models/")
#: The one writer of the protected fields inside `core/flows/`.
WRITER = "core/flows/transitions.py"
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


def violations(source: str, filename: str, *, strict: bool = False) -> list[str]:
    """Every direct write of a protected flow field in one module's source.

    `strict` also reports `setattr(flow, name, ...)` with a computed `name` (for `core/flows/`).
    """
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
            if (
                strict
                and func == "setattr"
                and len(node.args) >= 2
                and not isinstance(node.args[1], ast.Constant)
                and _flowish(node.args[0])
            ):
                found.append(f"{filename}:{node.lineno}: setattr(flow, <computed name>, ...)")
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


def test_inside_core_flows_only_transitions_writes_flow_state() -> None:
    """Recovery, lifecycle, the error wrapper, reconciliation, retention: all write through transitions."""
    problems: list[str] = []
    for path in sorted((ROOT / "core" / "flows").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == WRITER:
            continue
        problems += violations(path.read_text(encoding="utf-8"), rel, strict=True)
    assert problems == [], "flow state written outside core.flows.transitions:\n" + "\n".join(problems)


def test_the_strict_scan_catches_the_old_recovery_and_lifecycle_writes() -> None:
    """What `recovery._restore` and `lifecycle.change_status` used to do outside transitions.py."""
    old = """
for flag in FLAG_FIELDS:
    setattr(flow, flag, getattr(snap.flags, flag))
flow.current_phase = snap.current_phase
flow.status = new_status
for name, value in (field_updates or {}).items():
    setattr(flow, name, value)
"""
    found = violations(old, "old.py", strict=True)
    assert sorted({int(line.split(":")[1]) for line in found}) == [3, 4, 5, 7], found
    assert len(violations(old, "old.py")) == 2  # the loose scan (outside core/flows) sees only the named ones
    assert (
        violations("setattr(mapping, name, value)\nsetattr(cp, 'is_valid', False)", "ok.py", strict=True)
        == []
    )


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
