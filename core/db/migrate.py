"""Alembic, driven from code: the app, the CLI and the tests all migrate through here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

import migrations

if TYPE_CHECKING:  # Alembic loads only when a migration really runs (it costs ~0.1 s at start)
    from alembic.config import Config

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
HEAD_REVISION = migrations.HEAD_REVISION


def stored_revision(conn: Connection) -> str | None:
    """The revision recorded in the database, by a plain query (no Alembic)."""
    if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("postgresql://")).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have exactly one head, found {heads}")
    return heads[0]


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def is_known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("postgresql://"))
    return any(r.revision == revision for r in script.walk_revisions())


def upgrade(admin_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(admin_url), revision)


def downgrade(admin_url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(admin_url), revision)
