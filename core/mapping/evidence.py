"""Combine name, value, context, semantic and learned evidence into scored candidates per column.

Each candidate keeps the reasons that moved its score, so the one-line explanation a
consultant reads is exactly the evidence the engine used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.mapping.learned import LearnedHint
from core.mapping.normalize import HeaderForm
from core.mapping.phrases import NameMatch, subject_phrases
from core.mapping.schema import TargetField, TargetSchema
from core.mapping.units import UnitDecision, decide_unit, plausible
from core.mapping.values import ValueProfile, kind_fit
from core.mapping.vocabulary import Vocabulary

VETO_FACTOR = 0.3
IP_TARGETS = frozenset({"ip_address", "subnet", "vcenter", "physical_host"})
YES_NO_TARGETS = frozenset(
    {
        "business_criticality",
        "operational_status",
        "power_state",
        "tags",
        "description",
        "data_classification",
        "environment",
    }
)
MIN_CANDIDATE = 0.35
SEMANTIC_MIN_COS = 0.55

KIND_WORDS: dict[str, str] = {
    "ipv4": "IPv4 addresses",
    "ipv6": "IPv6 addresses",
    "ip_list": "lists of IP addresses",
    "mac": "MAC addresses",
    "mac_list": "lists of MAC addresses",
    "fqdn": "fully qualified DNS names",
    "hostname": "host names",
    "moref": "VMware MoRefs",
    "uuid": "UUIDs",
    "vmware_serial": "VMware serial numbers",
    "hex_id": "record ids",
    "cidr": "CIDR subnets",
    "os_name": "operating-system names",
    "cpu_model": "processor models",
    "tags": "key:value tags",
    "date": "dates",
    "datetime": "timestamps",
    "boolean": "yes/no values",
    "number": "numbers",
    "integer": "whole numbers",
    "version": "version numbers",
    "person": "person names",
    "email": "e-mail addresses",
    "text": "text",
}


@dataclass
class Candidate:
    """One target for one column, with its score and the reasons behind it."""

    target: str
    score: float
    match_type: str
    reasons: list[str] = field(default_factory=list)
    invert: bool = False
    unit: UnitDecision = field(default_factory=UnitDecision)
    veto: str | None = None
    name_score: float = 0.0

    def add(self, delta: float, reason: str | None = None) -> None:
        self.score += delta
        if reason:
            self.reasons.append(reason)

    def reject(self, reason: str) -> None:
        self.score *= VETO_FACTOR
        self.veto = self.veto or reason


@dataclass
class ColumnEvidence:
    """Everything known about one column before the global assignment."""

    position: int
    header: str
    form: HeaderForm
    profile: ValueProfile
    candidates: dict[str, Candidate] = field(default_factory=dict)
    no_target: NameMatch | None = None
    learned: LearnedHint | None = None
    note: str = ""

    def ranked(self) -> list[Candidate]:
        return sorted(self.candidates.values(), key=lambda c: -c.score)


def _kind_words(kinds: Sequence[str]) -> str:
    words = [KIND_WORDS.get(k, k.replace("enum:", "").replace("_", " ") + " words") for k in kinds[:2]]
    return " or ".join(words)


def _name_reason(header: str, m: NameMatch) -> str:
    if m.match_type == "exact":
        return f"'{header}' is the field name {m.target}"
    if m.match_type == "fuzzy":
        return f"'{header}' ≈ '{m.phrase.text}' ({m.note})" if m.note else f"'{header}' ≈ '{m.phrase.text}'"
    kind = {"weak": "often means", "inverse": "is the opposite of"}.get(m.phrase.kind, "is a name for")
    return f"'{header}' {kind} {m.target} (as '{m.phrase.text}')"


def name_candidates(
    header: str,
    form: HeaderForm,
    profile: ValueProfile,
    matches: Mapping[str, NameMatch],
    schema: TargetSchema,
) -> tuple[dict[str, Candidate], NameMatch | None]:
    """Candidates from name evidence, plus the best no-target concept match."""
    cands: dict[str, Candidate] = {}
    best_none: NameMatch | None = None
    for target, m in matches.items():
        if m.is_no_target:
            if best_none is None or m.score > best_none.score:
                best_none = m
            continue
        if target not in schema or m.score < MIN_CANDIDATE:
            continue
        cands[target] = Candidate(
            target, m.score, m.match_type, [_name_reason(header, m)], m.invert, name_score=m.score
        )
    # bare subjects: "CPU %" / "Memory" holding percentages are utilisation figures
    for f in schema.fields:
        if f.dimension != "percent" or f.name in cands:
            continue
        for p in subject_phrases(f.name):
            if not p.form.core or not form.core:
                continue
            rest = form.core - p.form.core
            if not p.form.core <= form.core or rest - {"utilization", "used", "in", "total"}:
                continue
            by_unit = form.unit is not None and form.unit.dimension == "percent"
            if by_unit or (form.unit is None and profile.looks_like_percent()):
                why = "with a % unit" if by_unit else f"with values {profile.range_text()} like percentages"
                kind = "synonym" if by_unit else "value_pattern"
                score = p.base if by_unit else p.base - 0.08
                cands[f.name] = Candidate(
                    f.name, score, kind, [f"'{header}' {why} is {f.name}"], name_score=score
                )
                break
    return cands, best_none


def value_candidates(
    profile: ValueProfile, schema: TargetSchema, existing: Mapping[str, Candidate]
) -> list[Candidate]:
    """Fields suggested by distinctive values alone (IP addresses, MACs, MoRefs, OS names …)."""
    out: list[Candidate] = []
    if profile.nonempty < 2:
        return out
    for f in schema.fields:
        if f.name in existing:
            continue
        for kind, weight in f.values.signal.items():
            if weight <= 0:
                continue
            share = kind_fit(profile, [kind])
            if share >= 0.8:
                score = weight * (0.85 + 0.15 * share)
                out.append(
                    Candidate(
                        f.name,
                        score,
                        "value_pattern",
                        [f"values look like {_kind_words([kind])} ({share:.0%})"],
                    )
                )
                break
    return out


def _check_statistic(c: Candidate, f: TargetField, form: HeaderForm) -> None:
    stat = form.statistic
    if f.statistic == "avg":
        if stat in ("peak", "min"):
            c.reject(f"column holds {'peaks' if stat == 'peak' else 'minimums'}; {f.name} holds averages")
        elif stat is None:
            c.add(-0.02, "no statistic named: taken as average")
    elif f.statistic == "peak":
        if stat != "peak":
            c.reject(
                f"{f.name} needs a peak/max column; this one holds {stat or 'no'} statistic"
                if stat
                else f"{f.name} needs a peak/max column"
            )
    elif stat == "avg":
        c.add(-0.15, "an average is not a configured value")
    elif stat == "min":
        c.add(-0.1)


def _check_quantity(c: Candidate, f: TargetField, form: HeaderForm) -> None:
    q = form.quantities
    if "free" in q and (f.quantity or f.dimension == "percent"):
        c.reject("a free/available amount has no target")
    elif f.quantity == "capacity" and "used" in q:
        c.reject(f"a used amount is not the {f.name.replace('_', ' ')} capacity")
    elif f.quantity == "used" and "used" not in q:
        c.add(-0.05)


def _check_values(
    c: Candidate,
    f: TargetField,
    profile: ValueProfile,
    form: HeaderForm,
    vocab: Vocabulary,
    schema: TargetSchema,
) -> None:
    if profile.empty:
        return
    spec = f.values
    fit = kind_fit(profile, spec.kinds) if spec.kinds else 1.0
    example = f" (e.g. '{profile.examples[0]}')" if profile.examples else ""
    if spec.strict and fit < 0.5:
        c.reject(f"values are not {_kind_words(spec.kinds)}{example}")
        return
    if f.type == "boolean" and fit < 0.8:
        c.reject(f"values are not yes/no{example}")
        return
    if (
        f.dimension == "data_size"
        and form.unit is None
        and not profile.value_units
        and profile.looks_like_percent()
    ):
        c.reject(f"values {profile.range_text()} look like percentages, not sizes")
        return
    if (
        f.dimension == "percent"
        and profile.numbers
        and ((profile.max or 0) > 100.5 or (profile.min or 0) < 0)
    ):
        c.reject(f"values {profile.range_text()} are not percentages")
        return
    ok = plausible(f, profile, c.unit.scale, vocab)
    if ok is False:
        c.add(-0.25, f"values {profile.range_text()} are unusual for {f.name}")
    elif ok:
        c.add(0.02)
    signal_kinds = [k for k, w in spec.signal.items() if w > 0]
    if signal_kinds and c.match_type != "value_pattern":
        share = kind_fit(profile, signal_kinds)
        if share >= 0.8:
            c.add(0.03, f"values look like {_kind_words(signal_kinds)}")
    enum_kinds = [k for k in spec.kinds if k.startswith("enum:")]
    if enum_kinds and kind_fit(profile, enum_kinds) < 0.2:
        other = _other_enum(profile, f, schema)
        if other:
            c.add(-0.15, f"values look like {other}")
    if not spec.strict and fit < 0.3 and spec.kinds and "text" not in spec.kinds:
        c.add(-0.1, f"values are not {_kind_words(spec.kinds)}{example}")
    if f.type == "json" and profile.frac("tags") < 0.2 and not profile.list_separator:
        c.add(-0.1, "values are single words, not tag lists")
    if f.name == "fqdn" and profile.frac("fqdn") < 0.3 and profile.frac("hostname") >= 0.8:
        c.add(-0.12, "values are short names, not FQDNs")
    if (
        f.name not in IP_TARGETS
        and profile.frac("ip_list") + profile.frac("ipv4") + profile.frac("ipv6") >= 0.8
    ):
        c.reject("values are IP addresses")
    elif (
        f.type != "boolean"
        and f.name not in YES_NO_TARGETS
        and profile.frac("boolean") >= 0.9
        and profile.distinct <= 3
        and profile.frac("number") < 0.9
    ):
        c.reject("values are yes/no")
    if (
        f.type == "json"
        and profile.distinct_ratio >= 0.9
        and profile.nonempty >= 5
        and profile.frac("tags") < 0.2
    ):
        c.add(-0.15, "values are unique per row, not shared tags")


def _other_enum(profile: ValueProfile, f: TargetField, schema: TargetSchema) -> str | None:
    for other in schema.fields:
        if other.name == f.name:
            continue
        for kind in other.values.signal:
            if kind.startswith("enum:") and profile.enums.get(kind[5:], 0.0) >= 0.8:
                return f"{other.name.replace('_', ' ')} values"
    return None


def check_candidate(
    c: Candidate,
    f: TargetField,
    form: HeaderForm,
    profile: ValueProfile,
    vocab: Vocabulary,
    schema: TargetSchema,
) -> None:
    """Adjust a candidate by unit, statistic, quantity, instance number and values."""
    c.unit = decide_unit(f, form, profile, vocab)
    if not c.unit.compatible:
        c.reject(c.unit.note)
    _check_statistic(c, f, form)
    _check_quantity(c, f, form)
    if form.index is not None and form.index >= 2 and not f.list_like:
        c.add(-0.3, f"instance #{form.index}, not the primary one")
    elif form.index == 1 and not f.list_like:
        c.add(-0.04)
    _check_values(c, f, profile, form, vocab, schema)
    if c.unit.note and c.unit.compatible:
        c.reasons.append(c.unit.note)


def apply_context(columns: Sequence[ColumnEvidence], vocab: Vocabulary, schema: TargetSchema) -> None:
    """Cross-column rules: e.g. 'Host' beside a VM column is the hypervisor host (a boost), or
    '# NICs' in a list of hypervisor hosts is no machine's adapter count (a `reject` rule's veto)."""
    cores = [col.form.core for col in columns]
    for rule in vocab.context_rules:
        for col in columns:
            if col.form.core not in rule.headers:
                continue
            others = [core for i, core in enumerate(cores) if i != col.position]
            if not any(core in rule.when_table_has for core in others):
                continue
            if any(core in rule.unless_table_has for core in others):
                continue
            cand = col.candidates.get(rule.prefer)
            if rule.reject:
                if cand is not None:
                    cand.reject(rule.reason)
                continue
            if cand is None and rule.prefer in schema:
                cand = Candidate(rule.prefer, 0.78, "synonym", [f"'{col.header}' often means {rule.prefer}"])
                col.candidates[rule.prefer] = cand
            if cand is not None:
                cand.add(rule.boost, rule.reason)
