"""Which normaliser a canonical string field goes through, and which of them are enumerations.

The enumerated fields and their values are those of `resources/value_enums.yaml`
(`core.values.enums`); the network fields have their own normalisers (`core.values.network`).
"""

from __future__ import annotations

from collections.abc import Callable

from core.values.enums import enum_sets, normaliser
from core.values.network import normalise_domain, normalise_hostname, normalise_ip, normalise_mac
from core.values.problems import Coerced

STRING_NORMALISERS: dict[str, Callable[[str], Coerced]] = {
    "hostname": normalise_hostname,
    "fqdn": normalise_hostname,
    "dns_domain": normalise_domain,
    "ip_address": normalise_ip,
    "mac_address": normalise_mac,
    **{name: normaliser(enum) for name, enum in enum_sets().items()},
}
#: enumerations whose values the normaliser rewrites (rule label "enum")
ENUM_FIELDS = frozenset(enum_sets())
