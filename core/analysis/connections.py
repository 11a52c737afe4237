"""The asset_inventory phase of a connection import: raw records -> `asset_dependencies`.

Why set-based SQL: connection exports run to millions of rows (an Azure Migrate export has a row
per connection and time slot), so the records are read, parsed, resolved and aggregated by
PostgreSQL in a few statements; only the distinct time values are read in Python (by
`core.values`, as cleansing reads dates).

What a row becomes (fields of resources/connection_schema.yaml, read from the raw cells of the
columns mapped onto them):
- each end is a host name (`*_host`, else `reporting_host` for the source) and/or an IP
  (`*_ip`, or the address part of a netstat/ss `*_address` such as `10.0.0.5:49712`,
  `[2001:db8::5]:443`); an end resolves to one of the engagement's assets by host name (case
  folded; exact name, FQDN or asset name first, then the short name), then by IP; an end that does
  not resolve is kept as its text (`*_endpoint`, asset NULL) and counted;
- the port is `target_port` ("443", "443/tcp", "53/udp": the protocol is taken from it), else the
  port of `target_address`; a netstat line whose local port is the lower one and a service port
  (below 1024, or the remote one ephemeral: 49152 and up) is an inbound connection, turned around;
- listening sockets and wildcard ends (`*:*`, `0.0.0.0`, `::`) are no connection; a connection of
  an end to itself is skipped; both are counted;
- observations of one source, target, port and protocol are one row (`connection_key`): counts
  (`observation_count`, else 1 per row) add up and first/last seen widen, also across imports —
  a newer export of the same servers merges into the same rows (INSERT … ON CONFLICT DO UPDATE).
- external ends are re-resolved when the assets they name appear (`relink_external_endpoints`):
  at the start of every connection import's phase (so a re-import merges into the linked rows
  instead of storing them twice) and of every dependency analysis (so the flow of an inventory
  imported after the connections links them without a re-import).
The import keeps the summary in `import_metadata["connections"]`; running the phase again for the
same import (a retry) does not add its observations twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from core.db.models import DataImport
from core.db.stats import refresh_statistics
from core.errors import UserInputError
from core.mapping_review.queries import effective_mappings
from core.progress import CancelToken, ProgressFn, ProgressReporter
from core.uow import UnitOfWork
from core.values.rules import parse_datetime

PHASE = "asset_inventory"
CANCELLED = "cancelled by the user; nothing of this run was kept"
FIELDS = (
    "source_host",
    "source_ip",
    "source_address",
    "source_process",
    "source_application",
    "source_port",
    "reporting_host",
    "target_host",
    "target_ip",
    "target_address",
    "target_process",
    "target_application",
    "target_port",
    "protocol",
    "observation_count",
    "time_slot",
    "first_observed",
    "last_observed",
    "connection_state",
)
_TIME_FIELDS = ("time_slot", "first_observed", "last_observed")
_IP = r"^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*)$"
_WILDCARD = "('', '*', '0.0.0.0', '::', '0', '[::]')"
_LISTEN = "('listen', 'listening', 'unconn', 'bound')"


def _positions(uow: UnitOfWork, import_id: uuid.UUID) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in effective_mappings(uow, import_id):
        if m.target_field in FIELDS and m.target_field not in out:
            out[m.target_field] = int(m.position)
    return out


def _cell(positions: dict[str, int], name: str) -> str:
    pos = positions.get(name)
    # positions are integers read from the mapping rows, never user text
    return f"NULLIF(btrim(r.cells[{pos + 1}]), '')" if pos is not None else "NULL::text"


def _split(col: str, part: str) -> str:
    """Host (`part` 'h') or port ('p') of a netstat/ss address: ip:port, [v6]:port, host:port, bare."""
    if part == "h":
        return (
            f"CASE WHEN {col} ~ '^\\[.*\\]:[0-9*]+$' THEN substring({col} from '^\\[(.*)\\]:')"
            f" WHEN {col} ~ '^[^:]+:[0-9*]+$' THEN split_part({col}, ':', 1)"
            f" WHEN {col} ~ ':[0-9]+$' AND {col} ~ '\\.' AND {col} !~ '^[0-9a-fA-F:]+$'"
            f" THEN regexp_replace({col}, ':[0-9]+$', '') ELSE {col} END"
        )
    return (
        f"CASE WHEN {col} ~ '^\\[.*\\]:[0-9]+$' OR {col} ~ '^[^:]+:[0-9]+$'"
        f" THEN substring({col} from ':([0-9]+)$')::int END"
    )


def _stage(uow: UnitOfWork, import_id: uuid.UUID, positions: dict[str, int]) -> None:
    """md_conn_raw: one row per record with the mapped cells, the address parts split."""
    c = {name: _cell(positions, name) for name in FIELDS}
    s = uow.session
    s.execute(text("DROP TABLE IF EXISTS md_conn_raw"))
    s.execute(
        text(
            "CREATE TEMP TABLE md_conn_raw ON COMMIT DROP AS SELECT"
            f" {c['source_host']} AS s_host, {c['source_ip']} AS s_ip, {c['source_address']} AS s_addr,"
            f" {c['reporting_host']} AS s_reporter, {c['source_process']} AS s_process,"
            f" {c['source_application']} AS s_app, {c['source_port']} AS s_port_text,"
            f" {c['target_host']} AS t_host, {c['target_ip']} AS t_ip, {c['target_address']} AS t_addr,"
            f" {c['target_process']} AS t_process, {c['target_application']} AS t_app,"
            f" {c['target_port']} AS t_port_text, lower({c['protocol']}) AS proto_text,"
            f" {c['observation_count']} AS count_text, {c['connection_state']} AS state,"
            f" {c['time_slot']} AS time_slot, {c['first_observed']} AS first_text,"
            f" {c['last_observed']} AS last_text"
            " FROM raw_import_records r WHERE r.data_import_id = :imp"
        ),
        {"imp": import_id},
    )


def _times(uow: UnitOfWork) -> None:
    """md_conn_times: every distinct time text of the export, read once by core.values."""
    s = uow.session
    values: set[str] = set()
    for col in ("time_slot", "first_text", "last_text"):
        values.update(
            v for (v,) in s.execute(text(f"SELECT DISTINCT {col} FROM md_conn_raw WHERE {col} IS NOT NULL"))
        )
    s.execute(text("DROP TABLE IF EXISTS md_conn_times"))
    s.execute(text("CREATE TEMP TABLE md_conn_times (raw text PRIMARY KEY, at timestamptz) ON COMMIT DROP"))
    rows = []
    for v in values:
        iso = parse_datetime(v)
        if iso is not None:
            rows.append({"raw": v, "at": iso})
    if rows:
        s.execute(text("INSERT INTO md_conn_times (raw, at) VALUES (:raw, CAST(:at AS timestamptz))"), rows)


def _names(uow: UnitOfWork) -> None:
    """md_conn_names / md_conn_ips: the engagement's assets by name (tier 1 exact, 2 short) and IP,
    keeping only names and addresses that point at one asset."""
    s = uow.session
    for t in ("md_conn_names", "md_conn_ips"):
        s.execute(text(f"DROP TABLE IF EXISTS {t}"))
    s.execute(
        text(
            "CREATE TEMP TABLE md_conn_names ON COMMIT DROP AS"
            " WITH n AS ("
            "  SELECT id, lower(btrim(x)) AS full_name FROM assets,"
            "   LATERAL unnest(ARRAY[hostname, fqdn, asset_name]) AS x"
            "  WHERE engagement_id = :eng AND NULLIF(btrim(x), '') IS NOT NULL),"
            " tiered AS (SELECT id, full_name AS name, 1 AS tier FROM n"
            "  UNION SELECT id, split_part(full_name, '.', 1), 2 FROM n WHERE full_name !~ :ip)"
            " SELECT name, tier, min(id::text)::uuid AS asset_id FROM tiered"
            " GROUP BY name, tier HAVING count(DISTINCT id) = 1"
        ),
        {"eng": uow.tenant.engagement_id if uow.tenant else None, "ip": _IP},
    )
    s.execute(text("CREATE UNIQUE INDEX ON md_conn_names (name, tier)"))
    s.execute(
        text(
            "CREATE TEMP TABLE md_conn_ips ON COMMIT DROP AS"
            " WITH n AS (SELECT id, lower(btrim(x)) AS ip FROM assets,"
            "  LATERAL regexp_split_to_table(concat_ws(',', ip_address, ip_addresses), '[,;\\s]+') AS x"
            "  WHERE engagement_id = :eng AND btrim(x) <> '')"
            " SELECT ip, min(id::text)::uuid AS asset_id FROM n GROUP BY ip HAVING count(DISTINCT id) = 1"
        ),
        {"eng": uow.tenant.engagement_id if uow.tenant else None},
    )
    s.execute(text("CREATE UNIQUE INDEX ON md_conn_ips (ip)"))


_PARSE = f"""
CREATE TEMP TABLE md_conn ON COMMIT DROP AS
WITH a AS (
  SELECT *,
    {_split("s_addr", "h")} AS s_addr_host, {_split("s_addr", "p")} AS s_addr_port,
    {_split("t_addr", "h")} AS t_addr_host, {_split("t_addr", "p")} AS t_addr_port,
    substring(t_port_text from '^\\s*([0-9]{{1,5}})')::int AS t_port_num,
    lower(substring(t_port_text from '/\\s*([A-Za-z]+)')) AS t_port_proto,
    substring(s_port_text from '^\\s*([0-9]{{1,5}})')::int AS s_port_num
  FROM md_conn_raw
), e AS (
  SELECT *,
    lower(split_part(COALESCE(s_host, s_reporter, ''), '%', 1)) AS s_h0,
    lower(split_part(COALESCE(s_ip, s_addr_host, ''), '%', 1)) AS s_i0,
    lower(split_part(COALESCE(t_host, ''), '%', 1)) AS t_h0,
    lower(split_part(COALESCE(t_ip, t_addr_host, ''), '%', 1)) AS t_i0,
    COALESCE(s_port_num, s_addr_port) AS s_port0,
    COALESCE(t_port_num, t_addr_port) AS t_port0
  FROM a
), k AS (
  SELECT *, s_h0 ~ :ip AS s_h_ip, s_i0 ~ :ip AS s_i_ip, t_h0 ~ :ip AS t_h_ip, t_i0 ~ :ip AS t_i_ip FROM e
), f AS (
  -- a host field holding an IP is an IP; an IP field holding a name is a name
  SELECT *,
    CASE WHEN s_h0 <> '' AND NOT s_h_ip THEN s_h0 WHEN s_i0 <> '' AND NOT s_i_ip THEN s_i0 END AS s_name,
    CASE WHEN s_i_ip THEN s_i0 WHEN s_h_ip THEN s_h0 END AS s_addr_ip,
    CASE WHEN t_h0 <> '' AND NOT t_h_ip THEN t_h0 WHEN t_i0 <> '' AND NOT t_i_ip THEN t_i0 END AS t_name,
    CASE WHEN t_i_ip THEN t_i0 WHEN t_h_ip THEN t_h0 END AS t_addr_ip,
    -- netstat: the lower port of the two is the service; then the remote end connected to us
    (t_port_text IS NULL AND s_addr IS NOT NULL AND t_addr IS NOT NULL AND s_addr_port IS NOT NULL
     AND t_addr_port IS NOT NULL AND s_addr_port < t_addr_port
     AND (s_addr_port < 1024 OR t_addr_port >= 49152)) AS inbound
  FROM k
)
SELECT
  CASE WHEN inbound THEN t_name ELSE s_name END AS src_name,
  CASE WHEN inbound THEN t_addr_ip ELSE s_addr_ip END AS src_ip,
  CASE WHEN inbound THEN s_name ELSE t_name END AS dst_name,
  CASE WHEN inbound THEN s_addr_ip ELSE t_addr_ip END AS dst_ip,
  CASE WHEN inbound THEN t_process ELSE s_process END AS src_process,
  CASE WHEN inbound THEN s_process ELSE t_process END AS dst_process,
  CASE WHEN inbound THEN t_app ELSE s_app END AS src_app,
  CASE WHEN inbound THEN s_app ELSE t_app END AS dst_app,
  CASE WHEN inbound THEN s_port0 ELSE t_port0 END AS port,
  NULLIF(regexp_replace(COALESCE(t_port_proto, proto_text, ''), '[46v]+$', ''), '') AS protocol,
  GREATEST(COALESCE(substring(count_text from '^\\s*([0-9]{{1,18}})')::bigint, 1), 0) AS n,
  LEAST(ts.at, tf.at) AS seen_first, GREATEST(ts.at, tl.at) AS seen_last,
  lower(COALESCE(state, '')) AS state
