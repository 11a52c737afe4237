"""Two consultants importing at the same moment: both imports complete, each with its own rows."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.bootstrap import Core
from core.imports import ImportResult, import_file, read_records
from core.uow import Tenant

from . import builders


def test_concurrent_imports_each_complete_with_their_own_rows(
    core: Core, tenant: Tenant, tmp_path: Path
) -> None:
    paths = []
    for n in range(3):
        rows = [["Name", "IP", "Batch"]] + [
            [f"srv{n}-{i:05d}", f"10.{n}.{i // 250}.{i % 250}", str(n)] for i in range(20000)
        ]
        paths.append(builders.write_csv(tmp_path / f"batch{n}.csv", rows))
    with ThreadPoolExecutor(max_workers=3) as pool:
        results: list[ImportResult] = list(pool.map(lambda p: import_file(core.uows, tenant, p), paths))
    assert [r.status for r in results] == ["completed"] * 3
    assert [r.rows for r in results] == [20000] * 3
    with core.uow(tenant) as uow:
        for n, result in enumerate(results):
            first, last = (
                read_records(uow, result.import_id, offset=0, limit=1)[0],
                read_records(uow, result.import_id, offset=19999, limit=1)[0],
            )
            assert first == {"Name": f"srv{n}-00000", "IP": f"10.{n}.0.0", "Batch": str(n)}
            assert last["Name"] == f"srv{n}-19999"
