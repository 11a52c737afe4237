"""Per-record derivations: fields implied by others (host / FQDN / domain split, OS, OS family).

An RVTools VM whose VMware Tools report no OS (powered off, a template) still has the OS it is
configured for (`os_configured`, "OS according to the configuration file"): it is the best
`operating_system` there is, so it fills an empty one (lineage: derived from os_configured).

Run on one record's converted values after every field went through its coercer.
"""

from __future__ import annotations

from typing import Any

from core.values.enums import os_family_of


def derive_fields(values: dict[str, Any]) -> dict[str, str]:
    """Fill fields implied by others (host/FQDN/domain split, OS family); returns field -> source.

    Only fills what is missing: a mapped value always wins over a derived one.
    """
    derived: dict[str, str] = {}
    host = values.get("hostname")
    fqdn = values.get("fqdn")
    if host and "." in host:  # FQDN in the host-name column
        short, _, domain = host.partition(".")
        values["hostname"] = short
        derived["hostname"] = "hostname"
        if not fqdn:
            values["fqdn"] = fqdn = host
            derived["fqdn"] = "hostname"
    if fqdn and "." not in fqdn:  # a short name in the FQDN column
        if not values.get("hostname"):
            values["hostname"] = fqdn
            derived["hostname"] = "fqdn"
        del values["fqdn"]
        fqdn = None
    if fqdn:
        short, _, domain = fqdn.partition(".")
        if not values.get("hostname"):
            values["hostname"] = short
            derived["hostname"] = "fqdn"
        if not values.get("dns_domain"):
            values["dns_domain"] = domain
            derived["dns_domain"] = "fqdn"
    os_source = "operating_system"
    if not values.get("operating_system") and values.get("os_configured"):
        values["operating_system"] = values["os_configured"]
        derived["operating_system"] = os_source = "os_configured"
    os_name = values.get("operating_system")
    if os_name and not values.get("os_family"):
        values["os_family"] = os_family_of(os_name)
        derived["os_family"] = os_source  # the field whose cell holds the OS name
    return derived