FROM f
LEFT JOIN md_conn_times ts ON ts.raw = f.time_slot
LEFT JOIN md_conn_times tf ON tf.raw = f.first_text
LEFT JOIN md_conn_times tl ON tl.raw = f.last_text
"""

_RESOLVE = f"""
CREATE TEMP TABLE md_conn_resolved ON COMMIT DROP AS
WITH c AS (
  SELECT c.*,
    COALESCE(n1.asset_id, n2.asset_id, i1.asset_id) AS src_asset,
    COALESCE(m1.asset_id, m2.asset_id, j1.asset_id) AS dst_asset,
    COALESCE(c.src_name, c.src_ip) AS src_text,
    COALESCE(c.dst_name, c.dst_ip) AS dst_text
  FROM md_conn c
  LEFT JOIN md_conn_names n1 ON n1.tier = 1 AND n1.name = c.src_name
  LEFT JOIN md_conn_names n2 ON n2.tier = 2 AND n2.name = split_part(c.src_name, '.', 1)
  LEFT JOIN md_conn_ips i1 ON i1.ip = c.src_ip
  LEFT JOIN md_conn_names m1 ON m1.tier = 1 AND m1.name = c.dst_name
  LEFT JOIN md_conn_names m2 ON m2.tier = 2 AND m2.name = split_part(c.dst_name, '.', 1)
  LEFT JOIN md_conn_ips j1 ON j1.ip = c.dst_ip
)
SELECT *,
  CASE
    WHEN state IN {_LISTEN} THEN 'listening'
    WHEN src_text IS NULL OR dst_text IS NULL OR src_text IN {_WILDCARD} OR dst_text IN {_WILDCARD}
      THEN 'no_end'
    WHEN (src_asset IS NOT NULL AND src_asset = dst_asset)
      OR (src_asset IS NULL AND dst_asset IS NULL AND src_text = dst_text) THEN 'self'
    ELSE 'ok' END AS verdict,
  md5(COALESCE('a:' || src_asset::text, 'e:' || src_text) || '|' || COALESCE('a:' || dst_asset::text,
      'e:' || dst_text) || '|' || COALESCE(port::text, '') || '|' || COALESCE(protocol, '')) AS key
