"""Normalising network values: IP addresses, MAC addresses, host names and DNS domains.

The first valid address of a list is the primary one; MACs become `aa:bb:cc:dd:ee:ff`; host names
are lower case (a dotted name is kept whole here; `core.values.derive` splits host and domain).
"""

from __future__ import annotations

import ipaddress
import re

from core.values.problems import Coerced, Problem

_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")
_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})$")
_LIST = re.compile(r"[\s,;|]+")


def normalise_ip(text: str) -> Coerced:
    """The first valid address of a list is the primary one (CIDR suffix and zone dropped)."""
    bad: list[str] = []
    for part in _LIST.split(text.strip()):
        if not part:
            continue
        candidate = part.strip("[]()").split("%", 1)[0].split("/", 1)[0]
        try:
            return str(ipaddress.ip_address(candidate)), None
        except ValueError:
            bad.append(part)
    return None, Problem("ip", f"no valid IP address in {text!r}")


def normalise_mac(text: str) -> Coerced:
    """`AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `AABBCCDDEEFF` -> `aa:bb:cc:dd:ee:ff` (first of a list)."""
    for part in _LIST.split(text.strip()):
        if not part:
            continue
        hexdigits = re.sub(r"[:\-.]", "", part.lower())
        if _MAC_HEX.match(hexdigits):
            return ":".join(hexdigits[i : i + 2] for i in range(0, 12, 2)), None
    return None, Problem("mac", f"{text!r} is not a MAC address")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def normalise_hostname(text: str) -> Coerced:
    """Lower-case host name; a dotted name is kept whole here and split by `derive_fields`."""
    name = text.strip().rstrip(".").lower()
    if "\\" in name:  # DOMAIN\host
        name = name.rsplit("\\", 1)[1]
    if _is_ip(name):
        return None, Problem("hostname", f"{text!r} is an IP address, not a host name")
    labels = name.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        return None, Problem("hostname", f"{text!r} is not a valid host name")
    return name, None


def normalise_domain(text: str) -> Coerced:
    """A DNS domain in lower case, without leading or trailing dots."""
    name = text.strip().strip(".").lower()
    if not name or " " in name:
        return None, Problem("hostname", f"{text!r} is not a DNS domain")
    return name, None
