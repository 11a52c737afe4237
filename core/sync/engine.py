"""Push the laptop's outbox to the shared server and pull what others changed, exactly once.

Push: the outbox is this engagement's `sync_changes` of local origin, in `seq` order, cut into
batches. Before a batch is sent, its idempotency key and its changes are saved on the laptop
(`sync_state.pending_batch`, committed), so a retry after a cut connection — before, during or
after the server's commit — sends the same key: the server writes the batch's rows and its
`sync_batches` row in one transaction, and a key it already has is not applied again. Rows go
parents first (`core.sync.tables`), an import's raw records as one unit. Once the server has a
batch, its outbox rows are deleted on the laptop. A batch the server refuses (validation,
permission, row-level security) is recorded in `sync_rejections` with its reason and the queue
goes on; a lost connection stops the push to be retried (`SyncInterrupted`), nothing is dropped.

Pull: the server's `sync_changes` of other origins, from transactions that finished after this
laptop's cursor (`pulled_xid`: the xmin of the snapshot the last pull read under), replayed in
one local transaction per page with `md.sync_replaying` set, so replaying logs nothing. A pulled
row the laptop had changed too (an outbox row for it) is a conflict: the server's value stands,
ours is kept in `sync_conflicts` and its outbox row is dropped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from core.db import migrate
from core.errors import UserInputError
from core.progress import CancelToken, Progress
from core.sync import records, rows, tables
from core.sync.link import Scope, display_url, transaction

BATCH_SIZE = 500
RUN_AGAIN = "run the sync again when connected: what was sent is kept and nothing is sent twice"
PULL_PAGE = 5000
CONFLICTS_KEY = "_conflicts"
"""in a `sync_batches` row's counts: the rows of the batch that were conflicts (table, id), for a
retry that finds the batch applied to record them all the same"""


class SyncInterrupted(UserInputError):
    """The connection was lost or the sync cancelled; nothing is lost, run the sync again."""

    def __init__(self, message: str, hint: str = RUN_AGAIN) -> None:
        super().__init__(message=message, hint=hint)


class SyncRefused(UserInputError):
    """The server will not take this engagement's changes at all (e.g. not a member there)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message=message, hint=hint)


@dataclass(frozen=True)
class Change:
    seq: int
    table: str
    row_id: uuid.UUID
    op: str
    base: dt.datetime | None


@dataclass
class SyncReport:
    """What one sync did (the `sync --json` shape: pushed/pulled counts, conflicts, rejected)."""

    pushed: dict[str, int] = field(default_factory=dict)
    pulled: dict[str, int] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0
    batches_already_applied: int = 0
    bytes_pushed: int = 0
    bytes_pulled: int = 0

    def count(self, side: dict[str, int], table: str, n: int) -> None:
        if n:
            side[table] = side.get(table, 0) + n

    def to_dict(self) -> dict[str, Any]:
        return {
            "pushed": dict(sorted(self.pushed.items())),
            "pulled": dict(sorted(self.pulled.items())),
            "conflicts": self.conflicts,
            "rejected": self.rejected,
            "batches": self.batches,
            "batches_already_applied": self.batches_already_applied,
            "bytes_pushed": self.bytes_pushed,
            "bytes_pulled": self.bytes_pulled,
        }


def check_revision(server: psycopg.Connection, server_name: str) -> None:
    """Refuse, before anything moves, a server whose schema is not this app's (rows could not be
    written as this app reads them): older names the upgrade, newer the app's update."""
    with server.transaction(), server.cursor() as cur:
        cur.execute(
            "SELECT CASE WHEN to_regclass('alembic_version') IS NULL THEN NULL"
            " ELSE (SELECT version_num FROM alembic_version) END"
        )
        revision = cur.fetchone()[0]  # type: ignore[index]
    if revision == migrate.HEAD_REVISION:
        return
    newer = revision is not None and not migrate.is_known_revision(revision)
    raise SyncRefused(
        f"the schema on {server_name} is at revision {revision or 'none'}, this app's is "
        f"{migrate.HEAD_REVISION}: nothing was pushed or pulled",
        "install the newer version of Migration Discovery"
        if newer
        else "ask the server's owner to run `migration-discovery --database-url SERVER db upgrade`",
    )


def collapse(changes: Iterable[Change]) -> list[Change]:
    """One change per row: the last operation, based on the first change's version (the version
    the server knew), ordered parents first (deletes are applied children first by the caller)."""
    first: dict[tuple[str, uuid.UUID], Change] = {}
    last: dict[tuple[str, uuid.UUID], Change] = {}
    for c in changes:
        key = (c.table, c.row_id)
        first.setdefault(key, c)
        last[key] = c
    out = [Change(last[k].seq, k[0], k[1], last[k].op, first[k].base) for k in last]
    order = apply_order()
    out.sort(key=lambda c: (order.get(c.table, len(order)), c.seq))
    return out


def apply_order() -> dict[str, int]:
    names = [t.name for t in tables.ordered()]
    names.insert(names.index("data_imports") + 1, tables.RECORDS)
    return {n: i for i, n in enumerate(names)}