FROM c
"""

_MERGE = """
INSERT INTO asset_dependencies AS d (
  id, client_account_id, engagement_id, source_asset_id, target_asset_id, source_endpoint,
  target_endpoint, dependency_type, port, protocol, direction, confidence, source_process,
  target_process, source_application, target_application, observation_count, first_seen,
  last_seen, data_import_id, connection_key, created_at, updated_at)
SELECT gen_random_uuid(), :client, :eng, min(src_asset::text)::uuid, min(dst_asset::text)::uuid,
  min(src_text), min(dst_text), 'network_connection', min(port), min(protocol), 'outbound',
  CASE WHEN min(src_asset::text) IS NOT NULL AND min(dst_asset::text) IS NOT NULL THEN 1.0 ELSE 0.5 END,
  max(src_process), max(dst_process), max(src_app), max(dst_app), LEAST(sum(n), 2147483647)::int,
  min(seen_first), max(seen_last), :imp, key, now(), now()
FROM md_conn_resolved WHERE verdict = 'ok' GROUP BY key
ON CONFLICT (engagement_id, connection_key) DO UPDATE SET
  observation_count = LEAST(d.observation_count::bigint + EXCLUDED.observation_count, 2147483647)::int,
  first_seen = LEAST(d.first_seen, EXCLUDED.first_seen),
  last_seen = GREATEST(d.last_seen, EXCLUDED.last_seen),
  source_process = COALESCE(d.source_process, EXCLUDED.source_process),
  target_process = COALESCE(d.target_process, EXCLUDED.target_process),
  source_application = COALESCE(d.source_application, EXCLUDED.source_application),
  target_application = COALESCE(d.target_application, EXCLUDED.target_application),
  updated_at = now()
