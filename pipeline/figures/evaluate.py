"""Score the extractor on labelled sentences: detection F1, share fully correct, field accuracy, misses."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.figures import extract, to_json
from pipeline.records import Published

FIELDS = ("kind", "value", "low", "high", "hedge", "metric", "sense", "subgroup", "year", "period")
_KEY = ("kind", "value", "low", "high")


@dataclass(frozen=True)
class Score:
    """How well the extractor did on a labelled set."""

    labelled: int
    predicted: int
    matched: int
    fully_correct: int
    field_correct: dict[str, int]
    misses: tuple[str, ...]  # one human-readable line per missed, spurious or partly wrong figure

    @property
    def precision(self) -> float:
        """Share of predicted figures that match a labelled one."""
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of labelled figures found."""
        return self.matched / self.labelled if self.labelled else 1.0

    @property
    def f1(self) -> float:
        """Detection F1: a figure matches by kind and value or bounds."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def correct_share(self) -> float:
        """Share of labelled figures found with every contract field right."""
        return self.fully_correct / self.labelled if self.labelled else 1.0


def _key(fig: Mapping[str, object]) -> tuple[object, ...]:
    return tuple(round(float(v), 4) if isinstance(v, int | float) else v for v in (fig[k] for k in _KEY))


def score(items: Iterable[Mapping[str, object]]) -> Score:
    """Run the extractor on each labelled item ({"text", "published", "figures"}) and compare."""
    labelled = predicted = matched = fully = 0
    fields = dict.fromkeys(FIELDS, 0)
    misses: list[str] = []
    for item in items:
        text = str(item["text"])
        published = Published.parse(str(item["published"])) if item.get("published") else None
        got = [to_json(f) | {"why": "; ".join(f.notes)} for f in extract(text, published=published)]
        want = list(item["figures"])  # type: ignore[call-overload]
        labelled, predicted = labelled + len(want), predicted + len(got)
        for gold in want:
            hit = next((g for g in got if _key(g) == _key(gold)), None)
            if hit is None:
                misses.append(f"missed {json.dumps(gold)} in: {text}")
                continue
            got.remove(hit)
            matched += 1
            wrong = [k for k in FIELDS if hit[k] != gold[k]]
            for k in FIELDS:
                fields[k] += k not in wrong
            fully += not wrong
            if wrong:
                diffs = ", ".join(f"{k}: got {hit[k]!r} want {gold[k]!r}" for k in wrong)
                misses.append(f"wrong {hit['text']!r} ({diffs}; rules: {hit['why']}) in: {text}")
        misses.extend(f"spurious {g['kind']} {g['text']!r} in: {text}" for g in got)
    return Score(labelled, predicted, matched, fully, fields, tuple(misses))


def report(result: Score) -> str:
    """A plain-text report: detection scores, the share fully correct, accuracy per field, then every miss."""
    lines = [
        f"labelled {result.labelled}  predicted {result.predicted}  matched {result.matched}",
        f"precision {result.precision:.3f}  recall {result.recall:.3f}  detection F1 {result.f1:.3f}",
        f"fully correct {result.fully_correct}/{result.labelled} = {result.correct_share:.3f}",
        "field accuracy (of matched figures):",
    ]
    for name in FIELDS:
        right = result.field_correct[name]
        share = right / result.matched if result.matched else 1.0
        lines.append(f"  {name:<9} {share:.3f} ({right}/{result.matched})")
    lines.append(f"misses ({len(result.misses)}):" if result.misses else "misses: none")
    lines.extend(f"  {miss}" for miss in result.misses)
    return "\n".join(lines)


def load(path: str) -> list[dict[str, object]]:
    """Read a labelled set in JSON Lines."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
