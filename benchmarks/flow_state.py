"""Benchmark of flow-state writes on the embedded PostgreSQL server.

1. Latency: p50/p99 of `advance_phase` and of `save_flow_state`, each a full unit of work
   (lock/check, validate, write, event, checkpoint, commit), as a caller would run it.
2. Contention: N threads (default 16) advancing and editing the same few flows for a while
   (default 30 s); reports transitions, conflicts raised and lost updates, checked against the
   event log: every committed write of a flow must have produced exactly one event carrying its
   version (1..final, no gaps, no duplicates), and every acknowledged save must be in the final state.

Run: `.venv/bin/python benchmarks/flow_state.py [--duration 30] [--threads 16] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import tenancy
from core.config import Identity
from core.db import migrate
from core.db.database import ensure_login_role
from core.db.embedded import EmbeddedServer
from core.db.models import DataImport, DiscoveryFlow, FlowEvent, RawImportRecord
from core.flows import (
    COMPLETED,
    ConcurrentModificationError,
    InvalidTransitionError,
    advance_phase,
    create_discovery_flow,
    save_flow_state,
)
from core.flows.phases import next_phase
from core.flows.validation import snapshot_of, state_problems
from core.uow import Tenant, UnitOfWork

ROLE = "md_bench_consultant"
DATABASE = "md_flow_bench"
WRITE_EVENTS = ("flow_created", "phase_advanced", "flag_repaired", "state_saved")


@dataclass
class Env:
    sessions: sessionmaker[Session]
    tenant: Tenant
    close: Callable[[], None]


def setup(threads: int) -> Env:
    """Embedded server in a temp dir, a migrated database, a consultant role and an engagement."""
    tmp = Path(tempfile.mkdtemp(prefix="md-flow-bench-"))
    server = EmbeddedServer(tmp)
    server.start()
    with psycopg.connect(server.url(database="postgres").replace("+psycopg", ""), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{DATABASE}"')
    admin_url = server.url(database=DATABASE)
    migrate.upgrade(admin_url)
    admin_engine = create_engine(admin_url)
    ensure_login_role(admin_engine, ROLE)
    admin = sessionmaker(admin_engine, expire_on_commit=False)
    identity = Identity("Bench Consultant", "bench@example.com")
    user_id = tenancy.ensure_user(admin, identity, ROLE)
    ref = tenancy.ensure_engagement(admin, "Bench Client", "Bench Engagement", user_id)
    engine = create_engine(server.url(user=ROLE, database=DATABASE), pool_size=threads + 4, max_overflow=0)
    tenant = Tenant(ref.client_account_id, ref.engagement_id, user_id, identity.label)

    def close() -> None:
        engine.dispose()
        admin_engine.dispose()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    return Env(sessionmaker(engine, expire_on_commit=False), tenant, close)


def new_flow(env: Env, records: int = 10) -> uuid.UUID:
    t = env.tenant
    scope = {"client_account_id": t.client_account_id, "engagement_id": t.engagement_id}
    with UnitOfWork(env.sessions, t) as uow:
        imp = DataImport(
            filename="bench.csv", status="completed", columns=["Name"], total_records=records, **scope
        )
        uow.session.add(imp)
        uow.session.flush()
        uow.session.add_all(
            RawImportRecord(data_import_id=imp.id, record_index=i + 2, cells=[f"h{i}"], **scope)
            for i in range(records)
        )
        flow = create_discovery_flow(uow, data_import_id=imp.id, flow_name="bench")
        uow.commit()
        return flow.id


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 0.50), 2),
        "p99_ms": round(pct(ms, 0.99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def latency(env: Env, flows: int, saves: int) -> dict[str, Any]:
    ids = [new_flow(env) for _ in range(flows)]
    advance: list[float] = []
    for flow_id in ids:
        phase = "data_import"
        while phase != COMPLETED:
            target = next_phase(phase)
            t0 = time.perf_counter()
            with UnitOfWork(env.sessions, env.tenant) as uow:
                advance_phase(uow, flow_id, target)
                uow.commit()  # helpers never commit: the use case does (timed as before)
            advance.append(time.perf_counter() - t0)
            phase = target
    versions = dict.fromkeys(ids, 7)
    save: list[float] = []
    rng = random.Random(7)
    for n in range(saves):
        flow_id = rng.choice(ids)
        state = {"notes": f"edit {n}", "owner": "bench", "items": list(range(20))}
        t0 = time.perf_counter()
        with UnitOfWork(env.sessions, env.tenant) as uow:
            versions[flow_id] = save_flow_state(uow, flow_id, versions[flow_id], {"flow_state": state})
            uow.commit()  # helpers never commit: the use case does (timed as before)
        save.append(time.perf_counter() - t0)
    return {"advance_phase": figures(advance), "save_flow_state": figures(save)}


@dataclass
class Tally:
    transitions: int = 0
    idempotent: int = 0
    invalid: int = 0
    saves: int = 0
    conflicts: int = 0
    flows_completed: int = 0
    saved_keys: dict[uuid.UUID, list[str]] = field(default_factory=lambda: defaultdict(list))
    advanced: Counter[uuid.UUID] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def contention(env: Env, threads: int, duration: float, hot: int) -> dict[str, Any]:
    hot_flows = [new_flow(env) for _ in range(hot)]
    all_flows = list(hot_flows)
    tally = Tally()
    deadline = time.monotonic() + duration
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        rng = random.Random(n)
        i = 0
        try:
            while time.monotonic() < deadline:
                i += 1
                with tally.lock:
                    slot = rng.randrange(len(hot_flows))
                    flow_id = hot_flows[slot]
                if rng.random() < 0.5:
                    with UnitOfWork(env.sessions, env.tenant) as uow:
                        phase = uow.session.scalar(
                            select(DiscoveryFlow.current_phase).where(DiscoveryFlow.id == flow_id)
                        )
                    if phase == COMPLETED:
                        replacement = new_flow(env)
                        with tally.lock:
                            if hot_flows[slot] == flow_id:
                                hot_flows[slot] = replacement
                                all_flows.append(replacement)
                                tally.flows_completed += 1
                        continue
                    try:
                        with UnitOfWork(env.sessions, env.tenant) as uow:
                            result = advance_phase(uow, flow_id, next_phase(phase))
                            uow.commit()  # helpers never commit: the use case does (timed as before)
                    except InvalidTransitionError:
                        with tally.lock:
                            tally.invalid += 1
                        continue
                    with tally.lock:
                        if result.was_idempotent:
                            tally.idempotent += 1
                        else:
                            tally.transitions += 1
                            tally.advanced[flow_id] += 1
                else:
                    key = f"t{n}-{i}"
                    try:
                        with UnitOfWork(env.sessions, env.tenant) as uow:
                            version, state = uow.session.execute(
                                select(DiscoveryFlow.version, DiscoveryFlow.flow_state).where(
                                    DiscoveryFlow.id == flow_id
                                )
                            ).one()
                            save_flow_state(uow, flow_id, version, {"flow_state": {**state, key: i}})
                            uow.commit()  # helpers never commit: the use case does (timed as before)
                    except ConcurrentModificationError:
                        with tally.lock:
                            tally.conflicts += 1
                        continue
                    with tally.lock:
                        tally.saves += 1
                        tally.saved_keys[flow_id].append(key)
        except BaseException as exc:  # reported below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return {"elapsed_s": round(elapsed, 1), **verify(env, all_flows, tally)}


def verify(env: Env, flows: list[uuid.UUID], tally: Tally) -> dict[str, Any]:
    """Lost updates, checked against the final rows and the append-only event log."""
    lost_saves = version_gaps = duplicate_versions = inconsistent = 0
    advanced_events = saved_events = 0
    with UnitOfWork(env.sessions, env.tenant) as uow:
        for flow_id in flows:
            flow = uow.session.get(DiscoveryFlow, flow_id)
            assert flow is not None
            lost_saves += sum(1 for key in tally.saved_keys.get(flow_id, []) if key not in flow.flow_state)
            rows = uow.session.execute(
                select(FlowEvent.event_type, FlowEvent.data).where(
                    FlowEvent.flow_id == flow_id, FlowEvent.event_type.in_(WRITE_EVENTS)
                )
            ).all()
            versions = Counter(int(data["version"]) for _kind, data in rows)
            duplicate_versions += sum(c - 1 for c in versions.values() if c > 1)
            version_gaps += len(set(range(1, flow.version + 1)) - set(versions))
            advanced = sum(1 for kind, _ in rows if kind == "phase_advanced")
            advanced_events += advanced
            saved_events += sum(1 for kind, _ in rows if kind == "state_saved")
            inconsistent += bool(state_problems(snapshot_of(flow)))
            if advanced != tally.advanced.get(flow_id, 0):
                version_gaps += abs(advanced - tally.advanced.get(flow_id, 0))
    lost = lost_saves + version_gaps + duplicate_versions + abs(saved_events - tally.saves)
    return {
        "flows_touched": len(flows),
        "transitions": tally.transitions,
        "idempotent_repeats": tally.idempotent,
        "invalid": tally.invalid,
        "flows_completed": tally.flows_completed,
        "saves": tally.saves,
        "conflicts_raised": tally.conflicts,
        "events_phase_advanced": advanced_events,
        "events_state_saved": saved_events,
        "lost_saves": lost_saves,
        "version_gaps": version_gaps,
        "duplicate_versions": duplicate_versions,
        "inconsistent_flows": inconsistent,
        "lost_updates": lost,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=200, help="flows advanced through all phases (latency)")
    parser.add_argument("--saves", type=int, default=1000, help="state saves timed (latency)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of the contention run")
    parser.add_argument("--hot-flows", type=int, default=4, help="flows the threads fight over at a time")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    env = setup(args.threads)
    try:
        result = {
            "latency": latency(env, args.flows, args.saves),
            "contention": {
                "threads": args.threads,
                "duration_s": args.duration,
                **contention(env, args.threads, args.duration, args.hot_flows),
            },
        }
    finally:
        env.close()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name, f in result["latency"].items():
            print(
                f"{name:<16} n={f['n']:<5} p50 {f['p50_ms']:6.2f} ms  p99 {f['p99_ms']:6.2f} ms  "
                f"mean {f['mean_ms']:6.2f} ms  max {f['max_ms']:7.2f} ms"
            )
        c = result["contention"]
        print(
            f"contention: {c['threads']} threads, {c['elapsed_s']} s: {c['transitions']} transitions "
            f"({c['idempotent_repeats']} idempotent repeats, {c['flows_completed']} flows completed), "
            f"{c['saves']} saves, {c['conflicts_raised']} conflicts raised, lost updates {c['lost_updates']} "
            f"(lost saves {c['lost_saves']}, version gaps {c['version_gaps']}, "
            f"duplicates {c['duplicate_versions']}, "
            f"inconsistent flows {c['inconsistent_flows']})"
        )
    return 1 if result["contention"]["lost_updates"] else 0


if __name__ == "__main__":
    sys.exit(main())
