"""The 6R assessment: a disposition per application (or per asset without one), with its reasons.

Why rules in a file: a consultant signs off the recommendations, so every one must be traceable to a
rule they can read (`resources/sixr_rules.yaml`, which explains how rules combine) and to the assets
and values that made it hold. Inputs are plain dicts of asset fields (the asset schema's names), the
tech-debt findings (`{"asset", "component", "status", "product", "version", "end_of_support"}`) and
the consultants' overrides, which always win — the caller stores them, so they survive every re-run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.errors import UserInputError
from core.planning.model import application_names
from core.values.enums import enum_set
from core.values.resources import read_yaml

RULES_FILE = "sixr_rules.yaml"
DISPOSITIONS = ("rehost", "replatform", "refactor", "repurchase", "retire", "retain", "relocate")
_OPS = ("in", "matches", "table", "older_than_days")


@dataclass(frozen=True)
class Override:
    """A consultant's decision for one application (or one asset without application)."""

    disposition: str
    reason: str
    by: str
    application: str | None = None
    asset: str | None = None
    at: datetime | None = None

    def __post_init__(self) -> None:
        target = (
            f"application {self.application!r}" if self.application is not None else f"asset {self.asset!r}"
        )
        if (self.application is None) == (self.asset is None):
            raise UserInputError("a 6R override names either an application or an asset")
        if self.disposition not in DISPOSITIONS:
            raise UserInputError(
                f"6R override of {target}: unknown disposition {self.disposition!r}",
                hint="use one of " + ", ".join(DISPOSITIONS),
            )
        if not str(self.reason or "").strip():
            raise UserInputError(
                f"6R override of {target}: a reason is required", hint="say why the rules are wrong"
            )
        if not str(self.by or "").strip():
            raise UserInputError(f"6R override of {target}: who decided it is required")


@dataclass(frozen=True)
class Recommendation:
    application: str | None
    assets: tuple[str, ...]
    """display names (hostname, else asset name, else id)"""
    asset_ids: tuple[str, ...]
    disposition: str
    confidence: float
    reasons: tuple[str, ...]
    recommended: str
    """what the rules say (equals `disposition` unless overridden)"""
    rules: tuple[str, ...]
    """ids of the rules that held, the deciding one first"""
    overridden_by: str | None = None

    def to_contract(self) -> dict[str, Any]:
        return {
            "application": self.application,
            "assets": list(self.assets),
            "disposition": self.disposition,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "overridden_by": self.overridden_by,
        }


@dataclass
class SixRResult:
    recommendations: list[Recommendation]
    as_of: date
    unmatched_overrides: list[Override] = field(default_factory=list)
    """overrides whose application or asset is no longer in the estate (kept by the caller, not applied)"""

    def to_contract(self) -> dict[str, Any]:
        """The `plan sixr` JSON shape of ../shared/contracts/cli.md."""
        return {"recommendations": [r.to_contract() for r in self.recommendations]}


# --- rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Test:
    kind: str
    """field | techdebt | option | application"""
    name: str
    op: str
    arg: Any


@dataclass(frozen=True)
class Rule:
    id: str
    disposition: str
    confidence: float
    applies: str
    reason: str
    tests: tuple[tuple[_Test, ...], ...]
    """alternatives (any_of), each a conjunction"""
    alternative: str | None = None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    tables: Mapping[str, tuple[tuple[re.Pattern[str], str], ...]]
    contested: float
    floor: float
    default: Mapping[str, Any]


def _bad(rule: str, message: str) -> UserInputError:
    return UserInputError(
        f"6R rule {rule!r}: {message}",
        file=f"resources/{RULES_FILE}",
        hint="see the comments at the top of the file",
    )


def _compile_test(rule: str, key: str, spec: Any, tables: Mapping[str, Any]) -> _Test:
    if key == "option":
        return _Test("option", str(spec), "on", True)
    if key == "techdebt":
        if not isinstance(spec, Mapping) or spec.get("component") not in ("os", "database"):
            raise _bad(rule, "techdebt needs component: os or database")
        statuses = spec.get("status") or []
        return _Test("techdebt", spec["component"], "status", frozenset(statuses))
    if not isinstance(spec, Mapping) or len(spec) != 1 or next(iter(spec)) not in _OPS:
        raise _bad(rule, f"condition on {key!r} needs exactly one of " + ", ".join(_OPS))
    op, arg = next(iter(spec.items()))
    kind = "application" if key == "application" else "field"
    if op == "in":
        arg = frozenset(str(v).casefold() for v in arg)
    elif op == "matches":
        try:
            arg = tuple(re.compile(p, re.IGNORECASE) for p in arg)
        except re.error as exc:
            raise _bad(rule, f"bad regular expression on {key!r}: {exc}") from None
    elif op == "table":
        if arg not in tables:
            raise _bad(rule, f"no table {arg!r} under `tables`")
    elif op == "older_than_days":
        arg = int(arg)
    return _Test(kind, key, op, arg)


