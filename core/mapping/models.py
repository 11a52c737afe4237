"""Pydantic request/response models of the mapping service.

`FieldMappingSuggestion` is what the engine returns for each source column (the CLI prints its
contract fields); `ManualMappingRequest` is what a consultant submits when mapping by hand —
validated against the data types and the target schema so a typo cannot reach the database.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.mapping.schema import DATA_TYPES, load_any_schema

MatchType = Literal["exact", "synonym", "fuzzy", "semantic", "value_pattern", "learned", "none"]
DataType = Literal["string", "integer", "float", "boolean", "datetime", "json"]
CONTRACT_KEYS: tuple[str, ...] = (
    "source_field",
    "target_field",
    "confidence",
    "match_type",
    "transformation_rules",
    "explanation",
)


def _check_target(name: str | None) -> str | None:
    if name is None:
        return None
    if name not in load_any_schema():  # an asset or a connection target
        raise ValueError(f"unknown target field {name!r}")
    return name


class Alternative(BaseModel):
    """A runner-up target, for review screens."""

    model_config = ConfigDict(frozen=True)

    target_field: str
    confidence: float = Field(ge=0.0, le=1.0)


class FieldMappingSuggestion(BaseModel):
    """The engine's suggestion for one source column."""

    model_config = ConfigDict(frozen=True)

    source_field: str
    target_field: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    match_type: MatchType
    transformation_rules: dict[str, Any] | None = None
    explanation: str
    data_type: DataType | None = None
    alternatives: tuple[Alternative, ...] = ()
    position: int = 0

    @field_validator("target_field")
    @classmethod
    def _known_target(cls, v: str | None) -> str | None:
        return _check_target(v)

    @model_validator(mode="after")
    def _none_is_unmapped(self) -> FieldMappingSuggestion:
        if (self.target_field is None) != (self.match_type == "none"):
            raise ValueError("match_type 'none' goes with target_field null, and only with it")
        return self

    def contract_dict(self) -> dict[str, Any]:
        """Exactly the keys of the `map suggest` JSON contract, in contract order."""
        data = self.model_dump()
        return {k: data[k] for k in CONTRACT_KEYS}


Suggestion = FieldMappingSuggestion


class ManualMappingRequest(BaseModel):
    """A consultant's own mapping of one column (or an explicit 'leave unmapped')."""

    model_config = ConfigDict(str_strip_whitespace=True)

    source_field: str = Field(min_length=1)
    target_field: str | None
    data_type: DataType | None = None
    transformation_rules: dict[str, Any] | None = None
    note: str | None = None

    @field_validator("target_field")
    @classmethod
    def _known_target(cls, v: str | None) -> str | None:
        return _check_target(v or None)

    @field_validator("data_type", mode="before")
    @classmethod
    def _known_type(cls, v: Any) -> Any:
        if v is not None and v not in DATA_TYPES:
            raise ValueError(f"data_type must be one of {', '.join(DATA_TYPES)}")
        return v

    @field_validator("transformation_rules")
    @classmethod
    def _scale_is_number(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v and "scale" in v and (isinstance(v["scale"], bool) or not isinstance(v["scale"], int | float)):
            raise ValueError("transformation_rules.scale must be a number")
        if v and "invert" in v and not isinstance(v["invert"], bool):
            raise ValueError("transformation_rules.invert must be true or false")
        return v

    @model_validator(mode="after")
    def _default_type(self) -> ManualMappingRequest:
        """Without an explicit type the column takes its target's contract type."""
        if self.target_field is not None and self.data_type is None:
            self.data_type = load_any_schema()[self.target_field].type  # type: ignore[assignment]
        return self
