"""Score the figure engine on ../shared/figures-real in process, per article, on a split by article and on all.

The scoring is ../shared/figures-real/score.py's own (its functions are imported from there, never copied): a predicted
figure belongs to the sentence its span falls in, matches by kind and value, is fully correct when every field agrees.
The split is by article id (even ids "tune", odd ids "report"), so no article is in both halves.

    .venv/bin/python benchmarks/figures_real.py [--half tune|report|all] [--show-misses] [--per-sentence]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "figures-real"
sys.path.insert(0, str(ROOT))

from pipeline import figures  # noqa: E402
from pipeline.records import Published  # noqa: E402


def _scorer() -> Any:
    spec = importlib.util.spec_from_file_location("figures_real_score", SHARED / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def units(half: str, per_sentence: bool = False) -> list[list[dict[str, Any]]]:
    rows = [json.loads(line) for line in (SHARED / "sentences.jsonl").open(encoding="utf-8")]
    articles: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if half == "all" or (row["article"] % 2 == 0) == (half == "tune"):
            articles[row["article"]].append(row)
    if per_sentence:
        return [[r] for a in articles.values() for r in a]
    return list(articles.values())


def score(half: str = "all", per_sentence: bool = False) -> dict[str, Any]:
    """Detection, fully correct, comparable precision and recall, field accuracy, and the misses of one half."""
    sc = _scorer()
    tp = fp = fn = full = 0
    cgold = cfull = cpred = cright = 0
    right = dict.fromkeys(sc.FIELDS, 0)
    misses: list[str] = []
    for unit in units(half, per_sentence):
        text, starts = "", []
        for r in unit:
            starts.append(len(text))
            text += r["text"] + " "
        published = Published.parse(unit[0]["published"]) if unit[0].get("published") else None
        found = [figures.to_json(f) for f in figures.extract(text.rstrip(), published=published)]
        per: list[list[dict[str, Any]]] = [[] for _ in unit]
        for f in found:
            per[max(i for i, s in enumerate(starts) if s <= f["start"])].append(f)
        for row, preds in zip(unit, per, strict=True):
            tag = f"[{row['article']}:{row['i']} {row['published']}]"
            for p in preds:
                if p.get("metric") in sc.COMPARABLE:
                    cpred += 1
                    ok = any(
                        sc.same_figure(p, g) and all(sc.field_ok(k, p, g) for k in sc.FIELDS) for g in row["figures"]
                    )
                    cright += ok
            for gold in row["figures"]:
                cgold += gold["metric"] in sc.COMPARABLE
                hit = next((p for p in preds if sc.same_figure(p, gold)), None)
                if hit is None:
                    fn += 1
                    stated = gold["value"] if gold["value"] is not None else (gold["low"], gold["high"])
                    misses.append(f"MISS {tag} {gold['kind']} {stated} ({gold['text']}) :: {row['text']}")
                    continue
                preds.remove(hit)
                tp += 1
                bad = [k for k in sc.FIELDS if not sc.field_ok(k, hit, gold)]
                for k in sc.FIELDS:
                    right[k] += k not in bad
                full += not bad
                cfull += not bad and gold["metric"] in sc.COMPARABLE
                if bad:
                    diff = ", ".join(f"{k}={hit.get(k)!r}≠{gold.get(k)!r}" for k in bad)
                    misses.append(f"FIELD {tag} {gold['text']}: {diff} :: {row['text']}")
            for p in preds:
                fp += 1
                misses.append(f"EXTRA {tag} {p.get('kind')} {p.get('value')} ({p.get('text')}) :: {row['text']}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "half": half,
        "gold": tp + fn,
        "predicted": tp + fp,
        "P": precision,
        "R": recall,
        "F1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "fully_correct": full / (tp + fn) if tp + fn else 0.0,
        "comparable_precision": cright / cpred if cpred else 1.0,
        "comparable_recall": cfull / cgold if cgold else 1.0,
        "fields": {k: right[k] / tp if tp else 0.0 for k in sc.FIELDS},
        "misses": misses,
    }


def line(result: dict[str, Any]) -> str:
    fields = " ".join(f"{k}={v:.3f}" for k, v in result["fields"].items())
    return (
        f"{result['half']:<7} gold={result['gold']:<4} predicted={result['predicted']:<4} P={result['P']:.3f} "
        f"R={result['R']:.3f} F1={result['F1']:.3f} fully-correct={result['fully_correct']:.3f} "
        f"comparable P={result['comparable_precision']:.3f} R={result['comparable_recall']:.3f}  {fields}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", choices=("tune", "report", "all", "each"), default="each")
    ap.add_argument("--per-sentence", action="store_true")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"no labelled set at {SHARED}", file=sys.stderr)
        return 2
    halves = ("tune", "report", "all") if args.half == "each" else (args.half,)
    for half in halves:
        result = score(half, args.per_sentence)
        if args.show_misses:
            print("\n".join(result["misses"]))
        print(line(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
