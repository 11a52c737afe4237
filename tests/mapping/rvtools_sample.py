"""A realistic RVTools 4.x vInfo sheet: the real header row (all columns, in RVTools order) and
values of the kind RVTools writes for a small estate of VMs and templates.

The header list is RVTools' own vInfo column list; the values are made up but shaped like a real
export (``poweredOn``, ``True``/``False``, ``2021/04/15 09:30:12`` dates, ``vmx-19``, ``bios``/``efi``,
MiB sizes, MoRefs, BIOS and instance UUIDs).
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

VINFO_HEADERS: tuple[str, ...] = (
    "VM", "Powerstate", "Template", "SRM Placeholder", "Config status", "DNS Name", "Connection state",
    "Guest state", "Heartbeat", "Consolidation Needed", "PowerOn", "Suspended To Memory", "Suspend time",
    "Suspend Interval", "Creation date", "Change Version", "CPUs", "Overall Cpu Readiness", "Memory",
    "Active Memory", "NICs", "Disks", "Total disk capacity MiB", "Fixed Passthru HotPlug",
    "min Required EVC Mode Key", "Latency Sensitivity", "Op Notification Timeout", "EnableUUID", "CBT",
    "Primary IP Address", "Network #1", "Network #2", "Network #3", "Network #4", "Network #5", "Network #6",
    "Network #7", "Network #8", "Num Monitors", "Video Ram KiB", "Resource pool", "Folder ID", "Folder",
    "vApp", "DAS protection", "FT State", "FT Role", "FT Latency", "FT Bandwidth", "FT Sec. Latency",
    "Vm Failover In Progress", "Provisioned MiB", "In Use MiB", "Unshared MiB", "HA Restart Priority",
    "HA Isolation Response", "HA VM Monitoring", "Cluster rule(s)", "Cluster rule name(s)", "Boot Required",
    "Boot delay", "Boot retry delay", "Boot retry enabled", "Boot BIOS setup", "Reboot PowerOff",
    "EFI Secure boot", "Firmware", "HW version", "HW upgrade status", "HW upgrade policy", "HW target",
    "Path", "Log directory", "Snapshot directory", "Suspend directory", "Annotation", "Datacenter",
    "Cluster", "Host", "OS according to the configuration file", "OS according to the VMware Tools",
    "Customization Info", "Guest Detailed Data", "VM ID", "SMBIOS UUID", "VM UUID", "VI SDK Server type",
    "VI SDK API Version", "VI SDK Server", "VI SDK UUID",
)  # fmt: skip

_OS = (
    ("Microsoft Windows Server 2019 (64-bit)", "Microsoft Windows Server 2019 Datacenter", "efi", "vmx-19"),
    ("Microsoft Windows Server 2016 or later (64-bit)", "Microsoft Windows Server 2016 Standard", "efi",
     "vmx-14"),
    ("Red Hat Enterprise Linux 8 (64-bit)", "Red Hat Enterprise Linux 8.6 (Ootpa)", "bios", "vmx-17"),
    ("Microsoft Windows Server 2012 (64-bit)", "Microsoft Windows Server 2012 R2 Standard", "bios", "vmx-11"),
    ("Ubuntu Linux (64-bit)", "Ubuntu 22.04.3 LTS", "efi", "vmx-19"),
    ("SUSE Linux Enterprise 15 (64-bit)", "SUSE Linux Enterprise Server 15 SP4", "bios", "vmx-15"),
)  # fmt: skip
_ROLES = ("app", "db", "web", "fs", "sql", "dc")
_SITES = ("fra", "lon", "ams")


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _stamp(rng: random.Random, first_year: int, last_year: int) -> str:
    return (
        f"{rng.randint(first_year, last_year)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d} "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    )


def vinfo_row(n: int, rng: random.Random) -> dict[str, str]:
    """One VM (every seventh a template) as RVTools writes it."""
    template = n % 7 == 3
    on = not template and n % 5 != 4
    site = _SITES[n % len(_SITES)]
    name = f"{_ROLES[n % len(_ROLES)]}-{site}{n:03d}"
    cfg_os, tools_os, firmware, hw = _OS[n % len(_OS)]
    cpus = rng.choice((1, 2, 2, 4, 4, 8, 16))
    memory = rng.choice((2048, 4096, 8192, 8192, 16384, 32768))
    disks = rng.choice((1, 1, 2, 3))
    capacity = sum(rng.choice((40960, 61440, 102400, 204800)) for _ in range(disks))
    in_use = int(capacity * rng.uniform(0.2, 0.9))
    nics = rng.choice((1, 1, 1, 2))
    ip = f"10.{rng.randint(10, 250)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}" if on else ""
    host = f"esx{rng.randint(10, 40):02d}.{site}.corp.example.com"
    vm_id = f"vm-{rng.randint(1000, 99999)}"
    row = {
        "VM": name,
        "Powerstate": "poweredOn" if on else "poweredOff",
        "Template": "True" if template else "False",
        "SRM Placeholder": "False",
        "Config status": rng.choice(("green", "green", "yellow")),
        "DNS Name": f"{name}.corp.example.com" if on else "",
        "Connection state": "connected",
        "Guest state": "running" if on else "notRunning",
        "Heartbeat": "green" if on else "gray",
        "Consolidation Needed": "False",
        "PowerOn": _stamp(rng, 2023, 2025) if on else "",
        "Suspended To Memory": "False",
        "Suspend time": "",
        "Suspend Interval": "0",
        "Creation date": _stamp(rng, 2016, 2024),
        "Change Version": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:12:22.{n:04d}Z",
        "CPUs": str(cpus),
        "Overall Cpu Readiness": f"{rng.uniform(0, 2.5):.2f}" if on else "0",
        "Memory": str(memory),
        "Active Memory": str(int(memory * rng.uniform(0.05, 0.4))) if on else "0",
        "NICs": str(nics),
        "Disks": str(disks),
        "Total disk capacity MiB": str(capacity),
        "Fixed Passthru HotPlug": "False",
        "min Required EVC Mode Key": rng.choice(("intel-broadwell", "intel-skylake", "intel-cascadelake")),
        "Latency Sensitivity": "normal",
        "Op Notification Timeout": "",
        "EnableUUID": rng.choice(("True", "False")),
        "CBT": rng.choice(("True", "False")),
        "Primary IP Address": ip,
        "Network #1": rng.choice(("VLAN100-Prod", "VLAN200-DMZ", "dvPG-App-310")),
        "Network #2": "VLAN900-Backup" if nics > 1 else "",
        "Network #3": "",
        "Network #4": "",
        "Network #5": "",
        "Network #6": "",
        "Network #7": "",
        "Network #8": "",
        "Num Monitors": "1",
        "Video Ram KiB": rng.choice(("4096", "8192", "16384")),
        "Resource pool": "Resources",
        "Folder ID": f"group-v{rng.randint(100, 9999)}",
        "Folder": "Templates" if template else rng.choice(("Prod", "Test", "Infra")),
        "vApp": "",
        "DAS protection": "True" if on else "False",
        "FT State": "notConfigured",
        "FT Role": "",
        "FT Latency": "",
        "FT Bandwidth": "",
        "FT Sec. Latency": "",
        "Vm Failover In Progress": "False",
        "Provisioned MiB": str(capacity + memory + 120),
        "In Use MiB": str(in_use),
        "Unshared MiB": str(int(in_use * 0.97)),
        "HA Restart Priority": "clusterRestartPriority",
        "HA Isolation Response": "none",
        "HA VM Monitoring": "vmMonitoringDisabled",
        "Cluster rule(s)": "",
        "Cluster rule name(s)": "",
        "Boot Required": "False",
        "Boot delay": "0",
        "Boot retry delay": "10000",
        "Boot retry enabled": "False",
        "Boot BIOS setup": "False",
        "Reboot PowerOff": "False",
        "EFI Secure boot": "True" if firmware == "efi" and n % 2 else "False",
        "Firmware": firmware,
        "HW version": hw,
        "HW upgrade status": "none",
        "HW upgrade policy": "never",
        "HW target": "",
        "Path": f"[DS-{site.upper()}-0{n % 4 + 1}] {name}/{name}.vmx",
        "Log directory": f"[DS-{site.upper()}-0{n % 4 + 1}] {name}",
        "Snapshot directory": f"[DS-{site.upper()}-0{n % 4 + 1}] {name}",
        "Suspend directory": f"[DS-{site.upper()}-0{n % 4 + 1}] {name}",
        "Annotation": "gold image, do not power on" if template else rng.choice(("", "owner: finance", "")),
        "Datacenter": f"DC-{site.upper()}",
        "Cluster": f"CL-{site.upper()}-PROD",
        "Host": host,
        "OS according to the configuration file": cfg_os,
        "OS according to the VMware Tools": tools_os if on else "",
        "Customization Info": "",
        "Guest Detailed Data": (
            f"architecture='X86' bitness='64' familyName='{'Windows' if 'Windows' in cfg_os else 'Linux'}'"
            if on
            else ""
        ),
        "VM ID": vm_id,
        "SMBIOS UUID": _uuid(rng),
        "VM UUID": _uuid(rng),
        "VI SDK Server type": "VMware vCenter Server",
        "VI SDK API Version": "8.0.2.0",
        "VI SDK Server": f"vcsa01.{site}.corp.example.com",
        "VI SDK UUID": "5d3b3c0e-1f2a-4b7e-9c11-7a3a2b0c9d11",
    }
    assert tuple(row) == VINFO_HEADERS
    return row


def vinfo_columns(rows: int = 40, *, headers: tuple[str, ...] = VINFO_HEADERS) -> list[tuple[str, list[str]]]:
    """(header, values) columns of a vInfo sheet with `rows` VMs (seeded: the same every run)."""
    rng = random.Random(12_11)
    data = [vinfo_row(n, rng) for n in range(rows)]
    return [(h, [r[h] for r in data]) for h in headers]


# ----------------------------------------------------------------------------- a whole export

VDISK_HEADERS: tuple[str, ...] = (
    "VM", "Powerstate", "Template", "SRM Placeholder", "Disk", "Disk Key", "Disk UUID", "Disk Path",
    "Capacity MiB", "Raw", "Disk Mode", "Sharing mode", "Thin", "Eagerly Scrub", "Split", "Write Through",
    "Level", "Shares", "Reservation", "Limit", "Controller", "Label", "SCSI Unit #", "Unit #", "Shared Bus",
    "Path", "Raw LUN ID", "Raw Comp. Mode", "Internal Sort Column", "Annotation", "Datacenter", "Cluster",
    "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VM ID",
    "VM UUID", "VI SDK Server", "VI SDK UUID",
)  # fmt: skip
VPARTITION_HEADERS: tuple[str, ...] = (
    "VM", "Powerstate", "Template", "SRM Placeholder", "Disk Key", "Disk", "Capacity MiB", "Consumed MiB",
    "Free MiB", "Free %", "Internal Sort Column", "Annotation", "Datacenter", "Cluster", "Host", "Folder",
    "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID",
    "VI SDK Server", "VI SDK UUID",
)  # fmt: skip
VNETWORK_HEADERS: tuple[str, ...] = (
    "VM", "Powerstate", "Template", "SRM Placeholder", "NIC label", "Adapter", "Network", "Switch",
    "Connected", "Starts Connected", "Mac Address", "Type", "IPv4 Address", "IPv6 Address",
    "Direct Path IO", "Internal Sort Column", "Annotation", "Datacenter", "Cluster", "Host", "Folder",
    "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID",
    "VI SDK Server", "VI SDK UUID",
)  # fmt: skip
VSNAPSHOT_HEADERS: tuple[str, ...] = (
    "VM", "Powerstate", "Name", "Description", "Date / time", "Filename", "Size MiB (vmsn)",
    "Size MiB (total)", "Quiesced", "State", "Annotation", "Datacenter", "Cluster", "Host", "Folder",
    "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID",
    "VI SDK Server", "VI SDK UUID",
)  # fmt: skip
VTOOLS_HEADERS: tuple[str, ...] = (
    "VM", "Powerstate", "Template", "SRM Placeholder", "VM Version", "Tools", "Tools Version",
    "Required Version", "Upgradeable", "Upgrade Policy", "Sync time", "App status", "Heartbeat status",
    "Kernel Crash state", "Operation Ready", "State change support", "Interactive Guest", "Annotation",
    "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file",
    "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID",
)  # fmt: skip
VHOST_HEADERS: tuple[str, ...] = (
    "Host", "Datacenter", "Cluster", "Config status", "in Maintenance Mode", "in Quarantine Mode",
    "CPU Model", "Speed", "HT Available", "HT Active", "# CPU", "Cores per CPU", "# Cores", "CPU usage %",
    "# Memory", "Memory usage %", "# NICs", "# HBAs", "# VMs total", "# VMs", "ESX Version", "Boot time",
    "Vendor", "Model", "Serial number", "Object ID", "UUID", "VI SDK Server", "VI SDK UUID",
)  # fmt: skip
VCLUSTER_HEADERS: tuple[str, ...] = (
    "Name", "Config status", "OverallStatus", "NumHosts", "numEffectiveHosts", "TotalCpu", "NumCpuCores",
    "NumCpuThreads", "Effective Cpu", "TotalMemory", "Effective Memory", "Num VMotions", "HA enabled",
    "Failover Level", "AdmissionControlEnabled", "DRS enabled", "DRS default VM behavior", "Object ID",
    "VI SDK Server", "VI SDK UUID",
)  # fmt: skip
VSOURCE_HEADERS: tuple[str, ...] = (
    "Name", "OS type", "API type", "API version", "Version", "Patch level", "Build", "Fullname",
    "Product name", "Product version", "Product line", "Vendor", "VI SDK Server", "VI SDK UUID",
)  # fmt: skip
VMETADATA_HEADERS: tuple[str, ...] = (
    "RVTools major version",
    "RVTools version",
    "xlsx creation datetime",
    "Server",
)
OTHER_SHEETS = (
    "vCPU",
    "vMemory",
    "vCD",
    "vUSB",
    "vRP",
    "vHBA",
    "vNIC",
    "vSwitch",
    "vPort",
    "vDatastore",
    "vHealth",
)
RVTOOLS_VERSION = "4.4.2.0"
UNKNOWN_VM = "ghost-fra999"
"""A VM the vDisk and vNetwork sheets name but vInfo does not list (deleted while RVTools ran)."""

Sheet = tuple[tuple[str, ...], list[dict[str, object]]]


def _number(text: str) -> object:
    """RVTools writes numbers as numeric cells."""
    return int(text) if text.isdigit() else text


def rvtools_export(vms: int = 12, *, no_disk: int = 5) -> dict[str, Sheet]:
    """The sheets of an RVTools export of `vms` VMs (seeded): vInfo plus its detail and metadata sheets.

    VM `no_disk` has no disk (vInfo says 0; no vDisk or vPartition row); every fourth VM has
    snapshots; templates and powered-off VMs have no partitions and no IP; vDisk and vNetwork also
    have a row for `UNKNOWN_VM`, which vInfo does not list.
    """
    rng = random.Random(13_2)
    info = [vinfo_row(n, rng) for n in range(vms)]
    if no_disk < vms:
        info[no_disk]["Disks"] = "0"
        info[no_disk]["Total disk capacity MiB"] = "0"
    disks: list[dict[str, object]] = []
    parts: list[dict[str, object]] = []
    nics: list[dict[str, object]] = []
    snaps: list[dict[str, object]] = []
    tools: list[dict[str, object]] = []
    hosts: dict[tuple[str, str], dict[str, object]] = {}
    clusters: dict[tuple[str, str], dict[str, object]] = {}
    for n, vm in enumerate(info):
        common = {
            "VM": vm["VM"],
            "Powerstate": vm["Powerstate"],
            "Template": vm["Template"],
            "SRM Placeholder": "False",
            "Annotation": vm["Annotation"],
            "Datacenter": vm["Datacenter"],
            "Cluster": vm["Cluster"],
            "Host": vm["Host"],
            "Folder": vm["Folder"],
            "OS according to the configuration file": vm["OS according to the configuration file"],
            "OS according to the VMware Tools": vm["OS according to the VMware Tools"],
            "VM ID": vm["VM ID"],
            "VM UUID": vm["VM UUID"],
            "VI SDK Server": vm["VI SDK Server"],
            "VI SDK UUID": vm["VI SDK UUID"],
        }
        on = vm["Powerstate"] == "poweredOn"
        count = int(vm["Disks"])
        total = int(vm["Total disk capacity MiB"])
        sizes = [40960] * (count - 1) + [total - 40960 * (count - 1)] if count else []
        for d, size in enumerate(sizes):
            disks.append(
                {
                    **common,
                    "Disk": f"Hard disk {d + 1}",
                    "Disk Key": 2000 + d,
                    "Disk UUID": f"6000C29{n:03d}{d:02d}-disk",
                    "Disk Path": f"[DS-01] {vm['VM']}/{vm['VM']}_{d}.vmdk",
                    "Capacity MiB": size,
                    "Raw": "False",
                    "Disk Mode": "persistent",
                    "Sharing mode": "sharingNone",
                    "Thin": "True" if d % 2 == 0 else "False",
                    "Controller": "SCSI controller 0",
                    "Label": f"Hard disk {d + 1}",
                    "Unit #": d,
                    "Path": f"[DS-01] {vm['VM']}/{vm['VM']}_{d}.vmdk",
                    "Internal Sort Column": f"{vm['VM']}-{d}",
                }
            )
            if on:
                consumed = int(size * (0.25 + 0.1 * d)) if d else 20480 + n
                mount = "C:\\" if "Windows" in str(vm["OS according to the configuration file"]) else "/"
                parts.append(
                    {
                        **common,
                        "Disk Key": 2000 + d,
                        "Disk": mount if d == 0 else f"/data{d}",
                        "Capacity MiB": size - 500,
                        "Consumed MiB": consumed,
                        "Free MiB": size - 500 - consumed,
                        "Free %": round(100 * (size - 500 - consumed) / (size - 500)),
                        "Internal Sort Column": f"{vm['VM']}-{d}",
                    }
                )
        for k in range(int(vm["NICs"])):
            ip = vm["Primary IP Address"] if k == 0 else (f"192.168.{n}.{10 + k}" if on else "")
            nics.append(
                {
                    **common,
                    "NIC label": f"Network adapter {k + 1}",
                    "Adapter": "vmxnet3",
                    "Network": vm[f"Network #{k + 1}"],
                    "Switch": "dvSwitch-Prod",
                    "Connected": "True" if on else "False",
                    "Starts Connected": "True",
                    "Mac Address": f"00:50:56:9a:{n:02x}:{k:02x}",
                    "Type": "assigned",
                    "IPv4 Address": ip,
                    "IPv6 Address": f"fe80::250:56ff:fe9a:{n:x}{k:02x}" if on and k == 0 else "",
                    "Direct Path IO": "False",
                    "Internal Sort Column": f"{vm['VM']}-{k}",
                }
            )
        if n % 4 == 1:
            for k in range(1 + n % 3):
                snaps.append(
                    {key: value for key, value in common.items() if key in VSNAPSHOT_HEADERS}
                    | {
                        "Name": f"before patch {k + 1}",
                        "Description": "taken by the backup job" if k else "",
                        "Date / time": datetime(2024, 3, 1 + k, 22, 15, 0),
                        "Filename": f"[DS-01] {vm['VM']}/{vm['VM']}-Snapshot{k + 1}.vmsn",
                        "Size MiB (vmsn)": 12,
                        "Size MiB (total)": 2048 * (k + 1),
                        "Quiesced": "False",
                        "State": "poweredOff",
                    }
                )
        status = (
            ("toolsOk", "toolsOld", "toolsNotRunning", "toolsNotInstalled")[n % 4]
            if on
            else "toolsNotRunning"
        )
        tools.append(
            {
                **common,
                "VM Version": vm["HW version"],
                "Tools": status,
                "Tools Version": "" if status == "toolsNotInstalled" else str(12352 - 100 * (n % 3)),
                "Required Version": "12352",
                "Upgradeable": "True" if status == "toolsOld" else "False",
                "Upgrade Policy": "manual",
                "Heartbeat status": "green" if on else "gray",
            }
        )
        vc = str(vm["VI SDK Server"])
        hosts.setdefault(
            (vc, str(vm["Host"])),
            {
                "Host": vm["Host"],
                "Datacenter": vm["Datacenter"],
                "Cluster": vm["Cluster"],
                "Config status": "green",
                "in Maintenance Mode": "False",
                "CPU Model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
                "Speed": 2000,
                "# CPU": 2,
                "Cores per CPU": 32,
                "# Cores": 64,
                "# Memory": 1048063,
                "# VMs": 0,
                "ESX Version": "VMware ESXi 8.0.2 build-22380479",
                "Vendor": "Dell Inc.",
                "Model": "PowerEdge R750",
                "VI SDK Server": vc,
            },
        )["# VMs"] += 1  # type: ignore[operator]
        clusters.setdefault(
            (vc, str(vm["Cluster"])),
            {
                "Name": vm["Cluster"],
                "Config status": "green",
                "OverallStatus": "green",
                "NumHosts": 4,
                "NumCpuCores": 256,
                "NumCpuThreads": 512,
                "HA enabled": "True",
                "DRS enabled": "True",
                "DRS default VM behavior": "fullyAutomated",
                "VI SDK Server": vc,
            },
        )
    ghost = {
        "VM": UNKNOWN_VM,
        "Powerstate": "poweredOn",
        "VM UUID": "4211ffff-0000-1111-2222-333344445555",
        "VI SDK Server": info[0]["VI SDK Server"],
    }
    disks.append({**ghost, "Disk": "Hard disk 1", "Capacity MiB": 51200})
    nics.append(
        {**ghost, "NIC label": "Network adapter 1", "Network": "VLAN100-Prod", "IPv4 Address": "10.9.9.9"}
    )
    servers = sorted({str(vm["VI SDK Server"]) for vm in info})
    return {
        "vInfo": (VINFO_HEADERS, [{h: _number(v) for h, v in vm.items()} for vm in info]),
        "vCPU": (("VM", "CPUs"), [{"VM": vm["VM"], "CPUs": int(vm["CPUs"])} for vm in info]),
        "vMemory": (("VM", "Size MiB"), [{"VM": vm["VM"], "Size MiB": int(vm["Memory"])} for vm in info]),
        "vDisk": (VDISK_HEADERS, disks),
        "vPartition": (VPARTITION_HEADERS, parts),
        "vNetwork": (VNETWORK_HEADERS, nics),
        "vSnapshot": (VSNAPSHOT_HEADERS, snaps),
        "vTools": (VTOOLS_HEADERS, tools),
        "vSource": (
            VSOURCE_HEADERS,
            [{"Name": s, "Fullname": "VMware vCenter Server 8.0.2", "VI SDK Server": s} for s in servers],
        ),
        "vCluster": (VCLUSTER_HEADERS, list(clusters.values())),
        "vHost": (VHOST_HEADERS, list(hosts.values())),
        "vMetaData": (
            VMETADATA_HEADERS,
            [
                {
                    "RVTools major version": 4,
                    "RVTools version": RVTOOLS_VERSION,
                    "xlsx creation datetime": datetime(2024, 3, 4, 9, 30),
                    "Server": s,
                }
                for s in servers
            ],
        ),
    }


def write_workbook(
    path: Path, sheets: dict[str, Sheet], *, drop: dict[str, tuple[str, ...]] | None = None
) -> Path:
    """Write the sheets as an .xlsx with openpyxl (a real writer), leaving out `drop[sheet]` columns."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    for name, (headers, rows) in sheets.items():
        ws = wb.create_sheet(name)
        kept = [h for h in headers if h not in (drop or {}).get(name, ())]
        ws.append(kept)
        for row in rows:
            ws.append([row.get(h, "") for h in kept])
    wb.save(path)
    return path