RETURNING (xmax = 0) AS inserted
"""


# Re-resolving stored external ends (`relink_external_endpoints`). The stored text of an external
# end is exactly what the import keyed it by ('e:' || text), so it resolves the way `_RESOLVE`
# resolves a name (exact, then short name) or an IP; the key is recomputed the same way.
_RELINK = """
CREATE TEMP TABLE md_conn_relink ON COMMIT DROP AS
WITH x AS (
  SELECT d.id, d.source_endpoint, d.target_endpoint, d.port, d.protocol,
    COALESCE(d.source_asset_id, CASE WHEN lower(d.source_endpoint) ~ :ip THEN i1.asset_id
      ELSE COALESCE(n1.asset_id, n2.asset_id) END) AS src_asset,
    COALESCE(d.target_asset_id, CASE WHEN lower(d.target_endpoint) ~ :ip THEN j1.asset_id
      ELSE COALESCE(m1.asset_id, m2.asset_id) END) AS dst_asset,
    d.source_asset_id IS NULL AS src_was_external, d.target_asset_id IS NULL AS dst_was_external
  FROM asset_dependencies d
  LEFT JOIN md_conn_names n1 ON d.source_asset_id IS NULL AND n1.tier = 1
    AND n1.name = lower(d.source_endpoint)
  LEFT JOIN md_conn_names n2 ON d.source_asset_id IS NULL AND n2.tier = 2
    AND n2.name = split_part(lower(d.source_endpoint), '.', 1)
  LEFT JOIN md_conn_ips i1 ON d.source_asset_id IS NULL AND i1.ip = lower(d.source_endpoint)
  LEFT JOIN md_conn_names m1 ON d.target_asset_id IS NULL AND m1.tier = 1
    AND m1.name = lower(d.target_endpoint)
  LEFT JOIN md_conn_names m2 ON d.target_asset_id IS NULL AND m2.tier = 2
    AND m2.name = split_part(lower(d.target_endpoint), '.', 1)
  LEFT JOIN md_conn_ips j1 ON d.target_asset_id IS NULL AND j1.ip = lower(d.target_endpoint)
  WHERE d.engagement_id = :eng AND d.connection_key IS NOT NULL
    AND (d.source_asset_id IS NULL OR d.target_asset_id IS NULL)
)
SELECT id, src_asset, dst_asset, COALESCE(src_asset = dst_asset, false) AS self,
  md5(COALESCE('a:' || src_asset::text, 'e:' || source_endpoint) || '|' || COALESCE('a:' || dst_asset::text,
      'e:' || target_endpoint) || '|' || COALESCE(port::text, '') || '|' || COALESCE(protocol, '')) AS key
