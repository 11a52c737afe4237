"""Machine identifiers compared by what they identify: serial numbers, BIOS/SMBIOS UUIDs, VM ids.

Why: one VMware VM reaches an engagement under several spellings of the same 16 bytes, and the
inventory took them for different serials (~2,600 false `serial_number` conflicts on an RVTools +
ServiceNow engagement):

- the guest's BIOS serial (ServiceNow, SCCM, Lansweeper, `wmic bios get serialnumber`):
  `VMware-42 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8` — the bytes of `uuid.bios` in the .vmx;
- vCenter's `config.uuid` (RVTools `VM UUID` / `SMBIOS UUID`, Azure Migrate's VMware appliance):
  `421a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8` — the same digits in the same order;
- the SMBIOS UUID as Windows decodes it (`Win32_ComputerSystemProduct.UUID`, ServiceNow's
  Windows discovery, an Azure Migrate agent): `3C2B1A42-5E4D-706F-8192-A3B4C5D6E7F8` — SMBIOS 2.6
  stores the first three fields little-endian, so they come byte-swapped; often upper case, in
  braces or behind `urn:uuid:`.

A source cannot tell us which byte order its UUID is in, so the key of a UUID-shaped identifier is
order-free: the smaller of its digits and of their swapped form (two different machines whose
UUIDs are each other's swap do not occur in practice). Values are stored as the source wrote them;
identity (`core.inventory.identity`) and field conflicts compare these keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_SEPARATORS = re.compile(r"[\s\-:{}]")
_PREFIXES = ("vmware-", "urn:uuid:", "uuid:")

#: serial numbers that name no machine (vendor placeholders, typed fillers)
JUNK_SERIALS = frozenset(
    {
        "",
        "0",
        "NA",
        "N/A",
        "NONE",
        "NULL",
        "UNKNOWN",
        "DEFAULT",
        "DEFAULTSTRING",
        "TOBEFILLEDBYOEM",
        "TOBEFILLEDBYO.E.M.",
        "NOTSPECIFIED",
        "NOTAVAILABLE",
        "SYSTEMSERIALNUMBER",
        "0123456789",
        "123456789",
        "CHASSISSERIALNUMBER",
        "INVALID",
        "NOTAPPLICABLE",
        "XXXXXXXX",
    }
)


def uuid_digits(text: str) -> str | None:
    """The 32 hex digits of a UUID-shaped identifier as written (VMware serial, GUID, braces), else None."""
    low = text.strip().lower()
    for prefix in _PREFIXES:
        if low.startswith(prefix):
            low = low[len(prefix) :]
            break
    digits = _SEPARATORS.sub("", low)
    return digits if _HEX32.match(digits) else None


def swap_fields(digits: str) -> str:
    """The digits with the first three UUID fields byte-reversed (the SMBIOS 2.6 little-endian form)."""
    d = digits

    def rev(part: str) -> str:
        return "".join(part[i : i + 2] for i in range(len(part) - 2, -1, -2))

    return rev(d[0:8]) + rev(d[8:12]) + rev(d[12:16]) + d[16:]


def uuid_key(text: str) -> str | None:
    """Order-free key of a UUID-shaped identifier (None if not one, or all zeros/all ones)."""
    digits = uuid_digits(text)
    if digits is None or len(set(digits)) == 1:
        return None
    return min(digits, swap_fields(digits))


def serial_key(serial: str) -> str | None:
    """Key of a serial number: UUID forms reduce to `uuid_key`; placeholders give None.

    Other serials compare upper case without whitespace (`sn 123-ab` is `SN123-AB`).
    """
    if uuid_digits(serial) is not None:
        return uuid_key(serial)
    norm = re.sub(r"\s+", "", serial.upper())
    if norm in JUNK_SERIALS or len(norm) < 4 or len(set(norm)) == 1:
        return None
    return norm


def vm_id_key(vm_id: str) -> str | None:
    """Key of a hypervisor VM id: UUIDs by `uuid_key`, MoRefs (`vm-123`) and others case-folded."""
    if uuid_digits(vm_id) is not None:
        return uuid_key(vm_id)
    folded = vm_id.strip().casefold()
    return folded or None


#: fields whose values are compared by key, not by text (`comparison_key`)
KEYED_FIELDS: dict[str, Callable[[str], str | None]] = {
    "serial_number": serial_key,
    "vm_id": vm_id_key,
}


def comparison_key(field: str, value: Any) -> Any:
    """What two values of `field` must share to be the same value (the value itself if not keyed)."""
    keyer = KEYED_FIELDS.get(field)
    if keyer is None or not isinstance(value, str):
        return value
    key = keyer(value)
    return value if key is None else key
