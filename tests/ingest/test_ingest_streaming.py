"""Memory stays flat however large the file: rows are streamed, never collected."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from core.ingest import open_table

ROWS = 200_000


def _big_csv(path: Path) -> Path:
    header = "Name;IP;CPU;RAM MB;OS;Datacenter;Cluster;Owner;Environment;Notes\n"
    with path.open("w", encoding="cp1252", newline="") as fh:
        fh.write("Inventar — exportiert 2026-01-03\r\n\r\n" + header.replace("\n", "\r\n"))
        chunk: list[str] = []
        for i in range(ROWS):
            chunk.append(
                f"srv{i:06d};10.{i // 65536}.{i // 256 % 256}.{i % 256};{i % 16 + 1};{(i % 64 + 1) * 1024};"
                f"Windows Server 2019;Düsseldorf;CL{i % 7};team{i % 13};prod;Größe ok\r\n"
            )
            if len(chunk) == 5000:
                fh.write("".join(chunk))
                chunk.clear()
        fh.write("".join(chunk))
    return path


def test_iterating_200k_rows_keeps_memory_flat(tmp_path: Path) -> None:
    path = _big_csv(tmp_path / "big.csv")
    assert path.stat().st_size > 15 * 1024**2
    tracemalloc.start()
    try:
        count = 0
        indexes: tuple[int, int] = (0, 0)
        with open_table(path) as table:
            assert table.info.encoding == "cp1252"
            assert table.info.header_row == 3
            estimate = table.info.total_rows_estimate
            for index, cells in table.iter_rows():
                count += 1
                assert len(cells) == 10
                indexes = (indexes[0] or index, index)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == ROWS
    assert indexes == (4, ROWS + 3)
    assert peak < 30 * 1024**2, f"peak {peak / 1024**2:.1f} MiB"
    assert estimate is not None and abs(estimate - ROWS) < ROWS * 0.1