FROM x
WHERE (src_was_external AND src_asset IS NOT NULL) OR (dst_was_external AND dst_asset IS NOT NULL)
"""

# Every row that ends up with one key: the relinked rows and a row that already had the key. The
# first recorded (created first) survives, so its `data_import_id` (the import that first recorded
# the connection) is kept.
_REGROUP = """
CREATE TEMP TABLE md_conn_regroup ON COMMIT DROP AS
SELECT d.id, COALESCE(r.key, d.connection_key) AS key,
  COALESCE(r.src_asset, d.source_asset_id) AS src_asset,
  COALESCE(r.dst_asset, d.target_asset_id) AS dst_asset,
  row_number() OVER (PARTITION BY COALESCE(r.key, d.connection_key) ORDER BY d.created_at, d.id) AS rank
FROM asset_dependencies d
LEFT JOIN md_conn_relink r ON r.id = d.id AND NOT r.self
WHERE d.engagement_id = :eng
  AND (r.id IS NOT NULL OR d.connection_key IN (SELECT key FROM md_conn_relink WHERE NOT self))
"""

_REMERGE = """
CREATE TEMP TABLE md_conn_remerged ON COMMIT DROP AS
SELECT g.key, min(g.id::text) FILTER (WHERE g.rank = 1)::uuid AS keep_id,
  min(g.src_asset::text)::uuid AS src_asset, min(g.dst_asset::text)::uuid AS dst_asset,
  LEAST(sum(d.observation_count::bigint), 2147483647)::int AS n,
  min(d.first_seen) AS seen_first, max(d.last_seen) AS seen_last,
  (array_agg(d.source_process ORDER BY g.rank) FILTER (WHERE d.source_process IS NOT NULL))[1] AS s_process,
  (array_agg(d.target_process ORDER BY g.rank) FILTER (WHERE d.target_process IS NOT NULL))[1] AS t_process,
  (array_agg(d.source_application ORDER BY g.rank)
    FILTER (WHERE d.source_application IS NOT NULL))[1] AS s_app,
  (array_agg(d.target_application ORDER BY g.rank)
    FILTER (WHERE d.target_application IS NOT NULL))[1] AS t_app
