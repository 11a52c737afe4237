"""Central screens. Importing this package registers them (see `registry.py` for adding one)."""

from desktop_app.screens import home
from desktop_app.screens.assets import screen as assets_screen  # not `as assets`: keeps the package
from desktop_app.screens.dependencies import screen as dependencies_screen  # noqa: F401 - registers the screen
from desktop_app.screens.mapping_review import widget as mapping_review
from desktop_app.screens.sixr import screen as sixr_screen  # noqa: F401 - registers the screen
from desktop_app.screens.techdebt import screen as techdebt_screen
from desktop_app.screens.timeline import screen as timeline
from desktop_app.screens.waves import screen as waves_screen  # noqa: F401 - registers the screen

__all__ = ["assets_screen", "home", "mapping_review", "techdebt_screen", "timeline"]
