"""Input files for the import tests, all generated in tmp_path."""

from __future__ import annotations

import csv
import io
import random
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

CMDB_HEADER = [
    "Hostname",
    "IP Address",
    "Operating System",
    "CPU Count",
    "Memory (GB)",
    "Environment",
    "Owner",
    "Notes",
]


def write_text(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """`text` with \\n line ends written using `newline` and `encoding` (BOM codecs add a BOM)."""
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def cmdb_rows(n: int, seed: int = 1) -> list[list[str]]:
    """Plain CMDB-like rows (no tricky values)."""
    rnd = random.Random(seed)
    return [
        [
            f"srv-{i:05d}",
            f"10.0.{i // 256 % 256}.{i % 256}",
            rnd.choice(["Windows Server 2019", "RHEL 8", "Ubuntu 22.04"]),
            str(rnd.choice([2, 4, 8])),
            str(rnd.choice([8, 16, 32])),
            rnd.choice(["Prod", "Test"]),
            f"owner{rnd.randint(1, 9)}@example.com",
            rnd.choice(["", "patched monthly", "legacy"]),
        ]
        for i in range(n)
    ]


_TRICKY = [
    "",
    " ",
    "  leading and trailing  ",
    'say "hi"',
    "comma, inside",
    "semi;colon",
    "line one\nline two",
    "crlf one\r\nline two",
    "tab\there",
    "Müller Straße €",
    "日本語テキスト",
    "emoji 🚀",
    "\\back\\slash",
    "\\.",
    "NULL",
    '"',
    "''",
]


def tricky_rows(n: int, width: int, seed: int = 7) -> list[list[str]]:
    """Rows whose values exercise quoting, embedded line breaks, Unicode and look-alike nulls."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        row = [f"id-{i}"]
        for _ in range(width - 1):
            r = rnd.random()
            row.append(rnd.choice(_TRICKY) if r < 0.2 else f"v{rnd.randint(0, 10**9)}")
        rows.append(row)
    return rows


def expected_records(rows: Sequence[Sequence[str]], first_line: int) -> list[tuple[int, list[str]]]:
    """(line the record starts on, cells) for rows written by `write_csv` from `first_line` on."""
    out = []
    line = first_line
    for row in rows:
        out.append((line, list(row)))
        line += 1 + sum(
            v.count("\r\n") + v.replace("\r\n", "").count("\n") + v.replace("\r\n", "").count("\r")
            for v in row
        )
    return out


def repeat_csv(path: Path, header: Sequence[str], block: Sequence[Sequence[str]], times: int) -> Path:
    """A large CSV made fast by writing one encoded block of rows `times` times."""
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(block)
    body = buf.getvalue().encode()
    with path.open("wb") as fh:
        fh.write((",".join(header) + "\n").encode())
        for _ in range(times):
            fh.write(body)
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """A real workbook written by openpyxl, one sheet per entry (None = empty cell)."""
    wb = openpyxl.Workbook(write_only=True)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def rvtools_workbook(path: Path, vms: int = 50) -> Path:
    """RVTools-shaped export: vInfo (the VMs) is not the first sheet and not the largest."""
    vinfo = [
        [
            "VM",
            "Powerstate",
            "CPUs",
            "Memory",
            "Provisioned MB",
            "OS according to the VMware Tools",
            "Cluster",
        ]
    ]
    for i in range(vms):
        vinfo.append(
            [
                f"vm-{i:03d}",
                "poweredOn" if i % 3 else "poweredOff",
                2 + i % 4,
                4096,
                81920.5,
                "Microsoft Windows Server 2019 (64-bit)",
                "CL-A",
            ]
        )
    vdisk = [["VM", "Disk", "Capacity MB"]] + [
        [f"vm-{i % vms:03d}", f"Hard disk {i % 3 + 1}", 40960] for i in range(vms * 3)
    ]
    vhost = [["Host", "Cluster", "# CPU"], ["esx-01", "CL-A", 2], ["esx-02", "CL-A", 2]]
    return write_xlsx(
        path,
        {
            "vSummary": [["Property", "Value"], ["Version", "4.4.2"]],
            "vInfo": vinfo,
            "vDisk": vdisk,
            "vHost": vhost,
        },
    )


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def replace_members(path: Path, replacements: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, replacements.get(name, data))
    return path


def billion_laughs(root: str, body: str) -> bytes:
    """The classic entity-expansion bomb wrapped around an XLSX part's root element."""
    entities = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        ref = f"&lol{i - 1};" if i > 1 else "&lol;"
        entities.append(f'<!ENTITY lol{i} "{ref * 10}">')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE {root} [{"".join(entities)}]>'
        f'<{root} xmlns="{SHEET_NS}">{body}</{root}>'
    ).encode()


def encrypted_xlsx(path: Path) -> Path:
    """What Excel writes for a password-protected workbook: an OLE2 file with encryption streams."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)
    directory = bytearray()
    for name in ["Root Entry", "EncryptionInfo", "EncryptedPackage"]:
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[0 : len(encoded)] = encoded
        struct.pack_into("<H", entry, 64, len(encoded))
        entry[66] = 5 if name == "Root Entry" else 2
        directory += entry
    directory += bytes(512 - len(directory) % 512)
    path.write_bytes(bytes(header) + bytes(directory) + bytes(4096))
    return path