Disconnect = (psycopg.OperationalError, psycopg.InterfaceError)
"""Errors a retry can get past: a lost connection, and what the server says when it could not
finish a transaction now (serialization failure, deadlock, a cancelled statement, a lock timeout:
all `OperationalError`s) — the batch goes again, with the same idempotency key."""
Refusal = psycopg.DatabaseError
"""Any other error the server raised for a batch (constraint, permission, row-level security,
invalid data, an internal error): the batch is set aside with the reason, and the queue goes on —
one bad batch never wedges the rest. Checked after `Disconnect`, whose classes it includes."""


class Sync:
    """One sync run between a laptop connection and a server connection for one engagement."""

    def __init__(
        self,
        local: psycopg.Connection,
        server: psycopg.Connection,
        server_url: str,
        local_scope: Scope,
        server_scope: Scope,
        *,
        device_id: uuid.UUID,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[Progress], None] | None = None,
        cancel: CancelToken | None = None,
        admin: psycopg.Connection | None = None,
    ) -> None:
        self.local, self.server = local, server
        self.admin = admin
        """the laptop's owner connection (autocommit): writes the consultants the server names"""
        self.server_name = display_url(server_url)
        self.local_scope, self.server_scope = local_scope, server_scope
        self.device_id = device_id
        self.batch_size = max(1, batch_size)
        self.progress = progress
        self.cancel = cancel
        self.report = SyncReport()
        #: imports whose records this run carried, with the last outbox seq their copy includes
        self.carried: dict[uuid.UUID, int] = {}
        self._staging_bytes = 0
        # consultant ids: the laptop's user is the server's user of this login, and back
        self.to_server: dict[uuid.UUID, uuid.UUID] = {}
        self.to_local: dict[uuid.UUID, uuid.UUID] = {}
        if local_scope.user_id and server_scope.user_id:
            self.to_server[local_scope.user_id] = server_scope.user_id
            self.to_local[server_scope.user_id] = local_scope.user_id

    # ------------------------------------------------------------------------------------ helpers
    def _stopped(self, exc: Exception) -> str:
        """What stopped the sync, truthfully: the connection, or the server giving up on a step."""
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if self.server.closed or self.server.broken:
            return f"the connection to {self.server_name} was lost: {detail}"
        return f"{self.server_name} could not finish this step now ({type(exc).__name__}: {detail})"

    def _check(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise SyncInterrupted("the sync was cancelled; what was sent is kept, run it again to go on")

    def _tell(self, stage: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            moved = self.report.bytes_pushed + self.report.bytes_pulled + self._staging_bytes
            unit = "rows" if stage == "pushing records" else "changes"
            self.progress(Progress(stage=stage, done=done, total=total, unit=unit, bytes_done=moved))

    def _local(self, **settings: str) -> Any:
        return transaction(self.local, self.local_scope, **settings)

    def _server(self, **settings: str) -> Any:
        return transaction(self.server, self.server_scope, **settings)

    # --------------------------------------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        """This device's row in `sync_state` for the engagement and server (created when missing)."""
        with self._local() as cur:
            cur.execute(
                "INSERT INTO sync_state (id, client_account_id, engagement_id, server, device_id)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (engagement_id, server) DO NOTHING",
                (uuid.uuid4(), self.local_scope.client_account_id, self.local_scope.engagement_id,
                 self.server_name, self.device_id),
            )  # fmt: skip
            cur.execute(
                "SELECT device_id, pulled_xid, pending_batch FROM sync_state WHERE engagement_id = %s"
                " AND server = %s",
                (self.local_scope.engagement_id, self.server_name),
            )
            device, pulled_xid, pending = cur.fetchone()  # type: ignore[misc]
        self.device_id = device
        return {"pulled_xid": pulled_xid, "pending_batch": pending}

    def check_server(self) -> None:
        """Refuse early, with the reason, when this login may not write the engagement there."""
        try:
            with self._server() as cur:
                cur.execute("SELECT md_tenant_role()")
                row = cur.fetchone()
        except Disconnect as exc:  # a cut here is retried like any other
            raise SyncInterrupted(self._stopped(exc)) from exc
        role = row[0] if row else None
        if role is None:
            role = self._push_engagement()
        if role not in ("lead", "member"):
            who = "a viewer of" if role == "viewer" else "not a member of"
            raise SyncRefused(
                f"this login is {who} the engagement on {self.server_name}: nothing was pushed or pulled",
                "ask a lead to add you there: `migration-discovery --database-url SERVER db grant ROLE "
                "--client NAME --engagement NAME --role member`",
            )

    def _push_engagement(self) -> str | None:
        """An engagement made offline goes to the server with its ids when this login leads another
        engagement of the client there (`md_push_engagement`); the server's refusal is the reason
        given. Returns this login's role on it afterwards (None: not a member)."""
        with self._local() as cur:
            cur.execute("SELECT name FROM engagements WHERE id = %s", (self.local_scope.engagement_id,))
            row = cur.fetchone()
        if row is None:
            return None
        try:
            with self._server() as dst:
                dst.execute(
                    "SELECT md_push_engagement(%s, %s, %s)",
                    (self.server_scope.client_account_id, self.server_scope.engagement_id, row[0]),
                )
                outcome = dst.fetchone()[0]  # type: ignore[index]
                dst.execute("SELECT md_tenant_role()")
                role = dst.fetchone()[0]  # type: ignore[index]
        except Disconnect as exc:
            raise SyncInterrupted(self._stopped(exc)) from exc
        except (pg_errors.InsufficientPrivilege, pg_errors.UniqueViolation) as exc:
            reason = str(exc).strip().splitlines()[0]
            raise SyncRefused(
                f"this login is not a member of the engagement on {self.server_name}, and the server"
                f" does not take it as a new one ({reason}): nothing was pushed or pulled",
                "ask a lead to add you there: `migration-discovery --database-url SERVER db grant ROLE "
                "--client NAME --engagement NAME --role member`",
            ) from exc
        if outcome == "created":
            self.report.count(self.report.pushed, "engagements", 1)
        return role

    # ---------------------------------------------------------------------------------------- push
    def _outbox(self, pending: dict[str, Any] | None) -> tuple[uuid.UUID, list[Change]] | None:
        with self._local() as cur:
            if pending:
                seqs = pending["seqs"]
                cur.execute(
                    "SELECT seq, table_name, row_id, op, base_updated_at FROM sync_changes"
                    " WHERE seq = ANY(%s) AND origin IS NULL ORDER BY seq",
                    (seqs,),
                )
                found = self._rebase(cur, [Change(*r) for r in cur.fetchall()])
                if found:
                    return uuid.UUID(pending["key"]), found
            cur.execute(
                "SELECT seq, table_name, row_id, op, base_updated_at FROM sync_changes WHERE origin IS NULL"
                " ORDER BY seq LIMIT %s",
                (self.batch_size,),
            )
            found = self._rebase(cur, [Change(*r) for r in cur.fetchall()])
            if not found:
                return None
            key = uuid.uuid4()
            cur.execute(
                "UPDATE sync_state SET pending_batch = %s WHERE engagement_id = %s AND server = %s",
                (psycopg.types.json.Jsonb({"key": str(key), "seqs": [c.seq for c in found]}),
                 self.local_scope.engagement_id, self.server_name),
            )  # fmt: skip
        return key, found

    def _rebase(self, cur: psycopg.Cursor, found: list[Change]) -> list[Change]:
        """Changes of rows in a refused batch, based on the version the server still has.

        Why: a refused change never reached the server, so the row's local version after it (and
        a change queued again by "retry", which has no base) is one the server never saw; the
        next push of the row would be a conflict with the server's own, older value. The
        rejection keeps the version it was based on (`base`) and the refused one (`version`).
        """
        if not found:
            return found
        cur.execute(
            "SELECT e->>'table', e->>'row_id', e->>'base', e->>'version' FROM sync_rejections r,"
            " jsonb_array_elements(r.changes) e WHERE r.server = %s AND e ? 'version'"
            " AND e->>'row_id' = ANY(%s) ORDER BY r.created_at, r.id",
            (self.server_name, list({str(c.row_id) for c in found})),
        )
        refused: dict[tuple[str, str], list[tuple[dt.datetime | None, dt.datetime | None]]] = {}
        for table, row_id, base, version in cur.fetchall():
            refused.setdefault((table, row_id), []).append(
                (dt.datetime.fromisoformat(base) if base else None,
                 dt.datetime.fromisoformat(version) if version else None)
            )  # fmt: skip
        out = []
        for c in found:
            for base, version in reversed(refused.get((c.table, str(c.row_id)), [])):
                if c.base is None or c.base == version:
                    c = Change(c.seq, c.table, c.row_id, c.op, base)
                    break
            out.append(c)
        return out

    def pending_count(self) -> int:
        with self._local() as cur:
            cur.execute("SELECT count(*) FROM sync_changes WHERE origin IS NULL")
            return int(cur.fetchone()[0])  # type: ignore[index]

    def push(self) -> None:
        """Send the whole outbox, batch by batch (see the module docstring)."""
        pending = self.state()["pending_batch"]
        total = self.pending_count()
        sent = 0
        while True:
            self._check()
            batch = self._outbox(pending)
            pending = None
            if batch is None:
                return
            key, changes = batch
            first, last = changes[0].seq, changes[-1].seq
            try:
                staged = self._stage(key, changes)
                applied, counts, conflicts = self._send(key, changes, staged)
            except Disconnect as exc:
                raise SyncInterrupted(self._stopped(exc)) from exc
            except Refusal as exc:
                self._reject(key, changes, exc)
                sent += len(changes)
                continue
            if not applied:
                self.report.batches_already_applied += 1
            self.report.batches += 1
            for table, n in counts.items():
                self.report.count(self.report.pushed, table, n)
            self._done(changes, conflicts)
            sent += len(changes)
            self._tell("pushing", sent, max(total, sent))
            del first, last

    def _stage(self, key: uuid.UUID, changes: list[Change]) -> set[uuid.UUID]:
        """Load the records of the batch's imports that the server lacks, in resumable chunks
        (`core.sync.records`), before the batch's own transaction attaches them."""
        carriers = ("data_imports", tables.RECORDS)
        imports = {c.row_id for c in changes if c.op == "upsert" and c.table in carriers}
        if not imports:
            return set()
        with self._server() as dst:
            dst.execute("SELECT 1 FROM sync_batches WHERE id = %s", (key,))
            if dst.fetchone():
                return set()  # applied already: nothing to load
            missing = {i for i in imports if not records.attached(dst, i)}
        with self._local() as src:
            wanted = {i for i in missing if records.attached(src, i)}
            src.execute(
                "SELECT coalesce(sum(total_records), 0) FROM data_imports WHERE id = ANY(%s)", (list(wanted),)
            )
            total = int(src.fetchone()[0]) or None  # type: ignore[index]
        base = 0

        def chunk(done: int, moved: int) -> None:
            self._staging_bytes = moved  # this import's bytes so far (the report counts them after)
            self._tell("pushing records", base + done, total)

        for import_id in sorted(wanted):
            n, moved = records.stage(
                self.local, self.local_scope, self.server, self.server_scope, import_id, check=self._check,
                on_chunk=chunk,
            )  # fmt: skip
            base += n
            self._staging_bytes = 0
            self.report.bytes_pushed += moved
        return wanted

    def _send(
        self, key: uuid.UUID, changes: list[Change], staged: set[uuid.UUID]
    ) -> tuple[bool, dict[str, int], list[rows.Conflict]]:
        counts: dict[str, int] = {}
        conflicts: list[rows.Conflict] = []
        with self._server(sync_origin=str(self.device_id)) as dst:
            dst.execute("SELECT counts FROM sync_batches WHERE id = %s", (key,))
            done = dst.fetchone()
            if done:  # applied before (the reply was lost): its conflicts are still ours to keep
                again = self._conflicts_again(dst, (done[0] or {}).get(CONFLICTS_KEY, []))
                return False, {}, _with_who(dst, again)
            with self._local() as src:
                work, orphaned = self._with_parents(src, dst, collapse(changes))
                conflicts += orphaned
                upserts = [c for c in work if c.op == "upsert"]
                deletes = [c for c in work if c.op == "delete"]
                attached: set[uuid.UUID] = set()
                for table, group in _by_table(upserts):
                    if table == tables.RECORDS:
                        for c in group:
                            if c.row_id in staged:
                                continue
                            if self.carried.get(c.row_id, -1) >= c.seq:
                                continue  # this run's copy of the import already has these records
                            n, moved = self._records_to_server(src, dst, c.row_id)
                            self.report.bytes_pushed += moved
                            counts[table] = counts.get(table, 0) + n
                        continue
                    ids = [c.row_id for c in group]
                    n, found, moved = rows.copy_rows(
                        src, dst, table, ids, bases={c.row_id: c.base for c in group}, users=self.to_server,
                        doomed={c.row_id for c in deletes if c.table == table},
                    )  # fmt: skip
                    self.report.bytes_pushed += moved
                    counts[table] = counts.get(table, 0) + n
                    conflicts += found
                    if table == "data_imports":  # a new import's records go with it
                        for import_id in sorted(staged - attached):  # the staged records appear now
                            n = records.attach(dst, import_id)
                            counts[tables.RECORDS] = counts.get(tables.RECORDS, 0) + n
                            attached.add(import_id)
                        for import_id in ids:
                            if import_id in staged:
                                continue
                            if not _has_partition(dst, import_id) and _has_partition(src, import_id):
                                src.execute("SELECT coalesce(max(seq), 0) FROM sync_changes")
                                self.carried[import_id] = int(src.fetchone()[0])  # type: ignore[index]
                                n, moved = rows.copy_records(src, dst, import_id)
                                self.report.bytes_pushed += moved
                                counts[tables.RECORDS] = counts.get(tables.RECORDS, 0) + n
                for import_id in sorted(staged - attached):
                    n = records.attach(dst, import_id)
                    counts[tables.RECORDS] = counts.get(tables.RECORDS, 0) + n
                    attached.add(import_id)
                for table, group in reversed(list(_by_table(deletes))):
                    if table == tables.RECORDS:
                        continue
                    n, found = rows.delete_rows(
                        dst, table, [c.row_id for c in group], {c.row_id: c.base for c in group}
                    )
                    counts[f"{table} (deleted)"] = counts.get(f"{table} (deleted)", 0) + n
                    conflicts += found
            conflicts = _with_who(dst, conflicts)  # read in the batch's transaction, like the rest
            kept = {**counts, CONFLICTS_KEY: [[c.table, str(c.row_id)] for c in conflicts]}
            dst.execute(
                "INSERT INTO sync_batches (id, client_account_id, engagement_id, device_id, first_seq,"
                " last_seq, counts) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (key, self.server_scope.client_account_id, self.server_scope.engagement_id, self.device_id,
                 changes[0].seq, changes[-1].seq, psycopg.types.json.Jsonb(kept)),
            )  # fmt: skip
        return True, counts, conflicts

    def _conflicts_again(self, dst: psycopg.Cursor, listed: list[list[str]]) -> list[rows.Conflict]:
        """The conflicts of a batch the server applied without us hearing it: our row as it is here,
        the server's as it is there (the batch row keeps which rows they were)."""
        out: list[rows.Conflict] = []
        with self._local() as src:
            for table, row_id in listed:
                q = sql.SQL("SELECT to_jsonb(t), t.updated_at FROM public.{} t WHERE id = %s").format(
                    sql.Identifier(table)
                )
                src.execute(q, (row_id,))
                ours = src.fetchone()
                dst.execute(q, (row_id,))
                theirs = dst.fetchone()
                out.append(
                    rows.Conflict(table, uuid.UUID(row_id), ours[0] if ours else {"deleted": True},
                                  theirs[0] if theirs else {"deleted": True}, theirs[1] if theirs else None)
                )  # fmt: skip
        return out

    def _with_parents(
        self, src: psycopg.Cursor, dst: psycopg.Cursor, work: list[Change]
    ) -> tuple[list[Change], list[rows.Conflict]]:
        """The batch plus the rows it references that the server lacks (parents before children),
        and the batch's rows whose parent was deleted on the server (as conflicts, not sent).

        Why: a row is sent as it is now, not as it was when its change was logged, so a row of an
        early batch may name rows created after it (an import's row names the master flow made
        for it later) whose own changes come in a later batch: the server's foreign key would
        refuse the batch. Those parents go with it (as new rows: the server has none of them);
        their own later changes then find them there, unchanged, and apply as no-ops.

        A parent the server lacks because someone deleted it there (its change log says so) is
        not sent again — that would undo their deletion without anyone knowing. The rows of the
        batch that need it (and the rows that need those) are kept as conflicts instead: the
        deletion stands, our values stay listed for the consultant.
        """
        have = {(c.table, c.row_id) for c in work}
        todo = [c for c in work if c.op == "upsert" and c.table != tables.RECORDS]
        added: list[Change] = []
        needs: dict[tuple[str, uuid.UUID], set[tuple[str, uuid.UUID]]] = {}
        checked: set[tuple[str, uuid.UUID]] = set()
        gone: set[tuple[str, uuid.UUID]] = set()
        while todo:
            wanted: dict[str, set[uuid.UUID]] = {}
            for table, group in _by_table(todo):
                ids = [c.row_id for c in group]
                for column, parent in tables.parents(table):
                    q = sql.SQL("SELECT id, {c} FROM public.{t} WHERE id = ANY(%s) AND {c} IS NOT NULL")
                    src.execute(q.format(c=sql.Identifier(column), t=sql.Identifier(table)), (ids,))
                    for row_id, parent_id in src.fetchall():
                        needs.setdefault((table, row_id), set()).add((parent, parent_id))
                        if (parent, parent_id) not in checked:
                            checked.add((parent, parent_id))
                            wanted.setdefault(parent, set()).add(parent_id)
            todo = []
            for parent, ids in wanted.items():  # parents in the batch too: deleted there meanwhile?
                dst.execute(
                    sql.SQL("SELECT id FROM public.{} WHERE id = ANY(%s)").format(sql.Identifier(parent)),
                    (list(ids),),
                )
                lacking = ids - {r[0] for r in dst.fetchall()}
                dst.execute(
                    "SELECT DISTINCT row_id FROM sync_changes WHERE table_name = %s AND op = 'delete'"
                    " AND row_id = ANY(%s)",
                    (parent, list(lacking)),
                )
                deleted = {r[0] for r in dst.fetchall()}
                gone |= {(parent, i) for i in deleted}
                for parent_id in sorted(lacking - deleted):
                    if (parent, parent_id) in have:
                        continue  # new in this batch: it goes first
                    c = Change(0, parent, parent_id, "upsert", None)
                    have.add((parent, parent_id))
                    todo.append(c)
                    added.append(c)
        orphans = _needing(needs, gone)
        conflicts = [
            _orphan_conflict(src, c, _deleted_ancestor(needs, gone, (c.table, c.row_id)))
            for c in work
            if c.op == "upsert" and (c.table, c.row_id) in orphans
        ]
        if orphans:
            work = [c for c in work if c.op == "delete" or (c.table, c.row_id) not in orphans]
            added = [c for c in added if (c.table, c.row_id) not in orphans]
        if added:
            order = apply_order()
            work = sorted(work + added, key=lambda c: (order.get(c.table, len(order)), c.seq))
        return work, conflicts

    def _records_to_server(
        self, src: psycopg.Cursor, dst: psycopg.Cursor, import_id: uuid.UUID
    ) -> tuple[int, int]:
        dst.execute("SELECT 1 FROM data_imports WHERE id = %s", (import_id,))
        if not dst.fetchone():
            return 0, 0  # the import is not there (deleted since): nothing to carry
        return rows.copy_records(src, dst, import_id)

    def _done(self, changes: list[Change], conflicts: list[rows.Conflict]) -> None:
        """The server has the batch: drop it from the outbox, keep our side of each conflict."""
        with self._local() as cur:
            cur.execute("DELETE FROM sync_changes WHERE seq = ANY(%s)", ([c.seq for c in changes],))
            cur.execute(
                "UPDATE sync_state SET pending_batch = NULL, last_push_at = now(), last_error = NULL"
                " WHERE engagement_id = %s AND server = %s",
                (self.local_scope.engagement_id, self.server_name),
            )
            for c in conflicts:
                self._record_conflict(
                    cur, c.table, c.row_id, c.incoming, c.existing, c.existing_updated_at, c.changed_by
                )

    def _record_conflict(
        self,
        cur: psycopg.Cursor,
        table: str,
        row_id: uuid.UUID,
        ours: dict[str, Any],
        theirs: dict[str, Any] | None,
        theirs_at: dt.datetime | None,
        changed_by: str | None = None,
    ) -> None:
        # both values in this laptop's consultant ids, where it knows them (the same person has
        # another users.id on the server): re-applying ours writes valid ids, and the two values
        # differ only where someone changed something
        known = {str(theirs_id): str(ours_id) for theirs_id, ours_id in self.to_local.items()}
        ours = rows.with_users(ours, table, known)
        theirs = rows.with_users(theirs, table, known) if theirs is not None else None
        cur.execute(
            "INSERT INTO sync_conflicts (id, client_account_id, engagement_id, server, table_name, row_id,"
            " local_row, server_row, server_updated_at, changed_by)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (uuid.uuid4(), self.local_scope.client_account_id, self.local_scope.engagement_id,
             self.server_name,
             table, row_id, psycopg.types.json.Jsonb(ours),
             psycopg.types.json.Jsonb(theirs) if theirs is not None else None, theirs_at, changed_by),
        )  # fmt: skip
        self.report.conflicts.append(
            {
                "table": table,
                "row_id": str(row_id),
                "server_updated_at": theirs_at.isoformat() if theirs_at else None,
                "changed_by": changed_by,
            }
        )

    def _reject(self, key: uuid.UUID, changes: list[Change], exc: Exception) -> None:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        work = collapse(changes)
        with self._local() as cur:
            versions: dict[tuple[str, uuid.UUID], dt.datetime] = {}
            kept = [c for c in work if c.op == "upsert" and c.table != tables.RECORDS]
            for table, group in _by_table(kept):
                cur.execute(
                    sql.SQL("SELECT id, updated_at FROM public.{} WHERE id = ANY(%s)").format(
                        sql.Identifier(table)
                    ),
                    ([c.row_id for c in group],),
                )
                versions.update({(table, row_id): at for row_id, at in cur.fetchall()})
            # the version each change was based on and the refused one: the next push rebases on it
            listed = [
                {"table": c.table, "row_id": str(c.row_id), "op": c.op,
                 "base": c.base.isoformat() if c.base else None,
                 "version": v.isoformat() if (v := versions.get((c.table, c.row_id))) else None}
                for c in work
            ]  # fmt: skip
            cur.execute(
                "INSERT INTO sync_rejections (id, client_account_id, engagement_id, server, batch_key,"
                " first_seq, last_seq, changes, reason, error_class)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (uuid.uuid4(), self.local_scope.client_account_id, self.local_scope.engagement_id,
                 self.server_name, key, changes[0].seq, changes[-1].seq, psycopg.types.json.Jsonb(listed),
                 reason, type(exc).__name__),
            )  # fmt: skip
            # set aside, not dropped: the rejection keeps the list; the queue goes on
            cur.execute("DELETE FROM sync_changes WHERE seq = ANY(%s)", ([c.seq for c in changes],))
            cur.execute(
                "UPDATE sync_state SET pending_batch = NULL WHERE engagement_id = %s AND server = %s",
                (self.local_scope.engagement_id, self.server_name),
            )
        self.report.rejected.append(
            {
                "batch_key": str(key),
                "reason": reason,
                "error_class": type(exc).__name__,
                "changes": len(listed),
            }
        )

    # ---------------------------------------------------------------------------------------- pull
    def pull(self) -> None:
        """Replay what others changed on the server since this laptop's cursor (module docstring)."""
        try:
            self._pull()
        except Disconnect as exc:
            raise SyncInterrupted(self._stopped(exc)) from exc

    def _pull(self) -> None:
        since = int(self.state()["pulled_xid"] or 0)
        with self._server() as dst:
            dst.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            upto = int(dst.fetchone()[0])  # type: ignore[index]
            dst.execute(
                "SELECT seq, table_name, row_id, op, base_updated_at FROM sync_changes"
                " WHERE txid >= %s AND txid < %s AND origin IS DISTINCT FROM %s ORDER BY txid, seq",
                (since, upto, self.device_id),
            )
            found = [Change(*r) for r in dst.fetchall()]
        work = collapse(found)
        done = 0
        for start in range(0, len(work), PULL_PAGE):
            self._check()
            page = work[start : start + PULL_PAGE]
            self._replay(page)
            done += len(page)
            self._tell("pulling", done, len(work))
        with self._local() as cur:
            cur.execute(
                "UPDATE sync_state SET pulled_xid = %s, last_pull_at = now() WHERE engagement_id = %s"
                " AND server = %s",
                (upto, self.local_scope.engagement_id, self.server_name),
            )

    def _replay(self, page: list[Change]) -> None:
        with self._server() as src, self._local(sync_replaying="on") as dst:
            self._users_from_server(src, dst)
            keys = [(c.table, c.row_id) for c in page]
            dst.execute(
                "SELECT seq, table_name, row_id FROM sync_changes WHERE origin IS NULL"
                " AND (table_name, row_id) IN (SELECT * FROM unnest(%s::text[], %s::uuid[]))",
                ([k[0] for k in keys], [k[1] for k in keys]),
            )
            ours = dst.fetchall()
            mine = {(t, r) for _seq, t, r in ours}
            upserts = [c for c in page if c.op == "upsert"]
            deletes = [c for c in page if c.op == "delete"]
            for c in page:
                if (c.table, c.row_id) in mine and c.table != tables.RECORDS:
                    self._keep_ours(src, dst, c)
            if ours:
                dst.execute("DELETE FROM sync_changes WHERE seq = ANY(%s)", ([s for s, _t, _r in ours],))
            for table, group in _by_table(upserts):
                if table == tables.RECORDS:
                    for c in group:
                        src.execute("SELECT 1 FROM data_imports WHERE id = %s", (c.row_id,))
                        if src.fetchone():
                            n, moved = rows.copy_records(src, dst, c.row_id)
                            self.report.bytes_pulled += moved
                            self.report.count(self.report.pulled, table, n)
                    continue
                ids = [c.row_id for c in group]
                n, displaced, moved = rows.copy_rows(src, dst, table, ids, bases=None, users=self.to_local)
                self._displaced(dst, _with_who(src, displaced))
                self.report.bytes_pulled += moved
                self.report.count(self.report.pulled, table, n)
                if table == "data_imports":
                    for import_id in ids:
                        if _has_partition(src, import_id) and not _has_partition(dst, import_id):
                            n, moved = rows.copy_records(src, dst, import_id)
                            self.report.bytes_pulled += moved
                            self.report.count(self.report.pulled, tables.RECORDS, n)
            self._cascaded(src, dst, deletes)
            for table, group in reversed(list(_by_table(deletes))):
                if table != tables.RECORDS:
                    n, _ = rows.delete_rows(dst, table, [c.row_id for c in group], None)
                    self.report.count(self.report.pulled, f"{table} (deleted)", n)

    def _cascaded(self, src: psycopg.Cursor, dst: psycopg.Cursor, deletes: list[Change]) -> None:
        """Our rows still waiting to be pushed that a pulled deletion takes with it (ON DELETE
        CASCADE, at any depth): kept as conflicts naming the deleted row, their outbox rows dropped,
        so an offline change to something another consultant deleted is never lost unseen."""
        root: dict[tuple[str, uuid.UUID], tuple[str, uuid.UUID]] = {
            (c.table, c.row_id): (c.table, c.row_id) for c in deletes if c.table != tables.RECORDS
        }
        ids_of = {t: [c.row_id for c in group] for t, group in _by_table(deletes) if t != tables.RECORDS}
        while ids_of:
            found: dict[str, list[uuid.UUID]] = {}
            for parent, ids in ids_of.items():
                for child, column in tables.cascading_children(parent):
                    dst.execute(
                        sql.SQL(
                            "SELECT c.id, c.{col}, to_jsonb(c), EXISTS (SELECT 1 FROM sync_changes s"
                            " WHERE s.origin IS NULL AND s.table_name = %s AND s.row_id = c.id)"
                            " FROM public.{t} c WHERE c.{col} = ANY(%s)"
                        ).format(col=sql.Identifier(column), t=sql.Identifier(child)),
                        (child, ids),
                    )
                    for row_id, parent_id, ours, pending in dst.fetchall():
                        key = (child, row_id)
                        if key in root:
                            continue
                        root[key] = origin = root[(parent, parent_id)]
                        found.setdefault(child, []).append(row_id)
                        if not pending:
                            continue
                        dst.execute(
                            "DELETE FROM sync_changes WHERE origin IS NULL AND table_name = %s"
                            " AND row_id = %s",
                            (child, row_id),
                        )
                        theirs = {
                            "deleted": True,
                            "parent_deleted": {"table": origin[0], "row_id": str(origin[1])},
                        }
                        who = _who(src, [origin]).get(origin)
                        self._record_conflict(dst, child, row_id, ours, theirs, None, who)
            ids_of = found

    def _displaced(self, dst: psycopg.Cursor, displaced: list[rows.Conflict]) -> None:
        """Our rows a pulled row replaced (same natural key, another id): one still waiting to be
        pushed was a local change the server never had, kept as a conflict (its outbox rows go)."""
        for c in displaced:
            dst.execute(
                "DELETE FROM sync_changes WHERE origin IS NULL AND table_name = %s AND row_id = %s"
                " RETURNING seq",
                (c.table, c.row_id),
            )
            if dst.fetchall():
                self._record_conflict(
                    dst, c.table, c.row_id, c.incoming, c.existing, c.existing_updated_at, c.changed_by
                )

    def _keep_ours(self, src: psycopg.Cursor, dst: psycopg.Cursor, c: Change) -> None:
        """A row changed here and there: the server's value stands, ours goes to the conflicts."""
        from psycopg import sql

        q = sql.SQL("SELECT to_jsonb(t), t.updated_at FROM public.{} t WHERE id = %s").format(
            sql.Identifier(c.table)
        )
        dst.execute(q, (c.row_id,))
        mine = dst.fetchone()
        src.execute(q, (c.row_id,))
        theirs = src.fetchone()
        self._record_conflict(
            dst, c.table, c.row_id, mine[0] if mine else {"deleted": True}, theirs[0] if theirs else None,
            theirs[1] if theirs else None, _who(src, [(c.table, c.row_id)]).get((c.table, c.row_id)),
        )  # fmt: skip

    def _users_from_server(self, src: psycopg.Cursor, dst: psycopg.Cursor) -> None:
        """Consultants the server names who are not on the laptop yet: `users` is a root table, so the
        laptop's owner connection writes them (same id, or the laptop's row of the same email)."""
        src.execute("SELECT id, display_name, email, db_role FROM users")
        for user_id, name, email, role in src.fetchall():
            if user_id in self.to_local:
                continue
            if self.admin is None:
                self.to_local[user_id] = user_id
                continue
            with self.admin.cursor() as cur:
                cur.execute(
                    "INSERT INTO users (id, display_name, email, db_role) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (user_id, name, email, role),
                )
                cur.execute("SELECT id FROM users WHERE id = %s OR email = %s"
                            " ORDER BY (id = %s) DESC LIMIT 1",
                            (user_id, email, user_id))  # fmt: skip
                row = cur.fetchone()
            self.to_local[user_id] = row[0] if row else user_id
            if row and row[0] != user_id:
                self.to_server.setdefault(row[0], user_id)


