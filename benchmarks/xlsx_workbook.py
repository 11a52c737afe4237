"""Workbook import throughput: our import of an RVTools-shaped `vInfo` against python-calamine alone.

    .venv/bin/python benchmarks/import_throughput.py --xlsx 20000            # xlsx, plus .xls and .ods
    .venv/bin/python benchmarks/import_throughput.py --xlsx 20000 --repeat 5 --formats xlsx
    .venv/bin/python benchmarks/xlsx_workbook.py --xlsx 20000 --cli         # also the CLI's wall time

One run generates a workbook per format (sheet `vInfo`, 93 RVTools columns, N rows of typed cells as
RVTools writes them: text, whole numbers, decimals, date-times, booleans as text, a few `#N/A`
errors; plus a small `vMetaData` sheet) and starts a fresh embedded server (kept alive by this
process). Each round times, each in a fresh process of its own so no cache carries over:

- the floor: python-calamine opening the workbook, getting `vInfo` and iterating every row to
  Python values (timed inside that process, after `import python_calamine`);
- our import: `core.imports.import_file` of the same file (timed inside that process around the
  call, after the modules are imported and the server connected): every check before reading,
  the rows into the database, mapping suggestions, commit — what the wizard waits for;
- with `--cli`, also the real CLI `import` from process start to exit (adds Python start-up and
  module imports, about a second and a half, which the floor does not pay).

The ratio import / floor has a target of <= 2.0; the spread is min-max over `--repeat` rounds,
with the machine's load average per round (the figures are only comparable on a quiet machine).
Peak RSS of each process comes from wait4's rusage. `.xlsx` is written by xlsxwriter (constant
memory: inline strings, as some exporters write them), `.xls` by xlwt (at most 65,535 rows), `.ods`
as OpenDocument XML streamed into the package (odfpy builds the whole document in memory, too slow
for this size).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.mapping.rvtools_sample import VINFO_HEADERS, vinfo_row  # noqa: E402

EXTRA = {"Encrypted": "False", "Tags": "", "com.vrlcm.snapshot": ""}
HEADERS: tuple[str, ...] = (*VINFO_HEADERS, *EXTRA)
assert len(HEADERS) == 93
XLS_MAX_ROWS = 65_535
_DATES = {"PowerOn", "Creation date"}
_CALAMINE_READ = (
    "import sys, time\n"
    "from python_calamine import CalamineWorkbook\n"
    "t = time.perf_counter()\n"
    "wb = CalamineWorkbook.from_path(sys.argv[1])\n"
    "n = sum(1 for _ in wb.get_sheet_by_name('vInfo').iter_rows())\n"
    "print(n, time.perf_counter() - t)\n"
)


def typed_rows(rows: int, seed: int = 20_000) -> Any:
    """RVTools vInfo rows as typed cells: numbers as numbers, date-times as datetimes, else text."""
    rng = random.Random(seed)
    for n in range(rows):
        row = vinfo_row(n, rng) | EXTRA
        cells: list[Any] = []
        for header, value in row.items():
            if header in _DATES and value:
                cells.append(datetime.strptime(value, "%Y/%m/%d %H:%M:%S"))
            elif value.isdigit() and len(value) < 12:
                cells.append(int(value))
            elif header == "Overall Cpu Readiness":
                cells.append(float(value))
            elif header == "Heartbeat" and n % 97 == 5:
                cells.append(None)  # an error cell (#N/A) where the writer can make one
            else:
                cells.append(value)
        yield cells


def write_xlsx(path: Path, rows: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    stamp = wb.add_format({"num_format": "yyyy/mm/dd hh:mm:ss"})
    meta = wb.add_worksheet("vMetaData")
    ws = wb.add_worksheet("vInfo")
    ws.write_row(0, 0, HEADERS)
    for r, cells in enumerate(typed_rows(rows), start=1):
        for c, value in enumerate(cells):
            if value is None:
                ws.write_formula(r, c, "=NA()", None, "#N/A")
            elif isinstance(value, datetime):
                ws.write_datetime(r, c, value, stamp)
            elif value != "":
                ws.write(r, c, value)
    for r, row in enumerate([["RVTools version", "xlsx version"], ["4.6.1.1", "4.6.1.1"]]):
        meta.write_row(r, 0, row)
    wb.close()


def write_xls(path: Path, rows: int) -> None:
    import xlwt

    wb = xlwt.Workbook()
    meta = wb.add_sheet("vMetaData")
    meta.write(0, 0, "RVTools version")
    meta.write(1, 0, "4.6.1.1")
    ws = wb.add_sheet("vInfo")
    stamp = xlwt.easyxf(num_format_str="yyyy/mm/dd hh:mm:ss")
    for c, header in enumerate(HEADERS):
        ws.write(0, c, header)
    for r, cells in enumerate(typed_rows(min(rows, XLS_MAX_ROWS)), start=1):
        row = ws.row(r)
        for c, value in enumerate(cells):
            if value is None:
                row.set_cell_error(c, 0x2A)  # #N/A
            elif isinstance(value, datetime):
                row.write(c, value, stamp)
            elif value != "":
                row.write(c, value)
        if r % 1000 == 0:
            ws.flush_row_data()
    wb.save(str(path))


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
    'office:version="1.2"'
)


def _ods_cell(value: Any) -> str:
    if value is None:
        return (
            '<table:table-cell table:formula="of:=NA()" office:value-type="string" office:string-value="" '
            'calcext:value-type="error"><text:p>#N/A</text:p></table:table-cell>'
        )
    if value == "":
        return "<table:table-cell/>"
    if isinstance(value, datetime):
        iso = value.isoformat()
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
            f"<text:p>{iso}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    text = escape(str(value))
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def write_ods(path: Path, rows: int) -> None:
    """An OpenDocument spreadsheet as LibreOffice lays it out, streamed row by row."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
        'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        zf.writestr("META-INF/manifest.xml", manifest)
        with zf.open("content.xml", "w", force_zip64=True) as fh:
            fh.write(
                f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}>'
                "<office:body><office:spreadsheet>".encode()
            )
            fh.write(
                b'<table:table table:name="vMetaData"><table:table-row>'
                + _ods_cell("RVTools version").encode()
                + b"</table:table-row><table:table-row>"
                + _ods_cell("4.6.1.1").encode()
                + b"</table:table-row></table:table>"
            )
            fh.write(b'<table:table table:name="vInfo"><table:table-row>')
            fh.write("".join(_ods_cell(h) for h in HEADERS).encode())
            fh.write(b"</table:table-row>")
            for cells in typed_rows(rows):
                line = "".join(_ods_cell(v) for v in cells)
                fh.write(f"<table:table-row>{line}</table:table-row>".encode())
            fh.write(b"</table:table></office:spreadsheet></office:body></office:document-content>")


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes, from wait4's rusage of that child) and stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            message = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"{Path(command[0]).name} failed: {message}")
        out.seek(0)
        return elapsed, usage.ru_maxrss * 1024, out.read().decode()


