"""Disagreements: plausible figures that conflict with the article itself or with the reference series.

A finding never stops a figure from loading (that is what schema checks are for): it is stored on the figure, as a
JSON list of ``{"check", "message"}``, for analysts. Each check is named; a figure that agrees gets no finding.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline import topics

TOLERANCE = {"exact": 0.02, "approximate": 0.10}  # relative; at_least / at_most are judged by direction
Row = Mapping[str, Any]
Key = tuple[str, str, str | None, int]  # topic, metric, subgroup, year


@dataclass(frozen=True)
class Reference:
    """The official series: the final value per point, and the preliminary values released before it."""

    final: dict[Key, tuple[float, str]] = field(default_factory=dict)  # value, confidence
    preliminary: dict[Key, list[float]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str | None, int, float, str, str]]) -> Reference:
        """Rows of (topic, metric, subgroup, year, value, status, confidence) from ``reference_series``."""
        ref = cls()
        for topic, metric, subgroup, year, value, status, confidence in rows:
            key = (topic, metric, subgroup, int(year))
            if status == "final":
                ref.final[key] = (float(value), confidence)
            else:
                ref.preliminary.setdefault(key, []).append(float(value))
        return ref


def holds(stated: Row, actual: float, *, exact: float = TOLERANCE["exact"]) -> bool:
    """Whether ``actual`` is what a figure stated with its hedge (or range) allows; ``exact``: the exact slack."""
    low, high, hedge = stated.get("low"), stated.get("high"), stated["hedge"]
    if stated.get("value") is None:
        return low is not None and high is not None and float(low) <= actual <= float(high)
    value = float(stated["value"])
    if hedge == "at_least":
        return actual >= value * (1 - exact)
    if hedge == "at_most":
        return actual <= value * (1 + exact)
    slack = TOLERANCE["approximate"] if hedge == "approximate" else exact
    return actual == value or (value != 0 and abs(actual / value - 1) <= slack)


def _stated(row: Row) -> str:
    if row.get("value") is None:
        return f"{_n(row['low'])}–{_n(row['high'])}"
    words = {"approximate": "about ", "at_least": "at least ", "at_most": "at most "}
    return words.get(row["hedge"], "") + _n(row["value"])


def _n(x: Any) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _whole_year_counts(rows: Sequence[Row], metric: str) -> dict[tuple[str | None, int], Row]:
    """The first whole-year count per (subgroup, year) for a metric, in order of appearance."""
    found: dict[tuple[str | None, int], Row] = {}
    for r in rows:
        if r["kind"] == "count" and r["metric"] == metric and r["period"] is None and r["year"] is not None:
            found.setdefault((r["subgroup"], int(r["year"])), r)
    return found


def within_article(rows: Sequence[Row]) -> dict[int, list[dict[str, str]]]:
    """Findings from one article's own figures, by figure_no: ratios, parts and totals, running-total chains (the
    metrics and parts are the topic file's)."""
    out: dict[int, list[dict[str, str]]] = {}
    topic = topics.find(str(rows[0].get("topic"))) if rows else None
    if topic is None:
        return out
    per, running = topic.period_metric, topic.total_metric
    periods, totals = _whole_year_counts(rows, per), _whole_year_counts(rows, running)

    def add(row: Row, check: str, message: str) -> None:
        out.setdefault(int(row["figure_no"]), []).append({"check": check, "message": message})

    for r in rows:
        year_on_year = r["kind"] == "ratio" and r["sense"] == "change" and r["period"] is None
        if year_on_year and r["metric"] == per and r["year"] is not None:
            now, before = periods.get((r["subgroup"], r["year"])), periods.get((r["subgroup"], r["year"] - 1))
            if now and before and before["value"] and now["value"] is not None:
                actual = now["value"] / before["value"]
                if not holds(r, actual):
                    add(r, "ratio_vs_counts", f"says {_stated(r)} times, but the article's own counts give "
                        f"{_n(now['value'])} / {_n(before['value'])} = {actual:.2f}")  # fmt: skip
    for (subgroup, year), total in periods.items():
        parts = [periods.get((name, year)) for name in topic.parts]
        stated = [p for p in parts if p is not None and p["value"] is not None]
        if subgroup is None and parts and len(stated) == len(parts) and total["value"] is not None:
            summed = sum(p["value"] for p in stated)
            if not holds(total, summed, exact=0):  # an article's own arithmetic: exact figures must add up
                terms = " + ".join(f"{_n(p['value'])} {name}" for p, name in zip(stated, topic.parts, strict=True))
                message = f"{terms} = {_n(summed)}, not the total {_n(total['value'])}"
                for row in (total, *stated):
                    add(row, "parts_vs_total", message)
    for (subgroup, year), total in totals.items():
        previous, added = totals.get((subgroup, year - 1)), periods.get((subgroup, year))
        if previous and added and None not in (previous["value"], added["value"], total["value"]):
            expected = previous["value"] + added["value"]
            if not holds(total, expected, exact=0):
                chain = f"{_n(previous['value'])} to {year - 1} + {_n(added['value'])} {per} in {year}"
                add(
                    total,
                    "cumulative_chain",
                    f"{running} {_n(total['value'])} for {year}, but {chain} = {_n(expected)}",
                )
    return out


def against_reference(row: Row, ref: Reference) -> list[dict[str, str]]:
    """A whole-year figure per period or running total against the official series, aware of preliminary values."""
    topic = topics.find(str(row["topic"]))
    if topic is None or row["metric"] not in topic.compared or row["period"] is not None or row["year"] is None:
        return []
    key = (row["topic"], row["metric"], row["subgroup"], int(row["year"]))
    if row["kind"] == "ratio" and row["sense"] == "change" and row["metric"] == topic.period_metric:
        now, before = ref.final.get(key), ref.final.get((*key[:3], key[3] - 1))
        if not now or not before or not before[0]:
            return []
        actual = now[0] / before[0]
        if holds(row, actual):
            return []
        message = f"says {_stated(row)} times; official {_n(now[0])} / {_n(before[0])} = {actual:.2f}"
        return [{"check": "reference_disagrees", "message": message}]
    if row["kind"] != "count" or key not in ref.final:
        return []
    official, confidence = ref.final[key]
    if holds(row, official):
        return []
    what = f"{row['metric']}{' (' + row['subgroup'] + ')' if row['subgroup'] else ''} {row['year']}"
    for early in ref.preliminary.get(key, []):
        if holds(row, early):
            message = (
                f"{_stated(row)} matches the preliminary {what} figure {_n(early)}, later revised to {_n(official)}"
            )
            return [{"check": "reference_preliminary", "message": message}]
    message = f"reported {_stated(row)} for {what}; the official figure is {_n(official)} ({confidence})"
    return [{"check": "reference_disagrees", "message": message}]


def annotate(figures: pd.DataFrame, reference: Reference) -> pd.Series:
    """One JSON list of findings per row of a figures frame (None when it agrees with everything), in order."""
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()}
        for row in figures.astype(object).where(figures.notna(), None).to_dict("records")
    ]
    found: dict[tuple[str, int], list[dict[str, str]]] = {}
    for url, group in itertools.groupby(rows, key=lambda r: r["article_url"]):
        for number, items in within_article(list(group)).items():
            found[(url, number)] = items
    result = []
    for row in rows:
        items = found.get((row["article_url"], row["figure_no"]), []) + against_reference(row, reference)
        result.append(json.dumps(items, ensure_ascii=False) if items else None)
    return pd.Series(result, index=figures.index, dtype="object")