def _who(server: psycopg.Cursor, keys: Iterable[tuple[str, uuid.UUID]]) -> dict[tuple[str, uuid.UUID], str]:
    """Who last changed each row on the server: its change log's writer, by name where the server
    knows the login (schema 0011 stamps `changed_by`; older log rows have none)."""
    keys = list(keys)
    if not keys:
        return {}
    server.execute(  # a login may name several users rows (db_role is not unique): the first
        "SELECT DISTINCT ON (c.table_name, c.row_id) c.table_name, c.row_id,"
        " coalesce((SELECT u.display_name FROM users u WHERE u.db_role = c.changed_by"
        " ORDER BY u.created_at, u.id LIMIT 1), c.changed_by) FROM sync_changes c"
        " WHERE (c.table_name, c.row_id) IN (SELECT * FROM unnest(%s::text[], %s::uuid[]))"
        " ORDER BY c.table_name, c.row_id, c.seq DESC",
        ([k[0] for k in keys], [k[1] for k in keys]),
    )
    return {(t, r): who for t, r, who in server.fetchall() if who}


def _with_who(server: psycopg.Cursor, conflicts: list[rows.Conflict]) -> list[rows.Conflict]:
    """The conflicts with who made the server's side (for a row the server deleted because its
    parent went, who deleted the parent)."""
    if not conflicts:
        return conflicts

    def key(c: rows.Conflict) -> tuple[str, uuid.UUID]:
        parent = (c.existing or {}).get("parent_deleted")
        if parent:
            return parent["table"], uuid.UUID(parent["row_id"])
        theirs = (c.existing or {}).get("id")  # the same natural key under another id there
        return (c.table, uuid.UUID(str(theirs))) if theirs else (c.table, c.row_id)

    who = _who(server, [key(c) for c in conflicts])
    return [replace(c, changed_by=who.get(key(c))) for c in conflicts]