_IMPORT_ONCE = (
    "import json, sys, time\n"
    "from core.bootstrap import bootstrap\n"
    "from core.imports import import_file\n"
    "core = bootstrap(data_dir=sys.argv[1])\n"
    "try:\n"
    "    tenant = core.tenant_for(core.engagement('Benchmark', sys.argv[3], create=True))\n"
    "    t = time.perf_counter()\n"
    "    result = import_file(core.uows, tenant, sys.argv[2])\n"
    "    seconds = time.perf_counter() - t\n"
    "finally:\n"
    "    core.close()\n"
    "print(json.dumps({'seconds': seconds, 'rows': result.rows, 'phases': result.timings}))\n"
)


PYCACHE = Path(tempfile.gettempdir()) / "md-bench-pycache"


def _env() -> dict[str, str]:
    """The children's environment, bytecode cached as in an installed app (a machine that sets
    PYTHONDONTWRITEBYTECODE would have every run compile the modules the import loads lazily)."""
    env = {**os.environ, "MD_USER": "Benchmark <bench@example.com>", "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("MD_DATABASE_URL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def calamine_read(path: Path) -> dict[str, Any]:
    """python-calamine alone: open the workbook, iterate every row of vInfo (its own process)."""
    wall, peak, out = timed([sys.executable, "-c", _CALAMINE_READ, str(path)], _env())
    rows, inner = out.split()
    return {"seconds": round(float(inner), 3), "process_seconds": round(wall, 2), "rows": int(rows),
            "peak_rss_mb": round(peak / 1e6, 1)}  # fmt: skip


def our_import(data_dir: Path, path: Path, engagement: str) -> dict[str, Any]:
    """`import_file` in a fresh process against the running server: its own time and peak RSS."""
    command = [sys.executable, "-c", _IMPORT_ONCE, str(data_dir), str(path), engagement]
    wall, peak, out = timed(command, _env())
    data = json.loads(out.strip().splitlines()[-1])
    return {"seconds": round(data["seconds"], 3), "process_seconds": round(wall, 2), "rows": data["rows"],
            "peak_rss_mb": round(peak / 1e6, 1),
            "phases": {k: round(v, 2) for k, v in data["phases"].items()}}  # fmt: skip


def cli_import(data_dir: Path, path: Path, engagement: str) -> dict[str, Any]:
    """The real CLI in a subprocess against the running server: wall time from start to exit."""
    command = [sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), "import", str(path)]
    command += ["--client", "Benchmark", "--engagement", engagement, "--json"]
    wall, peak, out = timed(command, _env())
    data = json.loads(out)
    return {"seconds": round(wall, 2), "peak_rss_mb": round(peak / 1e6, 1), "rows": data["rows"]}


