"""The column profiler on files with known answers, imported through the real import.

Each file is written here with the answer planted: a column of IPs, UUIDs, mixed date spellings, a
numeric column with two outliers, a key column with one repeated value, blanks and "no value"
words; the profile must find exactly those. Record indexes are CSV lines (the header is line 1).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from core.bootstrap import Core
from core.errors import UserInputError
from core.imports import import_file
from core.profiling import ImportProfile
from core.queries.profiles import column_profiles, locate_import
from core.uow import Tenant

ROOT = Path(__file__).resolve().parents[2]
ROWS = 40
LINE = 2  # CSV line of the first record


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def servers() -> tuple[list[str], list[list[str]]]:
    """40 servers; the planted answers are named where they are made."""
    header = ["Asset ID", "IP Address", "BIOS UUID", "Installed", "Memory MB", "Owner", "Site", "Patched"]
    dates = ["2023-03-14", "14/03/2023", "5 Jan 2024", "2024-01-05T10:30:00Z"]  # one dmy proof: 14/03
    owners = ["alice", "bob", "carol"]
    rows = []
    for i in range(ROWS):
        rows.append(
            [
                "A0007" if i == 25 else f"A{i + 1:04d}",  # A0007 twice: records at lines 8 and 27
                "fd00::1" if i == 3 else ("fe80::1%eth0" if i == 4 else f"10.0.{i // 10}.{i % 10 + 1}"),
                str(uuid.UUID(int=0xC56A4180_65AA_42EC_A945_5FD21DEC0000 + i)),
                dates[i % 4],
                "1000000" if i == 11 else ("2" if i == 30 else str(8000 + 5 * (i // 2))),  # lines 13, 32
                # 4 empty, 2 whitespace-only, 2 N/A, 2 NULL: 6 blanks, 4 nulls, 30 filled
                ["", "   ", "N/A", "NULL"][i % 4] if i < 8 or i in (8, 12) else owners[i % 3],
                ["FRA", "AMS"][i % 2],
                ["Yes", "No"][i % 3 == 0],
            ]
        )
    return header, rows


@pytest.fixture
def servers_profile(core: Core, tenant: Tenant, tmp_path: Path) -> ImportProfile:
    header, rows = servers()
    result = import_file(core.uows, tenant, write_csv(tmp_path / "servers.csv", header, rows))
    return column_profiles(core.uows, tenant, result.import_id, sample=None)


def test_ip_uuid_and_yes_no_columns_get_their_types_and_pattern_classes(
    servers_profile: ImportProfile,
) -> None:
    ip = servers_profile.column("IP Address")
    assert ip is not None
    assert (ip.inferred_type, ip.type_share, ip.kinds) == ("ip", 1.0, {"ipv4": 38, "ipv6": 2})
    assert [(p.pattern, p.count) for p in ip.patterns] == [("IPv4", 38), ("IPv6", 2)]
    assert (ip.distinct, ip.cardinality) == (40, "unique")

    bios = servers_profile.column("BIOS UUID")
    assert bios is not None
    assert (bios.inferred_type, bios.patterns[0].pattern, bios.patterns[0].count) == ("uuid", "UUID", 40)
    assert (bios.lengths.min, bios.lengths.max) == (36, 36)  # type: ignore[union-attr]

    patched = servers_profile.column("Patched")
    assert patched is not None
    assert (patched.inferred_type, patched.cardinality, patched.distinct) == ("boolean", "low", 2)
    assert [(v.value, v.count) for v in patched.top_values] == [("Yes", 26), ("No", 14)]
    site = servers_profile.column("Site")
    assert site is not None and site.inferred_type == "string" and site.patterns[0].pattern == "AAA"


def test_mixed_date_spellings_read_as_one_date_column_with_its_range(servers_profile: ImportProfile) -> None:
    installed = servers_profile.column("Installed")
    assert installed is not None and installed.dates is not None
    assert (installed.inferred_type, installed.type_share) == ("datetime", 1.0)
    assert installed.kinds == {"date": 30, "datetime": 10}
    d = installed.dates
    assert (d.count, d.with_time, d.date_order, d.unreadable) == (40, 10, "dmy", 0)
    assert (d.min, d.max) == ("2023-03-14T00:00:00", "2024-01-05T10:30:00")
    shapes = {p.pattern: p.count for p in installed.patterns}
    assert shapes == {
        "date 9999-99-99": 10,
        "date 99/99/9999": 10,
        "date 9 AAA 9999": 10,
        "date 9999-99-99A99:99:99A": 10,
    }


def test_planted_outliers_are_found_by_iqr_and_the_extreme_one_by_z_score(
    servers_profile: ImportProfile,
) -> None:
    memory = servers_profile.column("Memory MB")
    assert memory is not None and memory.numeric is not None
    n = memory.numeric
    assert memory.inferred_type == "integer" and n.count == ROWS
    assert (n.min, n.max) == (2.0, 1_000_000.0)
    assert n.q1 < n.median < n.q3 and n.std is not None and n.std > 100_000
    iqr = n.iqr_outliers
    assert iqr.count == 2 and iqr.low is not None and iqr.high is not None and iqr.low < 8000 < iqr.high
    assert [(o.record_index, o.value) for o in iqr.examples] == [(LINE + 11, "1000000"), (LINE + 30, "2")]
    z = n.zscore_outliers
    assert z.count == 1 and [(o.record_index, o.number) for o in z.examples] == [(LINE + 11, 1_000_000.0)]


def test_blanks_and_no_value_words_are_counted_apart(servers_profile: ImportProfile) -> None:
    owner = servers_profile.column("Owner")
    assert owner is not None
    assert (owner.records, owner.filled, owner.blanks, owner.nulls) == (40, 30, 6, 4)
    assert (owner.blank_share, owner.null_share) == (0.15, 0.1)
    assert {v.value for v in owner.top_values} == {"alice", "bob", "carol"}
    assert owner.cardinality == "low"


def test_a_key_column_with_one_repeated_value_names_it_and_its_records(
    servers_profile: ImportProfile,
) -> None:
    checks = servers_profile.checks
    asset = next(d for d in checks.duplicate_keys if d.column == "Asset ID")
    assert (asset.distinct, asset.filled, asset.duplicate_values, asset.duplicate_records) == (39, 40, 1, 2)
    assert [(g.value, g.record_indexes) for g in asset.examples] == [("A0007", [LINE + 6, LINE + 25])]
    single = [k.columns for k in checks.candidate_keys if len(k.columns) == 1]
    assert single == [["IP Address"], ["BIOS UUID"]]  # Asset ID is no key: it repeats
    assert ["Asset ID", "Installed"] in [k.columns for k in checks.candidate_keys]  # its repeat differs there
    assert checks.duplicate_rows == 0


def test_pairs_of_columns_as_keys_and_duplicate_records(core: Core, tenant: Tenant, tmp_path: Path) -> None:
    header = ["Cluster", "VM", "Power"]
    rows = [[f"cl{i % 3}", f"vm{i // 3}", ["on", "off"][i % 2]] for i in range(12)]
    rows += [rows[4], rows[4]]  # lines 6, 14 and 15 hold the same record
    imp = import_file(core.uows, tenant, write_csv(tmp_path / "vms.csv", header, rows))
    profile = column_profiles(core.uows, tenant, imp.import_id)
    assert profile.checks.candidate_keys == []  # the repeated record breaks every key
    assert profile.checks.duplicate_rows == 2
    assert [g.record_indexes for g in profile.checks.duplicate_row_groups] == [[6, 14, 15]]

    unique = import_file(core.uows, tenant, write_csv(tmp_path / "vms-unique.csv", header, rows[:12]))
    checks = column_profiles(core.uows, tenant, unique.import_id).checks
    assert [k.columns for k in checks.candidate_keys] == [["Cluster", "VM"]]
    assert checks.duplicate_rows == 0


def test_ambiguous_dates_and_decimal_commas_are_read_as_cleansing_reads_them(
    core: Core, tenant: Tenant, tmp_path: Path
) -> None:
    rows = [["03/04/2021", "1,5"], ["04/05/2021", "2,25"], ["2021-06-01", "1.024,5"], ["x", "3"]]
    imp = import_file(core.uows, tenant, write_csv(tmp_path / "eu.csv", ["Seen", "Load"], rows * 5))
    profile = column_profiles(core.uows, tenant, imp.import_id)
    seen, load = profile.column("Seen"), profile.column("Load")
    assert seen is not None and load is not None
    assert (seen.inferred_type, seen.type_share, seen.nonconforming) == ("string", 1.0, 0)
    assert seen.kinds == {"date": 15, "string": 5}  # 75 %: below the 90 % a type needs
    assert load.inferred_type == "float" and load.numeric is not None
    assert load.numeric.decimal_mark == "," and (load.numeric.min, load.numeric.max) == (1.5, 1024.5)

    dated = import_file(
        core.uows, tenant, write_csv(tmp_path / "us.csv", ["Seen"], [[r[0]] for r in rows[:3]])
    )
    dates = column_profiles(core.uows, tenant, dated.import_id).columns[0].dates
    assert dates is not None  # no day above 12: 03/04 and 04/05 could be either order
    assert (dates.date_order, dates.count, dates.unreadable) == (None, 1, 2)
    assert [e.record_index for e in dates.unreadable_examples] == [2, 3]


def test_the_sample_bound_is_stated_and_columns_can_be_chosen(
    core: Core, tenant: Tenant, tmp_path: Path
) -> None:
    header, rows = servers()
    imp = import_file(core.uows, tenant, write_csv(tmp_path / "servers.csv", header, rows))
    first = column_profiles(core.uows, tenant, imp.import_id, sample=10, columns=["Memory MB"])
    assert (first.sampled, first.records, first.of, first.sample_limit) == (True, 10, ROWS, 10)
    assert [c.name for c in first.columns] == ["Memory MB"] and first.columns[0].records == 10
    whole = column_profiles(core.uows, tenant, imp.import_id, sample=1000)
    assert (whole.sampled, whole.records, whole.of) == (False, ROWS, ROWS)
    assert [c.name for c in whole.columns] == header

    with pytest.raises(UserInputError) as refused:
        column_profiles(core.uows, tenant, imp.import_id, columns=["Memory"])
    assert refused.value.column == "Memory" and "Memory MB" in (refused.value.hint or "")
    assert locate_import(core.uows, imp.import_id) == tenant
    with pytest.raises(UserInputError):
        locate_import(core.uows, uuid.uuid4())


def test_to_dict_is_strict_json_and_the_cli_prints_it(core: Core, tenant: Tenant, tmp_path: Path) -> None:
    header, rows = servers()
    imp = import_file(core.uows, tenant, write_csv(tmp_path / "servers.csv", header, rows))
    data = column_profiles(core.uows, tenant, imp.import_id).to_dict()
    json.dumps(data, allow_nan=False)  # no NaN, no numpy scalars, no UUID objects

    env = {k: v for k, v in os.environ.items() if not k.startswith("MD_")}
    env["MD_USER"] = "Test Consultant <tester@example.com>"
    command = [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, "profile"]
    ok = subprocess.run(
        [*command, str(imp.import_id), "--column", "Memory MB", "--all-rows", "--json"],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    printed = json.loads(ok.stdout)
    assert (printed["sampled"], printed["records"], printed["of"]) == (False, ROWS, ROWS)
    assert printed["columns"][0]["numeric"]["iqr_outliers"]["count"] == 2
    text = subprocess.run(
        [*command, str(imp.import_id)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert text.returncode == 0, text.stderr
    assert "repeated values in Asset ID: 1 (e.g. 'A0007' in rows [8, 27])" in text.stdout
    bad = subprocess.run(
        [*command, str(imp.import_id), "--column", "Nope", "--json"],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and json.loads(bad.stderr)["column"] == "Nope"


def test_importing_the_profiler_does_not_load_pandas() -> None:
    code = "import sys, core.profiling, core.queries.profiles; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