def load_rules(data: Mapping[str, Any] | None = None) -> RuleSet:
    """The rule set of `data` (default: resources/sixr_rules.yaml), checked; a bad rule is named."""
    data = read_yaml(RULES_FILE) if data is None else data
    tables: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {}
    for name, rows in (data.get("tables") or {}).items():
        try:
            tables[name] = tuple(
                (re.compile(r["match"], re.IGNORECASE), str(r.get("note", ""))) for r in rows
            )
        except (re.error, KeyError, TypeError) as exc:
            raise _bad(f"tables.{name}", f"each row needs a valid `match` pattern ({exc})") from None
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw in data.get("rules") or []:
        rid = str(raw.get("id") or "")
        if not rid or rid in seen:
            raise _bad(rid or "?", "every rule needs its own id")
        seen.add(rid)
        if raw.get("disposition") not in DISPOSITIONS:
            raise _bad(rid, f"disposition must be one of {', '.join(DISPOSITIONS)}")
        if raw.get("applies", "any") not in ("any", "all"):
            raise _bad(rid, "applies must be any or all")
        if raw.get("alternative") is not None and raw["alternative"] not in DISPOSITIONS:
            raise _bad(rid, "alternative must be a disposition")
        when = raw.get("when") or {}
        if not when:
            raise _bad(rid, "a rule needs a `when`")
        branches = [when] if "any_of" not in when else list(when["any_of"])
        common = {k: v for k, v in when.items() if k != "any_of"}
        tests = tuple(
            tuple(_compile_test(rid, k, v, tables) for k, v in {**common, **branch}.items())
            for branch in branches
        )
        rules.append(
            Rule(
                rid,
                raw["disposition"],
                float(raw.get("confidence", 0.5)),
                raw.get("applies", "any"),
                str(raw.get("reason", rid)),
                tests,
                raw.get("alternative"),
            )
        )
    conf = data.get("confidence") or {}
    default = data.get("default") or {"disposition": "rehost", "confidence": 0.5, "reason": "default"}
    if default.get("disposition") not in DISPOSITIONS:
        raise _bad("default", "disposition must be a disposition")
    return RuleSet(
        tuple(rules), tables, float(conf.get("contested", 0.1)), float(conf.get("floor", 0.3)), default
    )


# --- assets ----------------------------------------------------------------------------------------


@dataclass
class _Asset:
    key: str
    label: str
    fields: Mapping[str, Any]
    applications: list[str]
    findings: list[Mapping[str, Any]]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _applications(value: Any) -> list[str]:
    return list(application_names(value))


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        from dateutil import parser

        return parser.parse(text).date()
    except (ValueError, OverflowError):
        return None


def _normalised(field_name: str, value: str) -> str:
    enum = enum_set(field_name)
    canon = enum.lookup(value) if enum is not None else None
    return (canon or value).casefold()


def _check(
    test: _Test,
    asset: _Asset,
    application: str | None,
    rules: RuleSet,
    as_of: date,
    options: Mapping[str, Any],
) -> str | None:
    """What made `test` hold on `asset` (a short text), or None when it does not hold."""
    if test.kind == "option":
        return "" if options.get(test.name) else None
    if test.kind == "techdebt":
        for f in asset.findings:
            if f.get("component") == test.name and f.get("status") in test.arg:
                product = (
                    " ".join(x for x in (_text(f.get("product")), _text(f.get("version"))) if x) or test.name
                )
                eos = _text(f.get("end_of_support"))
                return f"{product}: {f.get('status')}" + (f", end of support {eos}" if eos else "")
        return None
    value = application if test.kind == "application" else asset.fields.get(test.name)
    if test.op == "older_than_days":
        seen = _as_date(value)
        if seen is None:
            return None
        days = (as_of - seen).days
        return (
            f"{test.name} {seen.isoformat()} ({days} days before {as_of.isoformat()})"
            if days > test.arg
            else None
        )
    text = _text(value)
    if not text:
        return None
    if test.op == "in":
        return f"{test.name} {text!r}" if _normalised(test.name, text) in test.arg else None
    if test.op == "matches":
        return f"{test.name} {text!r}" if any(p.search(text) for p in test.arg) else None
    for pattern, note in rules.tables[test.arg]:
        if pattern.search(text):
            return f"{test.name} {text!r} → {note}" if note else f"{test.name} {text!r}"
    return None


def _holds(
    rule: Rule,
    asset: _Asset,
    application: str | None,
    rules: RuleSet,
    as_of: date,
    options: Mapping[str, Any],
) -> str | None:
    for branch in rule.tests:
        details = []
        for test in branch:
            detail = _check(test, asset, application, rules, as_of, options)
            if detail is None:
                break
            if detail:
                details.append(detail)
        else:
            return "; ".join(details)
    return None


# --- assessment ------------------------------------------------------------------------------------


