"""The core's package structure: no cycles between its packages, and no service knows the composition root.

Why a test: a cycle between packages (flows ↔ services, bootstrap ↔ services) makes each phase and the
outbox harder to add; `Core` inside a service couples it to every front end. Imports anywhere in a module
count (also those inside functions), except those only for type checking.

The front ends (`desktop_app/`, the GUI and the CLI) call one core use case per user action and one read
function per read: they never commit, never open a unit of work, never import SQLAlchemy and never pass
`commit=` (issue 11). Their tests are exempt (they arrange and check the database directly).
"""

from __future__ import annotations

import ast
import graphlib
import itertools
from collections import defaultdict
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
FRONT_ENDS = CORE.parent / "desktop_app"
#: calls that open a unit of work (`core.uow(...)`, `core.uows(...)`, `UnitOfWork(...)`, `tenant_scope(...)`)
_UOW_METHODS = frozenset({"uow", "uows"})
_UOW_CONSTRUCTORS = frozenset({"UnitOfWork", "tenant_scope"})


def _package_of(module: str) -> str | None:
    """`core.flows.status` → `core.flows`; `core.errors` → `core.errors`; outside the core → None."""
    parts = module.split(".")
    if parts[0] != "core" or len(parts) < 2:
        return None
    return ".".join(parts[:2])


def _module_name(path: Path) -> str:
    rel = path.relative_to(CORE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, *, is_package: bool) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this module's package
                parts = module.split(".")
                base = parts[: len(parts) - node.level + (1 if is_package else 0)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], list[str]]]:
    edges: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(CORE.rglob("*.py")):
        module = _module_name(path)
        source = _package_of(module)
        if source is None:
            continue
        edges.setdefault(source, set())
        for name in _imports(
            ast.parse(path.read_text(encoding="utf-8")), module, is_package=path.name == "__init__.py"
        ):
            target = _package_of(name)
            if target is None or target == source:
                continue
            stem = CORE.parent / target.replace(".", "/")
            if stem.is_dir() or stem.with_suffix(".py").exists():
                edges[source].add(target)
                where[(source, target)].append(str(path.relative_to(CORE.parent)))
    return edges, where


def test_no_cycles_between_core_packages() -> None:
    edges, where = _graph()
    try:
        tuple(graphlib.TopologicalSorter(edges).static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]  # each node is imported by the next one
        steps = [
            f"{b} imports {a} (in {', '.join(sorted(set(where[(b, a)]))[:3])})"
            for a, b in itertools.pairwise(cycle)
        ]
        raise AssertionError("import cycle between core packages:\n  " + "\n  ".join(steps)) from None


def test_only_front_ends_know_the_composition_root() -> None:
    edges, where = _graph()
    users = sorted(source for source, targets in edges.items() if "core.bootstrap" in targets)
    assert users == [], {u: where[(u, "core.bootstrap")] for u in users}


def _front_end_offences(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for each database-plumbing construct a front-end module must not contain."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(
                (node.lineno, f"imports {a.name}") for a in node.names if a.name.split(".")[0] == "sqlalchemy"
            )
        elif isinstance(node, ast.ImportFrom) and not node.level:
            if (node.module or "").split(".")[0] == "sqlalchemy":
                found.append((node.lineno, f"imports from {node.module}"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "commit":
                found.append((node.lineno, "calls .commit()"))
            elif isinstance(func, ast.Attribute) and func.attr in _UOW_METHODS:
                found.append((node.lineno, f"opens a unit of work (.{func.attr}(...))"))
            elif isinstance(func, ast.Name | ast.Attribute) and (
                (func.id if isinstance(func, ast.Name) else func.attr) in _UOW_CONSTRUCTORS
            ):
                found.append((node.lineno, "opens a unit of work (constructs one)"))
            found.extend((node.lineno, "passes commit=") for kw in node.keywords if kw.arg == "commit")
    return sorted(found)


def test_the_plumbing_scan_finds_each_kind_of_offence() -> None:
    source = """
import sqlalchemy.orm
from sqlalchemy import select
from core.uow import UnitOfWork, tenant_scope
with core.uow(tenant) as uow:
    uow.commit()
with core.uows(tenant) as uow:
    approve(uow, commit=True)
UnitOfWork(sessions, tenant)
tenant_scope(sessions, client, engagement)
navigation(core.uows)  # passing the factory to the core is how front ends should do it
"""
    assert [what for _line, what in _front_end_offences(ast.parse(source))] == [
        "imports sqlalchemy.orm",
        "imports from sqlalchemy",
        "opens a unit of work (.uow(...))",
        "calls .commit()",
        "opens a unit of work (.uows(...))",
        "passes commit=",
        "opens a unit of work (constructs one)",
        "opens a unit of work (constructs one)",
    ]


def test_front_ends_hold_no_database_plumbing() -> None:
    offences = [
        f"{path.relative_to(CORE.parent)}:{line}: {what}"
        for path in sorted(FRONT_ENDS.rglob("*.py"))
        for line, what in _front_end_offences(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offences == [], "front-end code doing database work (call a core use case or query):\n  " + (
        "\n  ".join(offences)
    )
