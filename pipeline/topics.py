"""Topics as data: what core code may know of a topic, read from its file (``<name>.toml`` in ``TOPIC_DIRS``).

The figure engine reads a file's word lists (``pipeline.figures.vocab``); everything else — the schemas' metric,
subgroup and range checks, the findings' part/total/running-total relations, the reference series loaded by
``migrate`` and the report's wording — comes from here, so no core module names a metric, subgroup or topic word.
A second topic is a new file (and its reference CSV), not new code.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.settings import PROJECT_ROOT

BUNDLED = Path(__file__).resolve().parent / "figures" / "topics"
REFERENCE_DIR = PROJECT_ROOT / "warehouse" / "reference"
# Where topic files are looked for, in order: the bundled ones first. Tests add a directory of their own.
TOPIC_DIRS: list[Path] = [BUNDLED]
OPEN = (0.0, float("inf"))  # the range of a metric whose topic names none: anything non-negative


@dataclass(frozen=True)
class Topic:
    """One topic's metrics and their roles, subgroups, plausible ranges, reference series and report wording."""

    name: str
    path: Path
    period_metric: str  # what a count over a period measures ("arrivals")
    total_metric: str  # the running total ("cumulative")
    other_metric: str  # anything else
    metrics: tuple[str, ...]
    subgroups: tuple[str, ...]
    parts: tuple[str, ...] = ()  # subgroups that add up to the whole ("men", "women")
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    reference: Path | None = None  # the tidy reference CSV loaded into reference_series
    report: dict[str, str] = field(default_factory=dict)  # title, subject, y_label, x_label, source

    @property
    def compared(self) -> tuple[str, str]:
        """The metrics the reference series holds and the marts compare: per period and running total."""
        return self.period_metric, self.total_metric

    def count_range(self, metric: str) -> tuple[float, float]:
        """The plausible (low, high) of a count of ``metric``."""
        return self.ranges.get(metric, OPEN)

    def wording(self, key: str) -> str:
        """The report's wording for ``key`` (``title``, ``subject``, ``y_label``, ``x_label``, ``source``)."""
        return self.report.get(key, "")


def path_of(name: str) -> Path | None:
    """The file of the topic called ``name``, from the first directory of ``TOPIC_DIRS`` that holds one."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"not a topic name: {name!r}")
    return next((d / f"{name}.toml" for d in TOPIC_DIRS if (d / f"{name}.toml").is_file()), None)


def names() -> list[str]:
    """Every topic found, bundled ones first."""
    found: list[str] = []
    for directory in TOPIC_DIRS:
        found += [p.stem for p in sorted(directory.glob("*.toml")) if p.stem not in found]
    return found


def default() -> str:
    """The topic a caller that names none means: the first bundled one."""
    return sorted(p.stem for p in BUNDLED.glob("*.toml"))[0]


def load(name: str) -> Topic:
    """The topic called ``name``; ``KeyError`` when no directory of ``TOPIC_DIRS`` has its file."""
    path = path_of(name)
    if path is None:
        raise KeyError(f"no topic file {name}.toml in {', '.join(map(str, TOPIC_DIRS))}")
    return _read(path)


def find(name: str) -> Topic | None:
    """The topic called ``name``, or None (an unknown topic's rows fail the checks that need one)."""
    try:
        return load(name) if isinstance(name, str) else None
    except (KeyError, ValueError):
        return None


@functools.lru_cache(maxsize=32)
def _read(path: Path) -> Topic:
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    shape = data.get("metrics", {})
    period, total, other = shape.get("default", "count"), shape.get("total", "total"), shape.get("other", "other")
    metrics = tuple(dict.fromkeys([period, total, other, *data.get("metric", {})]))
    reference = data.get("reference", {}).get("file")
    return Topic(
        name=data["topic"]["name"],
        path=path,
        period_metric=period,
        total_metric=total,
        other_metric=other,
        metrics=metrics,
        subgroups=tuple(data.get("subgroup", {})),
        parts=tuple(data.get("parts", {}).get("whole", ())),
        ranges={m: (float(b[0]), float(b[1])) for m, b in data.get("ranges", {}).items()},
        reference=_reference_file(path, reference) if reference else None,
        report={str(k): str(v) for k, v in data.get("report", {}).items()},
    )


def _reference_file(topic_file: Path, name: str) -> Path:
    """A reference CSV beside its topic file, else in ``warehouse/reference/``."""
    beside = topic_file.parent / name
    return beside if beside.is_file() else REFERENCE_DIR / name
