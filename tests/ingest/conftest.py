"""Shared fixtures for the ingest tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.ingest import open_table


@pytest.fixture
def read_all() -> Callable[..., tuple[list[str], list[tuple[int, list[str]]]]]:
    """Open a file and return (column names, all data rows with record indexes)."""

    def _read(path: Path, **kwargs: object) -> tuple[list[str], list[tuple[int, list[str]]]]:
        with open_table(path, **kwargs) as table:  # type: ignore[arg-type]
            return table.info.column_names, list(table.iter_rows())

    return _read