def _needing(
    needs: dict[tuple[str, uuid.UUID], set[tuple[str, uuid.UUID]]], gone: set[tuple[str, uuid.UUID]]
) -> set[tuple[str, uuid.UUID]]:
    """The rows that need a row in `gone`, directly or through other such rows."""
    out: set[tuple[str, uuid.UUID]] = set()
    grew = bool(gone)
    while grew:
        grew = False
        for row, parents in needs.items():
            if row not in out and not parents.isdisjoint(gone | out):
                out.add(row)
                grew = True
    return out


def _deleted_ancestor(
    needs: dict[tuple[str, uuid.UUID], set[tuple[str, uuid.UUID]]],
    gone: set[tuple[str, uuid.UUID]],
    row: tuple[str, uuid.UUID],
) -> tuple[str, uuid.UUID]:
    """The deleted row that `row` needs (through its parents), to name in the conflict."""
    seen, todo = {row}, [row]
    while todo:
        for parent in sorted(needs.get(todo.pop(0), ())):
            if parent in gone:
                return parent
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    raise AssertionError(f"{row} needs no deleted row")


def _orphan_conflict(src: psycopg.Cursor, c: Change, parent: tuple[str, uuid.UUID]) -> rows.Conflict:
    """Our row, kept because the row it belongs to was deleted on the server meanwhile."""
    q = sql.SQL("SELECT to_jsonb(t) FROM public.{} t WHERE id = %s").format(sql.Identifier(c.table))
    src.execute(q, (c.row_id,))
    ours = src.fetchone()
    theirs = {"deleted": True, "parent_deleted": {"table": parent[0], "row_id": str(parent[1])}}
    return rows.Conflict(c.table, c.row_id, ours[0] if ours else {"deleted": True}, theirs, None)


def _by_table(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    out: dict[str, list[Change]] = {}
    for c in changes:
        out.setdefault(c.table, []).append(c)
    order = apply_order()
    return sorted(out.items(), key=lambda kv: order.get(kv[0], len(order)))


def _has_partition(cur: psycopg.Cursor, import_id: uuid.UUID) -> bool:
    """The import's records are on that side (its partition exists and is attached)."""
    return records.attached(cur, import_id)