def run(rows: int, formats: list[str], repeat: int, work_dir: Path | None, as_json: bool, cli: bool) -> int:
    """Generate, then time calamine and our import `repeat` times per format; print the ratios."""
    from core.bootstrap import bootstrap

    scratch = work_dir is None
    work = work_dir or Path(tempfile.mkdtemp(prefix="md-bench-xlsx-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)  # the server may run as another OS user
    files: dict[str, Path] = {}
    for fmt in formats:
        n = min(rows, XLS_MAX_ROWS) if fmt == "xls" else rows
        path = work / f"RVTools_{n}.{fmt}"
        if not path.exists():
            started = time.perf_counter()
            WRITERS[fmt](path, n)
            print(f"generated {path.name} ({path.stat().st_size / 1e6:.1f} MB) in "
                  f"{time.perf_counter() - started:.1f}s", file=sys.stderr)  # fmt: skip
        os.chmod(path, 0o644)
        files[fmt] = path
    compile_app = [sys.executable, "-m", "compileall", "-q", "core", "desktop_app", "migrations", "resources"]
    subprocess.run(compile_app, env=_env(), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    data_dir = work / f"data-{int(time.time())}"
    core = bootstrap(data_dir=str(data_dir))
    results: dict[str, list[dict[str, Any]]] = {fmt: [] for fmt in files}
    try:
        for n in range(max(repeat, 1)):
            for fmt, path in files.items():
                floor = calamine_read(path)
                ours = our_import(data_dir, path, f"Workbook {fmt} {n}")
                ratio = round(ours["seconds"] / floor["seconds"], 2)
                result = {
                    "calamine": floor,
                    "import": ours,
                    "ratio": ratio,
                    "load": round(os.getloadavg()[0], 1),
                }
                if cli:
                    result["cli"] = cli_import(data_dir, path, f"Workbook {fmt} {n} cli")
                    result["cli_ratio"] = round(result["cli"]["seconds"] / floor["process_seconds"], 2)
                results[fmt].append(result)
    finally:
        core.close()
        if scratch:
            shutil.rmtree(work, ignore_errors=True)
    summary = {}
    for fmt, rounds in results.items():
        ratios = [r["ratio"] for r in rounds]
        summary[fmt] = {
            "rows": rounds[0]["import"]["rows"],
            "file_mb": round(files[fmt].stat().st_size / 1e6, 1) if files[fmt].exists() else None,
            "calamine_seconds": statistics.median(r["calamine"]["seconds"] for r in rounds),
            "import_seconds": statistics.median(r["import"]["seconds"] for r in rounds),
            "ratio": statistics.median(ratios),
            "ratio_spread": [min(ratios), max(ratios)],
            "import_peak_rss_mb": max(r["import"]["peak_rss_mb"] for r in rounds),
            "calamine_peak_rss_mb": max(r["calamine"]["peak_rss_mb"] for r in rounds),
        }
        if cli:
            cli_ratios = [r["cli_ratio"] for r in rounds]
            summary[fmt]["cli_seconds"] = statistics.median(r["cli"]["seconds"] for r in rounds)
            summary[fmt]["cli_ratio"] = statistics.median(cli_ratios)
            summary[fmt]["cli_ratio_spread"] = [min(cli_ratios), max(cli_ratios)]
    if as_json:
        print(json.dumps({"summary": summary, "rounds": results, "cpus": os.cpu_count()}, indent=2))
        return 0
    print(f"workbook import, vInfo {rows:,} rows x {len(HEADERS)} columns, cpus {os.cpu_count()}")
    for fmt, rounds in results.items():
        for n, r in enumerate(rounds):
            cli_text = f"  CLI {r['cli']['seconds']:.2f} s (ratio {r['cli_ratio']:.2f})" if "cli" in r else ""
            print(f"  {fmt:<4} round {n + 1}: calamine {r['calamine']['seconds']:6.2f} s "
                  f"(RSS {r['calamine']['peak_rss_mb']:.0f} MB)  import {r['import']['seconds']:6.2f} s "
                  f"(RSS {r['import']['peak_rss_mb']:.0f} MB)  ratio {r['ratio']:.2f}  load {r['load']}"
                  f"{cli_text}  phases {r['import']['phases']}")  # fmt: skip
    for fmt, m in summary.items():
        verdict = "OK" if m["ratio"] <= 2.0 else "MISSED"
        print(f"{fmt}: {m['rows']:,} rows, import median {m['import_seconds']:.2f} s vs calamine "
              f"{m['calamine_seconds']:.2f} s, ratio {m['ratio']:.2f} (spread {m['ratio_spread'][0]:.2f}-"
              f"{m['ratio_spread'][1]:.2f}), peak RSS {m['import_peak_rss_mb']:.0f} MB (calamine "
              f"{m['calamine_peak_rss_mb']:.0f} MB)  target ratio <= 2.0  {verdict}")  # fmt: skip
        if "cli_ratio" in m:
            print(f"{fmt}: CLI from start to exit median {m['cli_seconds']:.2f} s, ratio "
                  f"{m['cli_ratio']:.2f} (spread {m['cli_ratio_spread'][0]:.2f}-"
                  f"{m['cli_ratio_spread'][1]:.2f}) to calamine's process")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlsx", type=int, default=20_000, metavar="N", help="rows of vInfo")
    parser.add_argument("--formats", default="xlsx,xls,ods", help="comma-separated: xlsx, xls, ods")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the workbooks and server here")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cli", action="store_true", help="also time the CLI import from start to exit")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    return run(args.xlsx, formats, args.repeat, args.work_dir, args.json, args.cli)


if __name__ == "__main__":
    sys.exit(main())
