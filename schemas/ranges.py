"""Plausible magnitudes per metric, from each topic vocabulary (`[ranges]` in pipeline/figures/topics/*.toml)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

TOPICS = Path(__file__).resolve().parents[1] / "pipeline" / "figures" / "topics"
# Used for a metric (or topic) whose vocabulary names no range: anything non-negative.
OPEN = (0.0, float("inf"))


@lru_cache(maxsize=32)
def count_ranges(topic: str) -> dict[str, tuple[float, float]]:
    """(low, high) per metric for counts, e.g. annual arrivals 0–10,000; read once per process."""
    path = TOPICS / f"{topic}.toml"
    if not path.exists():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("ranges", {})
    return {metric: (float(bounds[0]), float(bounds[1])) for metric, bounds in table.items()}


def count_range(topic: str, metric: str) -> tuple[float, float]:
    """The plausible (low, high) of a count of ``metric`` in ``topic``."""
    return count_ranges(topic).get(metric, OPEN)
