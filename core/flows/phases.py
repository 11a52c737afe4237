"""The phase tables live in `core.phases` (importable without the database layer); re-exported here."""

from core.phases import *  # noqa: F403
from core.phases import __all__  # noqa: F401
