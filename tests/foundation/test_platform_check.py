"""Issue 12.13: without the X11 libraries Qt needs, the app says which packages to install (exit 2)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import platform_check

ROOT = Path(__file__).resolve().parents[2]


def test_a_plugin_whose_libraries_are_missing_is_named(tmp_path: Path) -> None:
    plugin = platform_check._xcb_plugin()
    if plugin is None or not sys.platform.startswith("linux"):
        pytest.skip("the X11 plugin exists on Linux only")
    # the plugin copied away from Qt's own libraries: those are then what is missing
    copy = tmp_path / "Qt" / "plugins" / "platforms" / plugin.name
    copy.parent.mkdir(parents=True)
    shutil.copy(plugin, copy)
    missing = platform_check.missing_libraries(copy)
    assert any(lib.startswith("libQt6") for lib in missing), missing


def test_no_display_is_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("X11 only")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    with pytest.raises(platform_check.PlatformUnavailable, match="DISPLAY is not set"):
        platform_check.check_platform()


def test_gui_without_its_libraries_exits_2_naming_the_packages(tmp_path: Path) -> None:
    plugin = platform_check._xcb_plugin()
    if plugin is None or not sys.platform.startswith("linux"):
        pytest.skip("X11 only")
    if not platform_check.missing_libraries(plugin):
        pytest.skip("this machine has every library the X11 plugin needs")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env.update({"DISPLAY": ":99", "QT_QPA_PLATFORM": "xcb", "MD_DATA_DIR": str(tmp_path)})
    res = subprocess.run(
        [sys.executable, "-m", "desktop_app", "gui"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert res.returncode == 2, res.stderr
    assert "sudo apt install" in res.stderr and "Could not load the Qt platform plugin" not in res.stderr
