"""What a CLI command gets: its parsed arguments and lazily opened core services."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.config import Settings, load_settings

if TYPE_CHECKING:  # the database stack loads only for commands that use it
    from core.bootstrap import Core
    from core.db.database import Database


@dataclass
class CommandContext:
    """Opens the database only for commands that need it, and closes whatever it opened."""

    args: argparse.Namespace
    _settings: Settings | None = None
    _core: Core | None = None
    _db: Database | None = None
    _closers: list[object] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(database_url=self.args.database_url, data_dir=self.args.data_dir)
        return self._settings

    def core(self) -> Core:
        """Services acting as the current consultant (embedded server started and migrated)."""
        if self._core is None:
            from core.bootstrap import bootstrap

            self._core = bootstrap(self.settings)
        return self._core

    def database(self, *, check_schema: bool = True, migrate_embedded: bool = True) -> Database:
        """Raw database access for admin commands (`db ...`)."""
        if self._core is not None:
            return self._core.db
        if self._db is None:
            from core.db.database import open_database

            self._db = open_database(
                self.settings, check_schema=check_schema, migrate_embedded=migrate_embedded
            )
        return self._db

    def close(self) -> None:
        if self._core is not None:
            self._core.close()
        if self._db is not None:
            self._db.close()
