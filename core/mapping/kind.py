"""What kind of file an import is — an asset inventory or a connection export — from its columns.

Why from the columns: a consultant drops whatever the client sent (an RVTools workbook, an Azure
Migrate dependency export, netstat output of every server); the kind decides which target schema
the mapping review suggests (`resources/target_schema.yaml` or `resources/connection_schema.yaml`)
and what the `asset_inventory` phase makes of the records (assets, or `asset_dependencies`).
A connection export names both ends of a connection: a source side and a destination side
(Source …/Destination …, Src/Dst, From/To, Server A/Server B, Local/Foreign or Peer Address).
`import --kind` overrides the guess; the import keeps it in `import_metadata["kind"]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from core.mapping.schema import TargetSchema, load_connection_schema

ImportKind = Literal["assets", "connections"]
KINDS: tuple[ImportKind, ...] = ("assets", "connections")

_SOURCE = re.compile(r"^(source|src|from|client|local|server a|host a|quell|von)\b")
_TARGET = re.compile(r"^(destination|dest|dst|target|to|server b|host b|foreign|peer|remote|ziel|nach)\b")


def _norm(header: str) -> str:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header or ""))
    return " ".join(re.sub(r"[^0-9a-zà-ÿ]+", " ", text.casefold()).split())


@dataclass(frozen=True, slots=True)
class KindGuess:
    """The recognised kind and why (shown in the wizard and stored on the import)."""

    kind: ImportKind
    reason: str
    source_columns: tuple[str, ...] = ()
    target_columns: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "source_columns": list(self.source_columns),
            "target_columns": list(self.target_columns),
        }


def detect_kind(headers: Iterable[str]) -> KindGuess:
    """`connections` when the columns name a source side and a destination side, else `assets`."""
    names = [str(h) for h in headers]
    sources = tuple(h for h in names if _SOURCE.match(_norm(h)))
    targets = tuple(h for h in names if _TARGET.match(_norm(h)))
    if sources and targets:
        return KindGuess(
            "connections",
            f"columns name both ends of a connection ({sources[0]!r} and {targets[0]!r})",
            sources,
            targets,
        )
    return KindGuess(
        "assets", "no pair of source and destination columns: an inventory of assets", sources, targets
    )


def check_kind(kind: str | None) -> ImportKind | None:
    """A kind given by the user (`--kind`), checked; None when not given."""
    if kind is None or kind == "":
        return None
    if kind not in KINDS:
        from core.errors import UserInputError

        raise UserInputError(f"unknown import kind {kind!r}", hint="use --kind assets or --kind connections")
    return kind  # type: ignore[return-value]


def import_kind(metadata: Any) -> ImportKind:
    """The kind an import was stored with (`import_metadata["kind"]`; `assets` for older imports)."""
    kind = metadata.get("kind") if isinstance(metadata, dict) else None
    return "connections" if kind == "connections" else "assets"


def _exact_names(schema: TargetSchema) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in schema.fields:
        for text in (f.name.replace("_", " "), *f.synonyms):
            out.setdefault(_norm(text), f.name)
    return out


def suggest_for_schema(
    columns: Sequence[tuple[str, Sequence[str]]],
    *,
    schema: TargetSchema | None = None,
    learned: Iterable[Any] | None = None,
) -> list[Any]:
    """Suggestions onto a connection schema: the mapping engine's, with exact synonyms deciding first.

    The engine's header reading is tuned to inventories (it reads "To" and "B" as units, "Port" as
    installed software); in a connection export a header spelled exactly as a synonym of the
    connection schema means that field, so those win and the engine fills in the rest.
    """
    from core.mapping import suggest_mappings
    from core.mapping.models import FieldMappingSuggestion

    schema = schema or load_connection_schema()
    engine = suggest_mappings(columns, learned=learned, use_semantic=False, schema=schema)
    exact = _exact_names(schema)
    hits: dict[int, str] = {}
    taken: set[str] = set()
    for pos, (header, _values) in enumerate(columns):
        target = exact.get(_norm(header))
        if target is not None and target not in taken:
            hits[pos] = target
            taken.add(target)
    out: list[Any] = []
    for pos, s in enumerate(engine):
        if s.match_type == "learned" and s.target_field not in taken:
            out.append(s)
        elif pos in hits:
            target = hits[pos]
            out.append(
                FieldMappingSuggestion(
                    source_field=s.source_field,
                    target_field=target,
                    confidence=0.95,
                    match_type="synonym",
                    transformation_rules=None,
                    explanation=f"'{s.source_field}' is a name for {target} in connection exports",
                    data_type=schema[target].type,
                    position=s.position,
                )
            )
        elif s.target_field is not None and s.target_field in taken:
            out.append(
                FieldMappingSuggestion(
                    source_field=s.source_field,
                    target_field=None,
                    confidence=0.6,
                    match_type="none",
                    explanation=f"{s.target_field} goes to another column named exactly for it",
                    position=s.position,
                )
            )
        else:
            out.append(s)
    return out
