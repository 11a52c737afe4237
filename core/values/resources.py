"""Reading the YAML files of `resources/` once per process.

The vocabulary (core.mapping.vocabulary) and the unit table here read the same
`mapping_vocabulary.yaml`; one cached read keeps them on one copy of the data. Callers must not
mutate what they get.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@lru_cache(maxsize=8)
def read_yaml(name: str) -> Any:
    """The parsed content of `resources/<name>` (cached; treat it as read-only)."""
    text = resources.files("resources").joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
