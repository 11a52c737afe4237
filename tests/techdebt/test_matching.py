"""The lifecycle matcher on strings as exports write them, for one fixed as-of date.

Why a table: every row is a spelling seen in VMware guest names, /etc/*-release banners,
@@VERSION, db2level, CMDB short forms or a version column. Expected product, version and status
are checked against the vendors' dates in resources/lifecycle.yaml on 2026-12-02; the unknowns are
strings that must never become a guess (a family without version, a list of releases, "or later").
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.techdebt import Finding, assess, finding_for, identify

AS_OF = dt.date(2026, 12, 2)
D = dt.date.fromisoformat
WS, WIN, RHEL = "Microsoft Windows Server", "Microsoft Windows", "Red Hat Enterprise Linux"
SLES, MSSQL, ORA = "SUSE Linux Enterprise Server", "Microsoft SQL Server", "Oracle Database"

# (component, text, version field, product, version, status, end of support)
CASES = [
    # Windows Server: names, short forms, builds
    ("os", "Microsoft Windows Server 2008 R2 (64-bit)", "", WS, "2008 R2", "eol", D("2020-01-14")),
    ("os", "Win2019", "", WS, "2019", "supported", D("2029-01-09")),
    ("os", "Windows Server 2016 Datacenter", "", WS, "2016", "eol_12m", D("2027-01-12")),
    ("os", "Microsoft Windows Server 2019 (64-bit)", "", WS, "2019", "supported", D("2029-01-09")),
    (
        "os",
        "Microsoft Windows Server 2022 Datacenter Azure Edition",
        "",
        WS,
        "2022",
        "supported",
        D("2031-10-14"),
    ),
    ("os", "Windows Server 2025 Standard", "", WS, "2025", "supported", D("2034-11-14")),
    ("os", "Windows Server 2012 R2 Standard", "", WS, "2012 R2", "eol", D("2023-10-10")),
    ("os", "Windows 2012R2", "", WS, "2012 R2", "eol", D("2023-10-10")),
    ("os", "W2K8R2", "", WS, "2008 R2", "eol", D("2020-01-14")),
    ("os", "Win2k3", "", WS, "2003", "eol", D("2015-07-14")),
    ("os", "Microsoft(R) Windows(R) Server 2003, Enterprise Edition", "", WS, "2003", "eol", D("2015-07-14")),
    ("os", "Windows Server 2003 R2 Standard x64 Edition SP2", "", WS, "2003 R2 SP2", "eol", D("2015-07-14")),
    ("os", "Windows Server 2008 Standard SP2", "", WS, "2008 SP2", "eol", D("2020-01-14")),
    # SP1 is not in the table, but every 2008 entry has ended: eol without inventing a date
    ("os", "Windows Server 2008 Enterprise SP1", "", WS, "2008 SP1", "eol", None),
    ("os", "Microsoft Windows Server 2012 (64-bit)", "", WS, "2012", "eol", D("2023-10-10")),
    ("os", "WS2022", "", WS, "2022", "supported", D("2031-10-14")),
    ("os", "Windows Server Datacenter", "10.0.17763", WS, "2019", "supported", D("2029-01-09")),
    ("os", "Windows Server", "6.3.9600", WS, "2012 R2", "eol", D("2023-10-10")),
    ("os", "Windows", "10.0.20348", WS, "2022", "supported", D("2031-10-14")),  # a server-only build
    # Windows client: feature updates, servicing channels, LTSC names, builds
    ("os", "Microsoft Windows 10 (64-bit)", "", WIN, "10", "eol", D("2025-10-14")),
    ("os", "Windows 10 Pro", "10.0.19045", WIN, "10 22H2", "eol", D("2025-10-14")),
    ("os", "Windows 10 Enterprise LTSC 2019", "", WIN, "10 1809 LTSC", "supported", D("2029-01-09")),
    ("os", "Windows 10 Enterprise 2016 LTSB", "", WIN, "10 1607 LTSB", "eol", D("2026-10-13")),
    ("os", "Windows 11 Enterprise 23H2", "", WIN, "11 23H2", "eol", D("2026-11-10")),
    ("os", "Windows 11 Pro", "10.0.26100", WIN, "11 24H2", "eol", D("2026-10-13")),
    ("os", "Windows 11 IoT Enterprise LTSC 2024", "", WIN, "11 24H2 LTSC", "supported", D("2034-10-10")),
    ("os", "Windows 7 Professional SP1", "", WIN, "7 SP1", "eol", D("2020-01-14")),
    ("os", "Microsoft Windows XP Professional", "", WIN, "XP", "eol", D("2014-04-08")),
    ("os", "Win10", "", WIN, "10", "eol", D("2025-10-14")),
    # RHEL and its relatives
    (
        "os",
        "Red Hat Enterprise Linux Server release 6.10 (Santiago)",
        "",
        RHEL,
        "6.10",
        "eol",
        D("2020-11-30"),
    ),
    ("os", "RHEL", "7.9", RHEL, "7.9", "eol", D("2024-06-30")),
    ("os", "Red Hat Enterprise Linux 8 (64-bit)", "", RHEL, "8", "supported", D("2029-05-31")),
    ("os", "Red Hat Enterprise Linux 8 (64-bit)", "8.6", RHEL, "8.6", "supported", D("2029-05-31")),
    ("os", "Red Hat Enterprise Linux 9.4 (Plow)", "", RHEL, "9.4", "supported", D("2032-05-31")),
    (
        "os",
        "Red Hat Enterprise Linux release 10.0 (Coughlan)",
        "",
        RHEL,
        "10.0",
        "supported",
        D("2035-05-31"),
    ),
    ("os", "rhel8", "", RHEL, "8", "supported", D("2029-05-31")),
    ("os", "Red Hat Enterprise Linux Server", "3.10.0-1160.el7.x86_64", RHEL, "7", "eol", D("2024-06-30")),
    ("os", "Red Hat Enterprise Linux Server (Maipo)", "", RHEL, "7", "eol", D("2024-06-30")),
    ("os", "Redhat 5.11", "", RHEL, "5.11", "eol", D("2017-03-31")),
    ("os", "CentOS Linux release 7.9.2009 (Core)", "", "CentOS Linux", "7.9.2009", "eol", D("2024-06-30")),
    ("os", "CentOS 8 (64-bit)", "", "CentOS Linux", "8", "eol", D("2021-12-31")),
    ("os", "CentOS 6.10", "", "CentOS Linux", "6.10", "eol", D("2020-11-30")),
    ("os", "CentOS Stream 9", "", "CentOS Stream", "9", "eol_12m", D("2027-05-31")),
    ("os", "CentOS Stream release 8", "", "CentOS Stream", "8", "eol", D("2024-05-31")),
    ("os", "CentOS Stream 10", "", "CentOS Stream", "10", "supported", D("2030-05-31")),
    ("os", "Oracle Linux Server release 7.9", "", "Oracle Linux", "7.9", "eol", D("2024-12-31")),
    ("os", "Oracle Linux 8 (64-bit)", "", "Oracle Linux", "8", "supported", D("2029-07-31")),
    ("os", "OEL 6.10", "", "Oracle Linux", "6.10", "eol", D("2021-03-31")),
    ("os", "Rocky Linux 9.3 (Blue Onyx)", "", "Rocky Linux", "9.3", "supported", D("2032-05-31")),
    ("os", "AlmaLinux 8.9", "", "AlmaLinux OS", "8.9", "supported", D("2029-05-31")),
    # SUSE: service packs in every spelling
    ("os", "SUSE Linux Enterprise Server 15 SP4", "", SLES, "15 SP4", "eol", D("2023-12-31")),
    ("os", "SUSE Linux Enterprise 15 (64-bit)", "", SLES, "15", "supported", D("2031-07-31")),
    ("os", "SLES12SP5", "", SLES, "12 SP5", "eol", D("2024-10-31")),
    ("os", "SLES 12 SP3", "", SLES, "12 SP3", "eol", D("2019-06-30")),
    ("os", "SUSE Linux Enterprise Server 11 (x86_64)", "SP4", SLES, "11 SP4", "eol", D("2019-03-31")),
    ("os", "SLES", "15.5", SLES, "15 SP5", "eol", D("2024-12-31")),
    # Ubuntu and Debian
    ("os", "Ubuntu 22.04.3 LTS", "", "Ubuntu", "22.04.3", "eol_12m", D("2027-04-01")),
    ("os", "Ubuntu 20.04.6 LTS (Focal Fossa)", "", "Ubuntu", "20.04.6", "eol", D("2025-05-31")),
    ("os", "Ubuntu", "24.04", "Ubuntu", "24.04", "supported", D("2029-05-31")),
    ("os", "Ubuntu 18.04", "", "Ubuntu", "18.04", "eol", D("2023-05-31")),
    ("os", "Ubuntu 16.04.7 LTS", "", "Ubuntu", "16.04.7", "eol", D("2021-04-02")),
    ("os", "Ubuntu 14.04 LTS", "", "Ubuntu", "14.04", "eol", D("2019-04-02")),
    ("os", "Ubuntu jammy", "", "Ubuntu", "22.04", "eol_12m", D("2027-04-01")),
    ("os", "Debian GNU/Linux 10 (buster)", "", "Debian GNU/Linux", "10", "eol", D("2024-06-30")),
    ("os", "Debian GNU/Linux 12 (64-bit)", "", "Debian GNU/Linux", "12", "supported", D("2028-06-30")),
    ("os", "Debian", "11.9", "Debian GNU/Linux", "11.9", "eol", D("2026-08-31")),
    ("os", "Debian GNU/Linux 8 (jessie)", "", "Debian GNU/Linux", "8", "eol", D("2020-06-30")),
    ("os", "Debian GNU/Linux 13 (trixie)", "", "Debian GNU/Linux", "13", "supported", D("2030-06-30")),
    ("os", "Debian bookworm", "", "Debian GNU/Linux", "12", "supported", D("2028-06-30")),
    # AIX and Solaris
    ("os", "AIX 7.2", "", "IBM AIX", "7.2", "supported", None),  # 7.2 TL5: no end announced
    ("os", "AIX 7.1", "", "IBM AIX", "7.1", "eol", D("2023-04-30")),
    ("os", "IBM AIX 7.3 TL2", "", "IBM AIX", "7.3 TL2", "eol", D("2026-11-30")),
    ("os", "AIX", "7200-04-02-2028", "IBM AIX", "7.2 TL4", "eol", D("2022-11-30")),
    ("os", "Solaris 11.4", "", "Oracle Solaris", "11.4", "supported", D("2031-11-01")),
    ("os", "Oracle Solaris 10 (64-bit)", "", "Oracle Solaris", "10", "eol", D("2018-01-01")),
    ("os", "SunOS 5.11", "", "Oracle Solaris", "11", "supported", D("2031-11-01")),
    ("os", "Solaris 11.3 SPARC", "", "Oracle Solaris", "11.3", "eol", D("2021-01-01")),
    ("os", "Solaris 11.2", "", "Oracle Solaris", "11.2", "eol", None),  # ended, date not in the source
    # SQL Server: years, service packs, build numbers
    ("database", "SQL Server", "11.0.7001.0", MSSQL, "2012 SP4", "eol", D("2022-07-12")),
    ("database", "Microsoft SQL Server 2019 Standard", "", MSSQL, "2019", "supported", D("2030-01-08")),
    (
        "database",
        "Microsoft SQL Server 2014 (SP3) (KB4022619) - 12.0.6024.0 (X64)",
        "",
        MSSQL,
        "2014 SP3",
        "eol",
        D("2024-07-09"),
    ),
    ("database", "MSSQL", "13.0.5026.0", MSSQL, "2016 SP2", "eol", D("2022-10-11")),
    ("database", "SQL Server 2016 SP3", "", MSSQL, "2016 SP3", "eol", D("2026-07-14")),
    ("database", "Microsoft SQL Server 2008 R2 Enterprise", "", MSSQL, "2008 R2", "eol", D("2019-07-09")),
    (
        "database",
        "SQL Server 2017 Enterprise Edition: Core-based Licensing (64-bit)",
        "",
        MSSQL,
        "2017",
        "eol_12m",
        D("2027-10-12"),
    ),
    ("database", "SQL2012", "", MSSQL, "2012", "eol", D("2022-07-12")),
    ("database", "SQL Server", "15.0.4153.1", MSSQL, "2019", "supported", D("2030-01-08")),
    ("database", "SQL Server 2022", "16.0.4135.4", MSSQL, "2022", "supported", D("2033-01-11")),
    ("database", "Microsoft SQL Server 2005", "", MSSQL, "2005", "eol", D("2016-04-12")),
    ("database", "SQL Server", "10", MSSQL, "10", "eol", D("2019-07-09")),  # 2008 or 2008 R2: both ended
    # the ".2000." inside a build number is no "SQL Server 2000"; a standalone 2000 is
    ("database", "MSSQL 15.0.2000.5", "", MSSQL, "2019", "supported", D("2030-01-08")),
    ("database", "sqlserver 14.0.2000.63", "", MSSQL, "2017", "eol_12m", D("2027-10-12")),
    ("database", "MSSQL 12.0.2000.8", "", MSSQL, "2014 RTM", "eol", D("2016-07-12")),
    ("database", "SQL Server", "13.0.2000.5", MSSQL, "2016 RTM", "eol", D("2018-01-09")),
    # the text's service pack is taken over the build's (12.0.2000 is the RTM build)
    (
        "database",
        "Microsoft SQL Server 2014 (SP3) 12.0.2000.8",
        "",
        MSSQL,
        "2014 SP3",
        "eol",
        D("2024-07-09"),
    ),
    ("database", "SQL Server 2000 8.00.2039", "", MSSQL, "2000", "eol", D("2013-04-09")),
    ("database", "Microsoft SQL Server 2000", "", MSSQL, "2000", "eol", D("2013-04-09")),
    # @@VERSION of 2019 RTM: 2017 and later have no service packs, so "(RTM)" names no other entry
    (
        "database",
        "Microsoft SQL Server 2019 (RTM) - 15.0.2000.5 (X64)",
        "",
        MSSQL,
        "2019",
        "supported",
        D("2030-01-08"),
    ),
    # Oracle Database
    (
        "database",
        "Oracle Database 11g Enterprise Edition Release 11.2.0.4.0 - 64bit Production",
        "",
        ORA,
        "11.2.0.4.0",
        "eol",
        D("2015-01-31"),
    ),
    (
        "database",
        "Oracle Database 19c Standard Edition 2 Release 19.0.0.0.0 - Production",
        "",
        ORA,
        "19.0.0.0.0",
        "supported",
        D("2029-12-31"),
    ),
    ("database", "Oracle 12c", "", ORA, "12c", "eol", D("2022-03-31")),  # 12.1 or 12.2: both ended
    ("database", "oracle", "12.1.0.2", ORA, "12.1.0.2", "eol", D("2018-07-31")),
    ("database", "Oracle Database 23ai", "", ORA, "23ai", "supported", D("2031-12-31")),
    ("database", "Oracle 21c", "", ORA, "21c", "eol_12m", D("2027-07-31")),
    ("database", "Oracle 11gR2", "", ORA, "11g Release 2", "eol", D("2015-01-31")),
    # PostgreSQL, MySQL, MariaDB, Db2
    ("database", "postgres 12.17", "", "PostgreSQL", "12.17", "eol", D("2024-11-21")),
    ("database", "PostgreSQL 9.6", "", "PostgreSQL", "9.6", "eol", D("2021-11-11")),
    (
        "database",
        "PostgreSQL 13.4 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 4.8.5 20150623 (Red Hat 4.8.5-44)",
        "",
        "PostgreSQL",
        "13.4",
        "eol",
        D("2025-11-13"),
    ),
    ("database", "PostgreSQL", "14.10", "PostgreSQL", "14.10", "eol", D("2026-11-12")),
    ("database", "PostgreSQL 17.2", "", "PostgreSQL", "17.2", "supported", D("2029-11-08")),
    ("database", "PostgreSQL 9", "", "PostgreSQL", "9", "eol", D("2021-11-11")),  # every 9.x has ended
    ("database", "pg 15", "", "PostgreSQL", "15", "eol_12m", D("2027-11-11")),
    ("database", "MySQL 5.7.44", "", "MySQL", "5.7.44", "eol", D("2023-10-31")),
    (
        "database",
        "mysql  Ver 8.0.35 for Linux on x86_64 (MySQL Community Server - GPL)",
        "",
        "MySQL",
        "8.0.35",
        "eol",
        D("2026-04-30"),
    ),
    ("database", "MySQL", "8.4.3", "MySQL", "8.4.3", "supported", D("2032-04-30")),
    ("database", "MySQL", "5.5.5-10.6.12-MariaDB", "MariaDB", "10.6.12", "eol", D("2026-07-06")),
    (
        "database",
        "mariadb  Ver 15.1 Distrib 10.5.21-MariaDB, for Linux (x86_64)",
        "",
        "MariaDB",
        "10.5.21",
        "eol",
        D("2025-06-24"),
    ),
    ("database", "MariaDB 10.11", "", "MariaDB", "10.11", "supported", D("2028-02-16")),
    ("database", "IBM Db2 11.5", "", "IBM Db2", "11.5", "eol_12m", D("2027-04-30")),
    ("database", "DB2/LINUXX8664 11.5.8.0", "", "IBM Db2", "11.5.8.0", "eol_12m", D("2027-04-30")),
    ("database", "DB2 v10.5.0.11", "", "IBM Db2", "10.5.0.11", "eol", D("2020-04-30")),
    ("database", "DB2", "SQL11058", "IBM Db2", "11.5.8", "eol_12m", D("2027-04-30")),
    ("database", "IBM Db2 12.1", "", "IBM Db2", "12.1", "supported", None),  # no end announced
]

# (component, text, version field, product shown — the family, or None when nothing is recognised)
UNKNOWN = [
    ("os", "Other 3.x or later Linux (64-bit)", "", "Linux"),
    ("os", "Other Linux (64-bit)", "", "Linux"),
    ("os", "Linux", "", "Linux"),
    ("os", "Linux", "3.10.0-1160.el7.x86_64", "Linux"),  # el7: RHEL, CentOS or Oracle Linux?
    ("os", "Windows Server", "", WS),
    ("os", "Microsoft Windows Server 2016 or later (64-bit)", "", WS),
    ("os", "Windows Small Business Server 2011", "", WS),
    ("os", "Windows", "10.0.17763", WIN),  # Server 2019 and Windows 10 1809 share the build
    ("os", "Windows 11 24H2", "", WIN),  # Home/Pro ended 2026-10-13, Enterprise ends 2027-10-12
    ("os", "Windows 10 Enterprise LTSC", "", WIN),  # which LTSC?
    ("os", "CentOS 4/5/6/7 (64-bit)", "", "CentOS Linux"),
    ("os", "Oracle Linux 4/5/6/7 (64-bit)", "", "Oracle Linux"),
    ("os", "Ubuntu Linux (64-bit)", "", "Ubuntu"),
    ("os", "Ubuntu", "5.15.0-91-generic", "Ubuntu"),  # a kernel version, not Ubuntu's
    ("os", "SUSE Linux", "", "SUSE Linux"),
    ("os", "SUSE Linux Enterprise Server for SAP Applications 15 SP6", "", f"{SLES} for SAP Applications"),
    ("os", "openSUSE Leap 15.4", "", "openSUSE"),
    ("os", "AIX 5.3", "", "IBM AIX"),  # not in the table
    ("os", "FreeBSD 13.2", "", "FreeBSD"),
    ("os", "VMware ESXi 7.0", "", "VMware ESXi"),
    ("os", "Amazon Linux 2", "", "Amazon Linux"),
    ("os", "banana", "", None),
    ("os", "", "7.9", None),
    ("os", "Red Hat Enterprise Linux 7", "8.2", RHEL),  # the name and the version field disagree
    ("database", "SQL Server 2019", "14.0.3456.2", MSSQL),  # 14.0 is 2017
    ("database", "SQL Server", "", MSSQL),
    ("database", "Oracle", "", ORA),
    ("database", "MySQL", "8", "MySQL"),  # 8.0 ended, 8.4 is supported
    ("database", "Aurora MySQL 2.11", "", "Amazon Aurora"),  # Aurora 2.x is not MySQL 2
    ("database", "Percona Server for MySQL 8.0.36", "", "Percona Server"),
    ("database", "MongoDB 4.4", "", "MongoDB"),
]


@pytest.mark.parametrize(("component", "text", "version", "product", "shown", "status", "end"), CASES)
def test_known_strings(
    component: str, text: str, version: str, product: str, shown: str, status: str, end: dt.date | None
) -> None:
    f = finding_for(component, text, version, AS_OF)
    assert (f.product, f.version, f.status, f.end_of_support) == (product, shown, status, end), f.rule
    assert f.component == component
    assert text in f.rule and "←" in f.rule  # the rule names the table entry and quotes the input


def test_the_table_is_long_enough() -> None:
    assert len(CASES) + len(UNKNOWN) >= 60
    assert {c[5] for c in CASES} == {"eol", "eol_12m", "supported"}


@pytest.mark.parametrize(("component", "text", "version", "product"), UNKNOWN)
def test_strings_no_table_entry_decides_are_unknown(
    component: str, text: str, version: str, product: str | None
) -> None:
    f = finding_for(component, text, version, AS_OF)
    assert (f.status, f.end_of_support, f.product) == ("unknown", None, product), f.rule
    assert f.rule


def test_a_release_named_without_its_service_pack_says_which_one_it_assumed() -> None:
    f = finding_for("os", "SUSE Linux Enterprise 15 (64-bit)", "", AS_OF)
    assert "service pack not given" in f.rule and "SP7" in f.rule
    assert f.release == "SUSE Linux Enterprise Server 15 SP7"


def test_candidates_that_disagree_are_listed() -> None:
    f = finding_for("database", "MySQL", "8", AS_OF)
    assert "8.0 ends 2026-04-30 (eol)" in f.rule and "8.4 ends 2032-04-30 (supported)" in f.rule


def test_paid_extensions_are_a_note_not_the_date() -> None:
    win10 = finding_for("os", "Microsoft Windows 10 (64-bit)", "", AS_OF)
    assert win10.end_of_support == D("2025-10-14")
    assert win10.note == "paid Extended Security Updates (ESU) available until 2028-10-10"
    ws2012r2 = finding_for("os", "Windows Server 2012 R2 Standard", "", AS_OF)
    assert ws2012r2.note == "paid Extended Security Updates (ESU) also ended 2026-10-13"
    rhel7 = finding_for("os", "RHEL", "7.9", AS_OF)
    assert (rhel7.status, rhel7.note) == (
        "eol",
        "paid Extended Life-cycle Support (ELS) available until 2029-05-31",
    )
    ubuntu = finding_for("os", "Ubuntu 22.04.3 LTS", "", AS_OF)
    assert ubuntu.note == "paid Expanded Security Maintenance (ESM, Ubuntu Pro) available until 2032-04-09"
    sles = finding_for("os", "SUSE Linux Enterprise Server 15 SP4", "", AS_OF)
    assert sles.note == "paid Long Term Service Pack Support (LTSS) available until 2026-12-31"
    debian = finding_for("os", "Debian GNU/Linux 12", "", AS_OF)
    assert debian.note and "security team support ended 2026-07-11" in debian.note
    assert finding_for("database", "PostgreSQL 17.2", "", AS_OF).note is None  # no paid extension


def test_the_boundaries_of_eol_12m() -> None:
    # Windows Server 2016 ends 2027-01-12: eol_12m from a year before, eol on the day itself
    assert finding_for("os", "Windows Server 2016", "", D("2026-01-12")).status == "eol_12m"
    assert finding_for("os", "Windows Server 2016", "", D("2026-01-11")).status == "supported"
    assert finding_for("os", "Windows Server 2016", "", D("2027-01-11")).status == "eol_12m"
    assert finding_for("os", "Windows Server 2016", "", D("2027-01-12")).status == "eol"
    assert finding_for("os", "Windows Server 2016", "", D("2024-02-29")).status == "supported"


def test_assess_gives_one_finding_per_component_the_asset_has() -> None:
    findings = assess(
        "Microsoft Windows Server 2019 (64-bit)", "10.0.17763", "SQL Server", "11.0.7001.0", AS_OF
    )
    assert [f.component for f in findings] == ["os", "database"]
    assert assess("Ubuntu 22.04", None, None, "", AS_OF)[0].component == "os"
    assert len(assess("Ubuntu 22.04", None, None, "", AS_OF)) == 1
    assert assess(None, None, "postgres", "15.4", AS_OF)[0].product == "PostgreSQL"
    assert assess(" ", "", None, None, AS_OF) == []


def test_a_finding_prints_the_cli_contract_shape() -> None:
    f = assess("RHEL", "7.9", None, None, AS_OF)[0]
    assert isinstance(f, Finding)
    assert f.to_dict() == {
        "component": "os",
        "product": RHEL,
        "version": "7.9",
        "status": "eol",
        "end_of_support": "2024-06-30",
        "rule": f.rule,
    }
    unknown = finding_for("os", "Linux", "", AS_OF).to_dict()
    assert unknown["status"] == "unknown" and unknown["end_of_support"] is None


def test_identify_says_what_it_read_and_refuses_a_bad_component() -> None:
    ident = identify("database", "Microsoft SQL Server 2014 (SP3) (KB4022619) - 12.0.6024.0 (X64)")
    assert (ident.product_id, ident.releases, ident.sub) == ("mssqlserver", ("2014",), "SP3")
    with pytest.raises(ValueError, match="component"):
        identify("middleware", "WebLogic 12c")