FROM md_conn_regroup g JOIN asset_dependencies d ON d.id = g.id
GROUP BY g.key
"""

_REKEY = """
UPDATE asset_dependencies d SET
  source_asset_id = m.src_asset, target_asset_id = m.dst_asset, connection_key = m.key,
  observation_count = m.n, first_seen = m.seen_first, last_seen = m.seen_last,
  source_process = m.s_process, target_process = m.t_process,
  source_application = m.s_app, target_application = m.t_app,
  confidence = CASE WHEN m.src_asset IS NOT NULL AND m.dst_asset IS NOT NULL THEN 1.0 ELSE 0.5 END,
  updated_at = now()
FROM md_conn_remerged m WHERE d.id = m.keep_id
"""


def relink_external_endpoints(uow: UnitOfWork, *, names_ready: bool = False) -> dict[str, int]:
    """Resolve the engagement's stored external ends against the current assets; merge what meets.

    Why: connections are often imported before the inventory that names their servers, so their
    ends are kept as text; once the assets exist, those rows must become the resolved connection
    (and merge with a resolved row of the same key that a later export stored), or a re-import would
    store the same connection twice and the external count would stay wrong. Rows that become one
    connection merge as an import merges them: counts add up, first/last seen widen, the first
    recorded row (and its import) is kept. A row whose two ends turn out to be one asset is a
    self-connection, which an import skips: it is removed. Set-based, in the caller's transaction;
    `names_ready` when `_names` was just built in this transaction. Returns what it changed.
    """
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("re-resolving endpoints needs a tenant unit of work")
    s = uow.session
    params = {"eng": tenant.engagement_id}
    none = {"connections": 0, "merged": 0, "self_connections_removed": 0}
    external = s.scalar(
        text(
            "SELECT EXISTS (SELECT 1 FROM asset_dependencies WHERE engagement_id = :eng"
            " AND connection_key IS NOT NULL AND (source_asset_id IS NULL OR target_asset_id IS NULL))"
        ),
        params,
    )
    if not external:
        return none
    if not names_ready:
        _names(uow)
    for t in ("md_conn_relink", "md_conn_regroup", "md_conn_remerged"):
        s.execute(text(f"DROP TABLE IF EXISTS {t}"))
    s.execute(text(_RELINK), {**params, "ip": _IP})
    relinked, self_rows = s.execute(
        text("SELECT count(*), count(*) FILTER (WHERE self) FROM md_conn_relink")
    ).one()
    if not relinked:
        return none
    s.execute(text(_REGROUP), params)
    s.execute(text(_REMERGE))
    # the merged-away rows go first, so the kept rows can take their key
    merged = s.execute(
        text(
            "DELETE FROM asset_dependencies WHERE id IN (SELECT id FROM md_conn_regroup WHERE rank > 1)"
            " OR id IN (SELECT id FROM md_conn_relink WHERE self)"
        )
    ).rowcount
    s.execute(text(_REKEY))
    refresh_statistics(s, "asset_dependencies")
    return {
        "connections": int(relinked),
        "merged": int(merged) - int(self_rows),
        "self_connections_removed": int(self_rows),
    }


def store_connections(
    uow: UnitOfWork,
    import_id: uuid.UUID,
    *,
    flow_id: uuid.UUID | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Store the connection import's records as `asset_dependencies` (caller's transaction); summary."""
    tenant = uow.tenant
    if tenant is None:
        raise ValueError("storing connections needs a tenant unit of work")
    s = uow.session
    imp = s.get(DataImport, import_id)
    if imp is None:
        raise UserInputError(f"no data import {import_id} in this engagement")
    meta = dict(imp.import_metadata or {})
    previous = meta.get("connections")
    if isinstance(previous, dict) and previous.get("stored"):
        return {
            **previous,
            "notes": [*previous.get("notes", []), "already stored by an earlier run: not added again"],
        }
    reporter = ProgressReporter(progress, cancel, unit="records", cancelled_message=CANCELLED)
    positions = _positions(uow, import_id)
    ends = {"source": ("source_host", "source_ip", "source_address", "reporting_host"),
            "destination": ("target_host", "target_ip", "target_address")}  # fmt: skip
    missing = [side for side, names in ends.items() if not any(n in positions for n in names)]
    if missing:
        raise UserInputError(
            f"no column of the connection export is mapped to its {' or '.join(missing)} end",
            file=imp.filename,
            hint="map a column onto source_host/source_ip/source_address and one onto "
            "target_host/target_ip/target_address in the mapping review (`migration-discovery map reopen`)",
        )
    total = imp.total_records or 0
    reporter.report(PHASE, 0, total, text="reading connections", force=True)
    _stage(uow, import_id, positions)
    _times(uow)
    _names(uow)
    reporter.report(PHASE, 0, total, text="resolving endpoints", force=True)
    relinked = relink_external_endpoints(uow, names_ready=True)
    for t in ("md_conn", "md_conn_resolved"):
        s.execute(text(f"DROP TABLE IF EXISTS {t}"))
    s.execute(text(_PARSE), {"ip": _IP})
    s.execute(text(_RESOLVE))
    counts = s.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE verdict = 'self'),"
            " count(*) FILTER (WHERE verdict = 'listening'), count(*) FILTER (WHERE verdict = 'no_end'),"
            " count(*) FILTER (WHERE verdict = 'ok' AND port IS NULL),"
            " count(DISTINCT key) FILTER (WHERE verdict = 'ok'),"
            " count(DISTINCT key) FILTER (WHERE verdict = 'ok' AND (src_asset IS NULL OR dst_asset IS NULL)),"
            " (SELECT count(*) FROM (SELECT src_text FROM md_conn_resolved WHERE verdict = 'ok'"
            "   AND src_asset IS NULL UNION SELECT dst_text FROM md_conn_resolved WHERE verdict = 'ok'"
            "   AND dst_asset IS NULL) u),"
            " COALESCE(sum(n) FILTER (WHERE verdict = 'ok'), 0)"
            " FROM md_conn_resolved"
        )
    ).one()
    reporter.report(PHASE, total, total, text="storing connections", force=True)
    inserted = [
        row[0]
        for row in s.execute(
            text(_MERGE), {"client": tenant.client_account_id, "eng": tenant.engagement_id, "imp": import_id}
        )
    ]
    refresh_statistics(s, "asset_dependencies")  # the analysis reads them next, in this transaction
    records, self_conn, listening, no_end, no_port, distinct, unresolved_conn, unresolved_ends, obs = counts
    summary: dict[str, Any] = {
        "kind": "connections",
        "stored": True,
        "records": int(records),
        "connections": int(distinct),
        "new_connections": sum(1 for i in inserted if i),
        "merged_connections": sum(1 for i in inserted if not i),
        "observations": int(obs),
        "unresolved_endpoints": int(unresolved_ends),
        "connections_with_unresolved_end": int(unresolved_conn),
        "self_connections_skipped": int(self_conn),
        "listening_sockets_skipped": int(listening),
        "records_without_end": int(no_end),
        "connections_without_port": int(no_port),
        "relinked": relinked,
        "notes": [],
    }
    if records and not distinct:
        summary["notes"].append("no record of the export named two ends of a connection")
    elif unresolved_ends:
        summary["notes"].append(
            f"{unresolved_ends} endpoint(s) match no asset of the engagement by host name or IP; they "
            "are kept as external endpoints; they are linked to their assets once an inventory that has "
            "them is imported (its dependency analysis, or the next connection import, re-resolves them)"
        )
    imp.import_metadata = {**meta, "connections": summary}
    s.flush()
    reporter.report(PHASE, total, total, text="done", force=True)
    return summary
