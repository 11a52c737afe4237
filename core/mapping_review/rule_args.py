"""Transformation rules typed as `KEY=VALUE` words (`map set ... --rule scale=1/1024`).

Turns each word into one entry of the rules dict that `core.values.rules` applies. Values are
read as JSON when they parse (`true`, `0.5`, `{"Yes": true}`), as a fraction for `a/b`
(`scale=1/1024`, MB -> GB), else as text (`case=lower`, `split=;`). Unknown keys are refused
with the known ones listed: `apply_rules` ignores unknown keys, so a typo would otherwise be
stored and silently do nothing. The shape of the result is checked by `validate_rules`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from typing import Any

from core.mapping_review.errors import MappingDecisionError
from core.values.rules import RULE_KEYS, TEXT_RULE_KEYS, validate_rules

_FRACTION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")
_HINT = "write each rule as KEY=VALUE, e.g. --rule scale=1/1024 --rule case=lower"


def _value(key: str, text: str) -> Any:
    if key in TEXT_RULE_KEYS:
        return text
    fraction = _FRACTION.match(text)
    if fraction and float(fraction.group(2)) != 0:
        return float(fraction.group(1)) / float(fraction.group(2))
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_rule_args(words: Sequence[str], *, column: str | None = None) -> dict[str, Any] | None:
    """The rules dict of `KEY=VALUE` words (None for no words); `MappingDecisionError` names the bad one."""
    rules: dict[str, Any] = {}
    for word in words:
        key, sep, text = word.partition("=")
        key = key.strip()
        if not sep or not key:
            raise MappingDecisionError(message=f"rule {word!r} is not KEY=VALUE", column=column, hint=_HINT)
        if key not in RULE_KEYS:
            close = difflib.get_close_matches(key, RULE_KEYS, n=1)
            raise MappingDecisionError(
                message=f"unknown rule {key!r}",
                column=column,
                hint=(f"did you mean {close[0]!r}? " if close else "")
                + f"the rules are {', '.join(RULE_KEYS)}",
            )
        rules[key] = _value(key, text)
    problems = validate_rules(rules)
    if problems:
        raise MappingDecisionError(message="; ".join(problems), column=column, hint=_HINT)
    return rules or None
