"""Benchmark of the data-cleansing and asset-inventory phases, with dedup quality against truth.

Generates three overlapping exports of the same machines — a ServiceNow-like CMDB, an RVTools-like
VM export and a consultant's spreadsheet — 100,000 records in all by default, with realistic
variation: FQDNs vs short names vs FQDNs in the name column, upper/lower case, VMware serials vs
BIOS UUIDs, stale RAM and differently worded OS names, missing keys, short names shared by
machines in different domains, unit and date-format differences. The generator keeps the truth
(which machine each record describes).

On a fresh embedded server (migrated database, an RLS-bound consultant role) each import runs
`flow run` (mapping finished, cleansing, inventory); the benchmark prints records per second
for each phase and the precision and recall of merges (pairs of records put in the same asset)
against the truth, plus timings of the query API at that size.

Run: `.venv/bin/python benchmarks/inventory.py [--records 100000] [--seed 7] [--json] [--export]`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SITES = ("fra", "ams", "lon", "nyc", "sgp", "muc")
ROLES = ("web", "app", "db", "fs", "dc", "sql", "mq", "k8s", "etl", "bi")
DOMAINS = ("corp.example.com", "dmz.example.com", "emea.example.net")
OS_CHOICES = (
    ("Microsoft Windows Server 2019 (64-bit)", "Windows Server 2019 Standard", "Win2019"),
    ("Microsoft Windows Server 2016 (64-bit)", "Windows Server 2016 Datacenter", "W2K16"),
    ("Red Hat Enterprise Linux 8 (64-bit)", "Red Hat Enterprise Linux Server 8.6", "RHEL 8"),
    ("Ubuntu Linux (64-bit)", "Ubuntu 20.04 LTS", "Ubuntu 20.04"),
    ("SUSE Linux Enterprise 15 (64-bit)", "SLES 15 SP3", "SLES15"),
)
ENV_VARIANTS = {
    "production": ("Production", "PROD", "prd", "Prod", "production"),
    "development": ("Development", "DEV", "dev"),
    "test": ("Test", "TST", "QA"),
    "uat": ("UAT", "Acceptance"),
}
CRITICALITY = ("Tier 1", "Tier 2", "Tier 3", "Tier 4")


@dataclass
class Machine:
    mid: int
    host: str
    domain: str
    is_vm: bool
    ip: str
    serial: str
    bios_uuid: str
    moref: str
    vcenter: str
    os: int
    ram_gb: int
    cpus: int
    env: str
    app: str
    owner: str

    @property
    def fqdn(self) -> str:
        return f"{self.host}.{self.domain}"


@dataclass
class Source:
    """One generated export: header, rows, mappings (column -> target or (target, rules))."""

    filename: str
    source_system: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    truth: list[int] = field(default_factory=list)  # machine id of each row
    mappings: dict[str, Any] = field(default_factory=dict)


def _vmware_serial(bios: str) -> str:
    h = bios.replace("-", "")
    pairs = [h[i : i + 2] for i in range(0, 32, 2)]
    return "VMware-" + " ".join(pairs[:8]) + "-" + " ".join(pairs[8:])


def machines(n: int, rng: random.Random) -> list[Machine]:
    out: list[Machine] = []
    used: set[tuple[str, str]] = set()
    for mid in range(n):
        if mid % 100 == 7 and out:  # ~1 %: a short name another domain also uses (ambiguous)
            other = out[rng.randrange(len(out))]
            host = other.host
            domain = next(d for d in DOMAINS if d != other.domain and (host, d) not in used)
        else:
            host = f"{rng.choice(SITES)}{rng.choice(ROLES)}{mid:05d}"
            domain = rng.choices(DOMAINS, weights=(70, 15, 15))[0]
        used.add((host, domain))
        is_vm = rng.random() < 0.75
        out.append(
            Machine(
                mid=mid,
                host=host,
                domain=domain,
                is_vm=is_vm,
                ip=f"10.{mid // 65536}.{(mid // 256) % 256}.{mid % 256}",
                serial="".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=10)),
                bios_uuid=str(uuid.UUID(int=rng.getrandbits(128))),
                moref=f"vm-{1000 + mid}",
                vcenter=("vc01.corp.example.com", "vc02.corp.example.com")[mid % 2],
                os=rng.randrange(len(OS_CHOICES)),
                ram_gb=rng.choice((4, 8, 16, 32, 64, 128)),
                cpus=rng.choice((2, 4, 8, 16)),
                env=rng.choices(tuple(ENV_VARIANTS), weights=(50, 25, 15, 10))[0],
                app=f"App{rng.randrange(400):03d}",
                owner=rng.choice(("J. Doe", "A. Smith", "K. Müller", "L. Rossi", "M. Dubois")),
            )
        )
    return out


def generate(total_records: int = 100_000, seed: int = 7) -> list[Source]:
    """Three overlapping exports of the same machines, about `total_records` rows in all."""
    rng = random.Random(seed)
    n = max(10, round(total_records / 2.5))
    fleet = machines(n, rng)
    cmdb = Source(
        "servicenow_cmdb_ci_server.csv",
        "ServiceNow CMDB",
        ["sys_id", "name", "fqdn", "ip_address", "serial_number", "os", "ram", "cpu_count", "u_environment",
         "owned_by", "u_application", "u_criticality", "install_date", "sys_class_name"],
        mappings={
            "sys_id": "external_id", "name": "hostname", "fqdn": "fqdn", "ip_address": "ip_address",
            "serial_number": "serial_number", "os": "operating_system",
            "ram": ("memory_gb", {"scale": 1 / 1024}), "cpu_count": "cpu_cores",
            "u_environment": "environment",
            "owned_by": "business_owner", "u_application": "application_name",
            "u_criticality": "business_criticality", "install_date": "install_date",
            "sys_class_name": "asset_type",
        },
    )  # fmt: skip
    rv = Source(
        "RVTools_export_vInfo.xlsx",
        "RVTools",
        ["VM", "Powerstate", "DNS Name", "Primary IP Address", "Memory", "CPUs",
         "OS according to the VMware Tools", "VM ID", "VI SDK Server", "BIOS UUID", "Cluster", "Host"],
        mappings={
            "VM": "asset_name", "Powerstate": "power_state", "DNS Name": "fqdn",
            "Primary IP Address": "ip_address",
            "Memory": ("memory_gb", {"scale": 1 / 1024}), "CPUs": "cpu_cores",
            "OS according to the VMware Tools": "operating_system", "VM ID": "vm_id",
            "VI SDK Server": "vcenter",
            "BIOS UUID": "serial_number", "Cluster": "cluster", "Host": "physical_host",
        },
    )  # fmt: skip
    sheet = Source(
        "migration_server_list.xlsx",
        "",
        ["Server Name", "IP Address", "RAM (GB)", "Operating System", "Environment", "Virtual?", "Owner",
         "Criticality", "Go-Live"],
        mappings={
            "Server Name": "hostname", "IP Address": "ip_address", "RAM (GB)": "memory_gb",
            "Operating System": "operating_system", "Environment": "environment", "Virtual?": "is_virtual",
            "Owner": "technical_owner", "Criticality": "business_criticality", "Go-Live": "install_date",
        },
    )  # fmt: skip
    vms = [m for m in fleet if m.is_vm]
    cmdb_share = 0.85
    sheet_n = max(0, total_records - round(n * cmdb_share) - len(vms))
    for m in fleet:
        if rng.random() >= cmdb_share:
            continue
        r = rng.random()
        name = m.host.upper() if r < 0.3 else (m.fqdn if r < 0.4 else m.host)
        serial = (_vmware_serial(m.bios_uuid) if m.is_vm else m.serial) if rng.random() < 0.8 else ""
        ram_mb = m.ram_gb * 1024 if rng.random() > 0.05 else (m.ram_gb // 2 or 2) * 1024  # stale
        y, mo, d = 2015 + m.mid % 8, 1 + m.mid % 12, 1 + m.mid % 28
        cmdb.rows.append([
            uuid.UUID(int=rng.getrandbits(128)).hex, name, m.fqdn if rng.random() < 0.6 else "", m.ip, serial,
            OS_CHOICES[m.os][1], str(ram_mb), str(m.cpus), rng.choice(ENV_VARIANTS[m.env]), m.owner, m.app,
            CRITICALITY[m.mid % 4], f"{mo:02d}/{d:02d}/{y}",
            "VMware Virtual Machine" if m.is_vm else ("Windows Server" if m.os < 2 else "Linux Server"),
        ])  # fmt: skip
        cmdb.truth.append(m.mid)
    for m in vms:
        dns = m.fqdn if rng.random() < 0.85 else ""
        if dns and rng.random() < 0.1:
            dns = dns.upper()
        vm_name = m.host if rng.random() < 0.9 else f"{m.host}_{m.app}".upper()
        rv.rows.append([
            vm_name, rng.choice(("poweredOn",) * 9 + ("poweredOff",)), dns, m.ip, str(m.ram_gb * 1024),
            str(m.cpus), OS_CHOICES[m.os][0], m.moref, m.vcenter, m.bios_uuid, f"CL-{m.mid % 12:02d}",
            f"esx{m.mid % 40:02d}.corp.example.com",
        ])  # fmt: skip
        rv.truth.append(m.mid)
    for m in rng.sample(fleet, min(sheet_n, len(fleet))):
        r = rng.random()
        name = m.host if r < 0.5 else (m.fqdn if r < 0.8 else m.host.upper())
        ip = m.ip if rng.random() < 0.97 else ""
        if ip and rng.random() < 0.1:
            ip = f"{ip}, 192.168.{m.mid % 256}.{m.mid % 250 + 1}"
        ram = str(m.ram_gb) if rng.random() > 0.05 else str(m.ram_gb * 2)
        y, mo, d = 2016 + m.mid % 7, 1 + m.mid % 12, 1 + m.mid % 28
        sheet.rows.append([
            name, ip, ram, OS_CHOICES[m.os][2], rng.choice(ENV_VARIANTS[m.env]),
            ("yes" if m.is_vm else "no") if rng.random() < 0.9 else "", m.owner,
            CRITICALITY[m.mid % 4].split()[-1],
            f"{d:02d}.{mo:02d}.{y}",
        ])  # fmt: skip
        sheet.truth.append(m.mid)
    return [cmdb, rv, sheet]


# ----------------------------------------------------------------------------- loading into a database


def load_source(core: Any, tenant: Any, src: Source) -> tuple[uuid.UUID, uuid.UUID]:
    """DataImport + raw records (COPY via a temp table, as the import pipeline does) + mappings + flow."""
    from sqlalchemy import text

    from core.db.models import DataImport, ImportFieldMapping
    from core.flows import create_discovery_flow, mark_import_completed

    scope = {"client_account_id": tenant.client_account_id, "engagement_id": tenant.engagement_id}
    with core.uow(tenant) as uow:
        s = uow.session
        imp = DataImport(
            filename=src.filename, source_system=src.source_system or None, status="completed",
            columns=src.columns, total_records=len(src.rows), **scope,
        )  # fmt: skip
        s.add(imp)
        s.flush()
        pg = s.connection().connection.driver_connection
        with pg.cursor() as cur:
            cur.execute("CREATE TEMP TABLE md_load (record_index int, cells text[]) ON COMMIT DROP")
            with cur.copy("COPY md_load (record_index, cells) FROM STDIN") as copy:
                for i, row in enumerate(src.rows, start=2):
                    copy.write_row((i, row))
        s.execute(
            text(
                "INSERT INTO raw_import_records (id, client_account_id, engagement_id, data_import_id,"
                " record_index, cells) SELECT gen_random_uuid(), :c, :e, :i, record_index, cells FROM md_load"
            ),
            {"c": tenant.client_account_id, "e": tenant.engagement_id, "i": imp.id},
        )
        for pos, col in enumerate(src.columns):
            spec = src.mappings.get(col)
            target, rules = spec if isinstance(spec, tuple) else (spec, None)
            s.add(
                ImportFieldMapping(
                    data_import_id=imp.id, source_field=col, source_position=pos, target_field=target,
                    confidence_score=0.95, status="approved" if target else "rejected",
                    transformation_rules=rules, **scope,
                )
            )  # fmt: skip
        flow = create_discovery_flow(uow, data_import_id=imp.id, flow_name=f"Discovery of {src.filename}")
        mark_import_completed(uow, flow.id)
        uow.commit()
        return imp.id, flow.id


def dedup_quality(core: Any, tenant: Any, loaded: Sequence[tuple[uuid.UUID, Source]]) -> dict[str, Any]:
    """Precision and recall of merges: pairs of records in one asset vs pairs of one machine."""
    from sqlalchemy import text

    truth_of: dict[tuple[uuid.UUID, int], int] = {}
    for import_id, src in loaded:
        for i, mid in enumerate(src.truth, start=2):
            truth_of[(import_id, i)] = mid
    with core.uow(tenant) as uow:
        index = {
            str(rid): (iid, idx)
            for rid, iid, idx in uow.session.execute(
                text("SELECT id, data_import_id, record_index FROM raw_import_records")
            )
        }
        assets = [list(r) for (r,) in uow.session.execute(text("SELECT source_record_ids FROM assets"))]
    in_asset: dict[int, Counter[int]] = {}
    predicted = tp = 0
    placed = 0
    for a, rids in enumerate(assets):
        mids = Counter(truth_of[index[r]] for r in rids)
        in_asset[a] = mids
        k = len(rids)
        placed += k
        predicted += k * (k - 1) // 2
        tp += sum(c * (c - 1) // 2 for c in mids.values())
    per_machine = Counter(truth_of.values())
    actual = sum(c * (c - 1) // 2 for c in per_machine.values())
    return {
        "records": len(truth_of),
        "records_in_assets": placed,
        "assets": len(assets),
        "machines": len(per_machine),
        "pairs_predicted": predicted,
        "pairs_true": actual,
        "pairs_correct": tp,
        "precision": round(tp / predicted, 5) if predicted else 1.0,
        "recall": round(tp / actual, 5) if actual else 1.0,
    }


# ----------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--export", action="store_true", help="also time an XLSX and a CSV export")
    args = parser.parse_args(argv)

    import psycopg

    from core import tenancy
    from core.bootstrap import Core
    from core.config import Identity, Settings
    from core.db import migrate
    from core.db.database import Database, ensure_login_role
    from core.db.embedded import EmbeddedServer
    from core.inventory import count_assets, fetch_assets
    from core.pipeline import run_flow
    from core.progress import Progress

    t0 = time.perf_counter()
    sources = generate(args.records, args.seed)
    gen_s = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="md-inventory-bench-"))
    server = EmbeddedServer(tmp / "pg")
    server.start()
    try:
        base = server.url(database="postgres")
        with psycopg.connect(base.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "md_inventory_bench"')
        admin_url = server.url(database="md_inventory_bench")
        migrate.upgrade(admin_url)
        role = "md_bench_consultant"
        from sqlalchemy.engine import make_url

        app_url = make_url(admin_url).set(username=role, password=None).render_as_string(hide_password=False)
        db = Database(mode="shared", app_url=app_url, admin_url=admin_url)
        ensure_login_role(db.admin_engine, role)
        identity = Identity("Bench Consultant", "bench@example.com")
        user_id = tenancy.ensure_user(db.admin_sessions(), identity, role)
        core = Core(Settings(data_dir=tmp, database_url=app_url), db, identity, user_id)
        ref = tenancy.ensure_engagement(db.admin_sessions(), "Bench Client", "Bench Engagement", user_id)
        tenant = core.tenant_for(ref)

        loaded: list[tuple[uuid.UUID, Source]] = []
        timings: dict[str, float] = defaultdict(float)
        per_import: list[dict[str, Any]] = []
        for src in sources:
            t = time.perf_counter()
            import_id, flow_id = load_source(core, tenant, src)
            timings["load"] += time.perf_counter() - t
            loaded.append((import_id, src))
            marks: dict[str, float] = {}

            def progress(snapshot: Progress, marks: dict[str, float] = marks) -> None:
                marks.setdefault(snapshot.stage, time.perf_counter())
                marks[snapshot.stage + ":end"] = time.perf_counter()

            t = time.perf_counter()
            result = run_flow(core.uows, tenant, flow_id, progress=progress)
            end = time.perf_counter()
            clean_s = marks.get("data_cleansing:end", t) - t
            inv_s = end - marks.get("asset_inventory", marks.get("data_cleansing:end", t))
            timings["data_cleansing"] += clean_s
            timings["asset_inventory"] += inv_s
            inv = result.summaries.get("asset_inventory", {})
            per_import.append(
                {
                    "file": src.filename,
                    "records": len(src.rows),
                    "cleansing_s": round(clean_s, 2),
                    "cleansing_records_per_s": round(len(src.rows) / clean_s) if clean_s else None,
                    "inventory_s": round(inv_s, 2),
                    "inventory_records_considered": inv.get("records"),
                    "inventory_records_per_s": round(inv.get("records", 0) / inv_s) if inv_s else None,
                    "invalid_records": result.summaries["data_cleansing"]["invalid_records"],
                    "assets_after": inv.get("assets"),
                    "status": result.status["status"],
                    "phase": result.status["current_phase"],
                }
            )
        total = sum(len(s.rows) for s in sources)
        quality = dedup_quality(core, tenant, loaded)

        # re-run of the last flow: idempotent, nothing written
        t = time.perf_counter()
        rerun = run_flow(core.uows, tenant, per_flow_id(core, tenant, loaded[-1][0]), rerun=True)
        rerun_s = time.perf_counter() - t

        queries: dict[str, float] = {}
        with core.uow(tenant) as uow:
            for label, call in (
                ("count_all", lambda: count_assets(uow)),
                ("count_filtered", lambda: count_assets(uow, {"environment": "production", "search": "web"})),
                ("page_first_by_name", lambda: fetch_assets(uow, sort="asset_name", limit=100)),
                ("page_offset_20000_by_memory_desc",
                 lambda: fetch_assets(uow, sort="memory_gb", descending=True, offset=20000, limit=100)),
                ("page_filtered_sorted", lambda: fetch_assets(
                    uow, sort="hostname", filters={"os_family": "linux", "search": "fra"}, limit=100)),
            ):  # fmt: skip
                call()
                t = time.perf_counter()
                call()
                queries[label + "_ms"] = round((time.perf_counter() - t) * 1000, 1)
        exports: dict[str, Any] = {}
        if args.export:
            from core.export import export_inventory

            for fmt in ("xlsx", "csv"):
                with core.uow(tenant) as uow:
                    t = time.perf_counter()
                    res = export_inventory(uow, tmp / f"inventory.{fmt}", fmt)
                    exports[fmt] = {"seconds": round(time.perf_counter() - t, 1), "rows": res.rows}
        figures = {
            "records": total,
            "generate_s": round(gen_s, 2),
            "load_s": round(timings["load"], 2),
            "data_cleansing_s": round(timings["data_cleansing"], 2),
            "data_cleansing_records_per_s": round(total / timings["data_cleansing"]),
            "asset_inventory_s": round(timings["asset_inventory"], 2),
            "asset_inventory_records_per_s": round(total / timings["asset_inventory"]),
            "rerun_both_phases_s": round(rerun_s, 2),
            "rerun_inventory": rerun.summaries.get("asset_inventory"),
            "per_import": per_import,
            "dedup": quality,
            "queries": queries,
            "exports": exports,
        }
        db.close()
    finally:
        server.stop()
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    else:
        print_figures(figures)
    ok = quality["precision"] >= 0.99 and quality["recall"] >= 0.99
    return 0 if ok else 1


def print_figures(f: dict[str, Any]) -> None:
    """The figures as a short human-readable report."""
    print(
        f"records: {f['records']} in 3 imports (generated in {f['generate_s']} s, loaded in {f['load_s']} s)"
    )
    for phase in ("data_cleansing", "asset_inventory"):
        print(f"{phase + ':':<17} {f[phase + '_s']:>6} s  {f[phase + '_records_per_s']:>7} records/s")
    for p in f["per_import"]:
        print(
            f"  {p['file']:<32} {p['records']:>6} rec  cleanse {p['cleansing_s']:>5} s"
            f" ({p['cleansing_records_per_s']}/s)  inventory {p['inventory_s']:>5} s over"
            f" {p['inventory_records_considered']} rec ({p['inventory_records_per_s']}/s)"
            f" -> {p['assets_after']} assets"
        )
    q = f["dedup"]
    print(
        f"dedup: {q['assets']} assets for {q['machines']} machines;"
        f" precision {q['precision']}, recall {q['recall']}"
        f" ({q['pairs_correct']}/{q['pairs_predicted']} predicted pairs, {q['pairs_true']} true pairs)"
    )
    print(f"re-run of cleansing + inventory: {f['rerun_both_phases_s']} s, {f['rerun_inventory']}")
    print("queries (ms): " + ", ".join(f"{k[:-3]} {v}" for k, v in f["queries"].items()))
    for fmt, e in f["exports"].items():
        print(f"export {fmt}: {e['seconds']} s, {e['rows']}")


def per_flow_id(core: Any, tenant: Any, import_id: uuid.UUID) -> uuid.UUID:
    from sqlalchemy import select

    from core.db.models import DiscoveryFlow

    with core.uow(tenant) as uow:
        return uow.session.scalar(select(DiscoveryFlow.id).where(DiscoveryFlow.data_import_id == import_id))


if __name__ == "__main__":
    sys.exit(main())
