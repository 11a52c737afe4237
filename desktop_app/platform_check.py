"""Can Qt open a window here? Checked before QApplication, because Qt aborts the process when not.

Why: on a desktop Linux without e.g. `libxcb-cursor0`, Qt prints "Could not load the Qt platform
plugin xcb" and aborts (no exception to catch). Loading the plugin library ourselves first tells us
which shared libraries are missing, so the user gets one message naming the packages to install.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: shared library → the Debian/Ubuntu package that ships it (what the README lists too)
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
_MISSING = re.compile(r"^\s*(\S+) => not found", re.M)
_DLOPEN = re.compile(r"(lib[^\s:]+\.so[.\d]*): cannot open shared object file")


class PlatformUnavailable(Exception):
    """Qt cannot show a window on this machine; the message says what to install or set."""


def _xcb_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:  # pragma: no cover - the app cannot run at all then
        return None
    root = Path(PySide6.__file__).parent
    found = next(iter(root.glob("Qt/plugins/platforms/libqxcb.so")), None)
    return found


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries the plugin needs but the system lacks (empty when it loads)."""
    ldd = shutil.which("ldd")
    if ldd:
        env = {**os.environ, "LD_LIBRARY_PATH": str(plugin.parents[2] / "lib")}
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, env=env, check=False).stdout
        return sorted(set(_MISSING.findall(out)))
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        found = _DLOPEN.search(str(exc))
        return [found.group(1)] if found else [str(exc)]
    return []


def check_platform() -> None:
    """Raise `PlatformUnavailable` when Qt would abort trying to open a window (Linux/X11 only)."""
    if not sys.platform.startswith("linux"):
        return
    wanted = os.environ.get("QT_QPA_PLATFORM", "")
    if wanted and not wanted.startswith("xcb"):
        return  # offscreen, wayland, vnc…: Qt's own plugins with their own requirements
    if not wanted and os.environ.get("WAYLAND_DISPLAY"):
        return
    if not os.environ.get("DISPLAY"):
        raise PlatformUnavailable("no display to open the window on (DISPLAY is not set)")
    plugin = _xcb_plugin()
    if plugin is None:
        return
    missing = missing_libraries(plugin)
    if missing:
        packages = sorted({DEBIAN_PACKAGES.get(lib, lib) for lib in missing})
        raise PlatformUnavailable(
            f"Qt cannot load its X11 platform plugin: missing {', '.join(missing)}.\n"
            f"  Install them, e.g. on Debian/Ubuntu: sudo apt install {' '.join(packages)}"
        )
