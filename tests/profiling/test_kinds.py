"""Value kinds and shapes of the profiler, on single values (no database).

Why the equivalence test: `classify` skips the patterns a value's characters rule out; that must
never change an answer, so it is compared with trying every pattern on each value.
"""

from __future__ import annotations

import re

import numpy as np

from core.profiling import kinds as K
from core.profiling.model import KINDS

CORPUS = [
    "1", "-42", "+7", "007", "1.5", ".5", "1e5", "-2.5E-3", "1,024", "2,5", "1.234,5", "1 024", "12,345,678",
    "10.0.0.1", "256.1.1.1", "10.100.200.100", "1.2.3", "7.0.3",
    "::1", "fe80::1%eth0", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1", "10:00:00", "1:2",
    "00:11:22:33:44:55", "00-11-22-33-44-55", "0011.2233.4455",
    "c56a4180-65aa-42ec-a945-5fd21dec0538", "{C56A4180-65AA-42EC-A945-5FD21DEC0538}",
    "a@b.com", "first.last+tag@example.co.uk", "jörg@example.de", "@nope",
    "2024-01-05", "05/01/2024", "5/1/24", "05.01.2024", "5 Jan 2024", "05-Jan-2024", "Jan 5, 2024",
    "2024-01-05T10:00:00Z", "2024/12/31 10:00:00", "05.01.2024 10:00", "1/2/2024 3:04 PM",
    "2024-01-05 10:00 UTC",
    "srv.corp.local", "web000123.corp.example.com", "a.b", "file.txt", "host_1.example.com",
    "web000123", "yes", "NO", "Enabled", "true", "on", "x", "Virtual", "legacy app, check licence",
    "R01-U42", "SN-123456", "Größe", "ÄÖÜ-123", "n/a", "a" * 80 + ".example.com", "1" * 70,
]  # fmt: skip


def _every_pattern(values: list[str]) -> list[str]:
    rx = re.compile("|".join(f"(?P<{k}>{p})" for k, p in K._PATTERNS.items()))
    return [m.lastgroup if (m := rx.fullmatch(v)) else "string" for v in values]  # type: ignore[misc]


def _names(codes: np.ndarray) -> list[str]:
    return [KINDS[c] if c < len(KINDS) else "number" for c in codes]


def test_routing_changes_no_answer() -> None:
    assert _names(K.classify(K.texts(CORPUS))) == _every_pattern(CORPUS)


def test_kinds_of_typical_inventory_values() -> None:
    expected = {
        "1": "integer", "1.5": "float", "1,024": "number", "10.0.0.1": "ipv4", "256.1.1.1": "string",
        "10.100.200.100": "ipv4", "fe80::1%eth0": "ipv6", "::ffff:10.0.0.1": "ipv6", "10:00:00": "string",
        "00:11:22:33:44:55": "mac", "0011.2233.4455": "mac", "{C56A4180-65AA-42EC-A945-5FD21DEC0538}": "uuid",
        "jörg@example.de": "email", "5/1/24": "date", "Jan 5, 2024": "date", "1/2/2024 3:04 PM": "datetime",
        "2024-01-05T10:00:00Z": "datetime", "srv.corp.local": "fqdn", "web000123": "string",
        "Enabled": "boolean",
        "7.0.3": "string", "x": "string",
    }  # fmt: skip
    got = dict(zip(CORPUS, _names(K.classify(K.texts(CORPUS))), strict=True))
    assert {v: got[v] for v in expected} == expected


def test_patterns_are_shapes_or_class_names() -> None:
    values = ["R01-U42", "Größe", "10.0.0.1", "2024-01-05", "a" * 50, "SN-123456"]
    text = K.texts(values)
    at, keys, _first = K.patterns(text, K.classify(text))
    assert [K.pattern_name(str(keys[i])) for i in at] == [
        "A99-A99", "AAAAA", "IPv4", "date 9999-99-99", "A" * 40 + "…", "AA-999999",
    ]  # fmt: skip


def test_numbers_follow_the_columns_decimal_mark() -> None:
    values = ["1,5", "1.024", "3"]
    codes = K.classify(K.texts(values))
    numbers, mark = K.read_numbers(values, codes)
    assert mark == "," and list(numbers) == [1.5, 1024.0, 3.0]  # "1.024" groups thousands here
    assert _names(codes) == ["float", "integer", "integer"]
    plain = ["1.024", "2"]
    numbers, mark = K.read_numbers(plain, K.classify(K.texts(plain)))
    assert mark == "." and list(numbers) == [1.024, 2.0]