def assess(
    assets: Iterable[Mapping[str, Any]],
    findings: Iterable[Mapping[str, Any]] = (),
    overrides: Sequence[Override] = (),
    *,
    as_of: date | None = None,
    options: Mapping[str, Any] | None = None,
    rules: RuleSet | None = None,
) -> SixRResult:
    """A recommendation per application (assets grouped by `application_name`), and per asset without."""
    rules = rules or load_rules()
    as_of = as_of or date.today()
    options = options or {}
    items: list[_Asset] = []
    by_key: dict[str, _Asset] = {}
    for i, raw in enumerate(assets):
        key = _text(raw.get("id")) or _text(raw.get("hostname")) or _text(raw.get("asset_name"))
        if not key:
            raise UserInputError(
                f"asset {i + 1} has no id, hostname or asset name", hint="every asset needs one"
            )
        label = _text(raw.get("hostname")) or _text(raw.get("asset_name")) or key
        a = _Asset(key, label, raw, _applications(raw.get("application_name")), [])
        items.append(a)
        by_key[key] = a
    lookup: dict[str, _Asset] = {}
    for a in items:  # findings name the asset by id, hostname or asset name
        for k in (a.fields.get("asset_name"), a.fields.get("hostname"), a.key):
            if _text(k):
                lookup[_text(k).casefold()] = a
    for f in findings:
        a = by_key.get(_text(f.get("asset"))) or lookup.get(_text(f.get("asset")).casefold())
        if a is not None:
            a.findings.append(f)

    units: dict[str, tuple[str | None, list[_Asset]]] = {}
    for a in items:
        if a.applications:
            for app in a.applications:
                units.setdefault("app:" + app.casefold(), (app, []))[1].append(a)
        else:
            units["asset:" + a.key] = (None, [a])

    by_app = {o.application.casefold(): o for o in overrides if o.application is not None}
    by_asset = {o.asset.casefold(): o for o in overrides if o.asset is not None}
    used: set[int] = set()
    out: list[Recommendation] = []
    for _key, (app, members) in sorted(units.items(), key=lambda kv: (kv[1][0] is None, kv[0])):
        rec = _recommend(app, members, rules, as_of, options)
        override = (
            by_app.get(app.casefold())
            if app is not None
            else by_asset.get(members[0].key.casefold()) or by_asset.get(members[0].label.casefold())
        )
        if override is not None:
            used.add(id(override))
            reasons = (
                f"overridden by {override.by}: {override.reason}",
                f"the rules recommend {rec.recommended} ({rec.confidence:.2f})",
                *rec.reasons,
            )
            rec = Recommendation(
                rec.application,
                rec.assets,
                rec.asset_ids,
                override.disposition,
                1.0,
                reasons,
                rec.recommended,
                rec.rules,
                override.by,
            )
        out.append(rec)
    unmatched = [o for o in overrides if id(o) not in used]
    return SixRResult(out, as_of, unmatched)


def _recommend(
    app: str | None, members: list[_Asset], rules: RuleSet, as_of: date, options: Mapping[str, Any]
) -> Recommendation:
    held: list[tuple[Rule, float, str]] = []  # (rule, confidence, reason) that apply to the unit
    notes: list[str] = []
    for rule in rules.rules:
        hits = [(a, d) for a in members if (d := _holds(rule, a, app, rules, as_of, options)) is not None]
        if not hits:
            continue
        share = len(hits) / len(members)
        where = ", ".join(f"{a.label} ({d})" if d else a.label for a, d in hits[:5])
        if len(hits) > 5:
            where += f" and {len(hits) - 5} more"
        if rule.applies == "all" and len(hits) < len(members):
            notes.append(
                f"note {rule.id}: holds on {len(hits)} of {len(members)} assets ({where}), "
                "not all — not applied"
            )
            continue
        conf = rule.confidence if rule.applies == "all" else rule.confidence * (0.75 + 0.25 * share)
        text = f"{rule.id}: {rule.reason} — {where}"
        if rule.alternative:
            text += f" (alternative: {rule.alternative})"
        held.append((rule, conf, text))
    if held:
        winner, confidence, _ = held[0]
        disposition = winner.disposition
        others = {r.disposition for r, _c, _t in held} - {disposition}
        confidence = max(rules.floor, confidence - rules.contested * len(others))
        reasons = [t for _r, _c, t in held]
    else:
        d = rules.default
        disposition = d["disposition"]
        has_os = any(_text(a.fields.get("operating_system")) for a in members)
        confidence = float(d.get("confidence", 0.5) if has_os else d.get("confidence_without_os", 0.4))
        reason = (
            d.get("reason", "default") if has_os else d.get("reason_without_os", d.get("reason", "default"))
        )
        reasons = [f"default: {reason}"]
    return Recommendation(
        application=app,
        assets=tuple(a.label for a in members),
        asset_ids=tuple(a.key for a in members),
        disposition=disposition,
        confidence=round(confidence, 2),
        reasons=tuple(reasons + notes),
        recommended=disposition,
        rules=tuple(r.id for r, _c, _t in held),
    )
