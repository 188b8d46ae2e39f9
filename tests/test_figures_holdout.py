"""A blind quality gate: the figure extractor on held-out sentences it was never tuned on."""

from __future__ import annotations

from pathlib import Path

from pipeline.figures.evaluate import load, report, score

HOLDOUT = Path(__file__).parent / "data" / "figures_holdout.jsonl"
# Blind baseline (figures-0.2.0; 116 sentences labelled without reading the extractor, 165 figures):
# precision 0.906, recall 0.873, detection F1 0.889, fully correct 103/165 = 0.624.
# figures-0.3.0 fixed general causes seen there; the 41 sentences it improved moved to figures_dev.jsonl and 43 new
# ones were written in their place (by the same hand, after reading the code, and not run before being frozen).
# On this set (118 sentences, 163 figures) figures-0.3.0 scores F1 0.947, fully correct 141/163 = 0.865
# (the 43 new sentences alone: F1 0.931, fully correct 0.800).
# Pinned floors: raise them when the extractor improves, never lower them. Never tune on a holdout sentence
# and keep it here: move it to figures_dev.jsonl and write a new blind one instead.
F1_FLOOR = 0.94
CORRECT_FLOOR = 0.86


def test_holdout_set_is_large_enough_and_well_formed() -> None:
    items = load(str(HOLDOUT))
    assert len(items) >= 80
    assert all({"text", "published", "figures"} <= set(item) for item in items)


def test_quality_gate_on_the_blind_holdout_set() -> None:
    result = score(load(str(HOLDOUT)))
    assert result.f1 >= F1_FLOOR, report(result)
    assert result.correct_share >= CORRECT_FLOOR, report(result)
