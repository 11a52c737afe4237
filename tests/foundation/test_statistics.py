"""Phases refresh the planner's statistics of the tables they rewrite (schema 0013's md_analyze)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.bootstrap import Core
from core.db.stats import ANALYSED, refresh_statistics
from core.uow import Tenant


def test_the_app_role_may_analyse_only_the_rewritten_tables(core: Core, tenant: Tenant) -> None:
    with core.uow(tenant) as uow:
        refresh_statistics(uow.session, *ANALYSED)  # as the consultant's login, not the owner
        analysed = uow.session.scalar(
            text("SELECT count(*) FROM pg_stat_all_tables WHERE relname = 'move_groups'"
                 " AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)")
        )  # fmt: skip
        assert analysed == 1
    with core.uow(tenant) as uow, pytest.raises(DBAPIError, match="not a table whose statistics"):
        uow.session.execute(text("SELECT public.md_analyze('users')"))
    with pytest.raises(ValueError, match="not a table"):
        refresh_statistics(None, "users")  # type: ignore[arg-type]


def test_the_list_matches_the_migrations() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0013_refresh_statistics.py"
    spec = importlib.util.spec_from_file_location("m0013", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.ANALYSED == ANALYSED


def test_a_table_another_session_is_analysing_is_skipped_not_waited_for(core: Core, tenant: Tenant) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    owner = make_url(core.db.admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(owner) as other:  # holds the lock ANALYZE needs, as a running ANALYZE does
        other.execute("LOCK TABLE move_groups IN SHARE UPDATE EXCLUSIVE MODE")
        with core.uow(tenant) as uow:
            before = uow.session.scalar(text("SHOW lock_timeout"))
            assert uow.session.scalar(text("SELECT public.md_analyze('move_groups')")) is False
            assert uow.session.scalar(text("SHOW lock_timeout")) == before  # the phase's own setting
        other.rollback()
    with core.uow(tenant) as uow:
        assert uow.session.scalar(text("SELECT public.md_analyze('move_groups')")) is True
