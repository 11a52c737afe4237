#!/usr/bin/env python3
"""Our column-mapping suggester vs Valentine's COMA on the same cases, side by side.

    python benchmarks/mapping_vs_coma.py [--cases DIR ...] [--semantic] [-v]

Needs the `bench` extra (valentine==1.0.1). COMA gets the canonical schema as a target table:
one column per field, named by the field, holding the field's example values. Both are scored
like ../shared/benchmarks/mapping/score.py: a column is right when its target (or null) is
among the accepted answers; `false_maps` is the share of null-only columns that got a target.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CASES = [
    ROOT.parent / "shared" / "benchmarks" / "mapping" / "cases",
    ROOT / "tests" / "mapping" / "cases",
]
SAMPLE_ROWS = 200

Predictor = Callable[[list[str], list[list[str]]], list[str | None]]


def read_case(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and up to SAMPLE_ROWS rows of a UTF-8 CSV (delimiter sniffed)."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(text.splitlines(), dialect))
    header, data = rows[0], rows[1 : SAMPLE_ROWS + 1]
    return header, [r + [""] * (len(header) - len(r)) for r in data]


def ours(semantic: bool) -> Predictor:
    from core.mapping import suggest_mappings

    def predict(header: list[str], rows: list[list[str]]) -> list[str | None]:
        cols = [(h, [r[i] for r in rows]) for i, h in enumerate(header)]
        return [s.target_field for s in suggest_mappings(cols, use_semantic=semantic)]

    return predict


# COMA's instance matcher drops English stop words from NLTK, which it downloads at run time;
# offline we hand it the common list instead (it only filters tokens of cell values).
ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)


def _offline_stopwords() -> None:
    from valentine.algorithms.coma.similarity import tfidf

    tfidf._english_stopwords = lambda: ENGLISH_STOPWORDS


def coma(use_instances: bool) -> Predictor:
    import pandas as pd
    from valentine import valentine_match
    from valentine.algorithms import Coma

    _offline_stopwords()

    from core.mapping import load_target_schema

    fields = load_target_schema().fields
    depth = max(len(f.examples) for f in fields) or 1
    target = pd.DataFrame(
        {
            f.name: [f.examples[i % len(f.examples)] if f.examples else "" for i in range(depth)]
            for f in fields
        }
    )

    def predict(header: list[str], rows: list[list[str]]) -> list[str | None]:
        names = [h if h else f"column_{i}" for i, h in enumerate(header)]
        seen: dict[str, int] = {}
        unique = []
        for n in names:  # pandas needs unique column names
            seen[n] = seen.get(n, 0) + 1
            unique.append(n if seen[n] == 1 else f"{n}__{seen[n]}")
        source = pd.DataFrame(rows or [[""] * len(unique)], columns=unique)
        matcher = Coma(use_instances=use_instances, use_schema=True)
        matches = valentine_match(
            [source, target], matcher, df_names=["source", "target"]
        ).one_to_one_hungarian()
        chosen = {pair.source_column: pair.target_column for pair in matches}
        return [chosen.get(n) for n in unique]

    return predict


def score(truth: dict, header: list[str], predicted: Sequence[str | None]) -> dict[str, int]:
    s = {"n": 0, "ok": 0, "mappable": 0, "mappable_ok": 0, "nulls": 0, "false_maps": 0}
    got = dict(zip(header, predicted, strict=True))
    for column, t in truth["columns"].items():
        accept = t["accept"]
        target = got.get(column)
        right = target in accept
        s["n"] += 1
        s["ok"] += right
        if any(a is not None for a in accept):
            s["mappable"] += 1
            s["mappable_ok"] += right
        else:
            s["nulls"] += 1
            s["false_maps"] += target is not None
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", type=Path, default=[d for d in DEFAULT_CASES if d.is_dir()])
    ap.add_argument(
        "--semantic", action="store_true", help="let our suggester use the optional embedding model"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="list every column COMA or we got wrong")
    a = ap.parse_args()
    systems: dict[str, Predictor] = {
        "ours": ours(a.semantic),
        "coma(schema)": coma(False),
        "coma(schema+inst)": coma(True),
    }
    totals = {
        k: {"n": 0, "ok": 0, "mappable": 0, "mappable_ok": 0, "nulls": 0, "false_maps": 0} for k in systems
    }
    seconds = dict.fromkeys(systems, 0.0)
    print(f"{'case':30} {'cols':>4}  " + "  ".join(f"{k:>17}" for k in systems))
    for case_dir in a.cases:
        for truth_file in sorted(case_dir.glob("*.truth.json")):
            name = truth_file.name[: -len(".truth.json")]
            truth = json.loads(truth_file.read_text(encoding="utf-8"))
            header, rows = read_case(truth_file.with_name(name + ".csv"))
            cells = []
            for key, predict in systems.items():
                t = time.perf_counter()
                predicted = predict(header, rows)
                seconds[key] += time.perf_counter() - t
                s = score(truth, header, predicted)
                for k in s:
                    totals[key][k] += s[k]
                cells.append(f"{100 * s['ok'] / max(1, s['n']):16.1f}%")
                if a.verbose and key != "coma(schema)":
                    for col, p in zip(header, predicted, strict=True):
                        if col in truth["columns"] and p not in truth["columns"][col]["accept"]:
                            print(f"    {key}: {col!r} -> {p!r} (want {truth['columns'][col]['accept']})")
            print(f"{name[:30]:30} {len(header):4d}  " + "  ".join(cells))
    print()
    for key, t in totals.items():
        acc = t["ok"] / max(1, t["n"])
        mappable = t["mappable_ok"] / max(1, t["mappable"])
        false_maps = t["false_maps"] / max(1, t["nulls"])
        print(
            f"{key:18} accuracy={acc:.3f} mappable={mappable:.3f} false_maps={false_maps:.3f} "
            f"columns={t['n']} seconds={seconds[key]:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
