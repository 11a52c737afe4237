"""Alembic migrations (the consolidated schema and what follows it).

`HEAD_REVISION` lets the app see, with one query and without loading Alembic, that a database is
already current; `tests/foundation/test_migrations.py` keeps it equal to the script directory's head.
"""

HEAD_REVISION = "0013"
