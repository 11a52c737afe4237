"""Central screens. Importing this package registers them (see `registry.py` for adding one)."""

from desktop_app.screens import home
from desktop_app.screens.assets import screen as assets_screen  # not `as assets`: keeps the package
from desktop_app.screens.mapping_review import widget as mapping_review
from desktop_app.screens.timeline import screen as timeline

__all__ = ["assets_screen", "home", "mapping_review", "timeline"]
