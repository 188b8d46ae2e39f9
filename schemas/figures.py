"""Schema of the ``figures`` table, plus the two columns it is checked against: the span check's outcome and the date.

The quoted span is checked against the article's text where the text is (``span_in_text``, as the rows are built),
and the row carries only the outcome: the whole text on every row made validation cost rows x text length, and
pandera copies a failing wide row in full.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa

from pipeline import topics
from pipeline.warehouse.tables import TABLES, key
from schemas._checks import URL_PATTERN, wide

KINDS = ["count", "ratio", "percent"]
HEDGES = ["exact", "approximate", "at_least", "at_most"]
SENSES = ["change", "share"]
SECTIONS = ["headline", "body"]
CONTEXT_COLUMNS = list(TABLES["figures"].context)  # checked against, not loaded


def _point(df: pd.DataFrame) -> pd.Series:
    return df["value"].fillna(df["low"])


def _value_or_range(df: pd.DataFrame) -> pd.Series:
    return df["value"].notna() | (df["low"].notna() & df["high"].notna())


def _range_ordered(df: pd.DataFrame) -> pd.Series:
    ordered = df["low"].isna() | df["high"].isna() | (df["low"] <= df["high"])
    inside = df["value"].isna() | df["low"].isna() | df["high"].isna() | df["value"].between(df["low"], df["high"])
    return ordered & inside


def _of_topic(df: pd.DataFrame, column: str, allowed: Callable[[topics.Topic], tuple[str, ...]]) -> pd.Series:
    """Whether each row's value of ``column`` is one its topic's file names (an unknown topic names none)."""
    ok = []
    for name, value in zip(df["topic"], df[column], strict=True):
        topic = topics.find(name)
        ok.append(topic is not None and value in allowed(topic))
    return pd.Series(ok, index=df.index, dtype=bool)


def _metric_in_topic(df: pd.DataFrame) -> pd.Series:
    return _of_topic(df, "metric", lambda t: t.metrics)


def _subgroup_in_topic(df: pd.DataFrame) -> pd.Series:
    return df["subgroup"].isna() | _of_topic(df, "subgroup", lambda t: t.subgroups)


def _count_range(name: str, metric: str) -> tuple[float, float]:
    topic = topics.find(name)
    return topic.count_range(metric) if topic is not None else topics.OPEN


def _count_in_range(df: pd.DataFrame) -> pd.Series:
    """Counts within their metric's plausible range from the topic's file (``[ranges]``)."""
    bounds = [_count_range(topic, metric) for topic, metric in zip(df["topic"], df["metric"], strict=True)]
    lo = pd.Series([b[0] for b in bounds], index=df.index)
    hi = pd.Series([b[1] for b in bounds], index=df.index)
    inside = pd.Series(True, index=df.index)
    for column in ("value", "low", "high"):
        inside &= df[column].isna() | ((df[column] >= lo) & (df[column] <= hi))
    return (df["kind"] != "count") | inside


def _count_range_used(row: pd.Series) -> str:
    lo, hi = _count_range(str(row["topic"]), str(row["metric"]))
    return f"{row['metric']} counts must be within {lo:.12g} and {hi:.12g} (topic {row['topic']}, [ranges])"


def _share_in_range(df: pd.DataFrame) -> pd.Series:
    point = _point(df)
    share = df["sense"] == "share"
    bounded = (df["kind"] != "percent") | (point <= 100)
    return point.isna() | (point >= 0) & (~share | bounded)


def _sense_matches_kind(df: pd.DataFrame) -> pd.Series:
    is_count = df["kind"] == "count"
    return (is_count & df["sense"].isna()) | (~is_count & df["sense"].notna())


def _year_not_after_publication(df: pd.DataFrame) -> pd.Series:
    published_year: pd.Series = df["article_published_at"].dt.year
    return df["year"].isna() | published_year.isna() | (df["year"] <= published_year)


def _repeats_another_figure(df: pd.DataFrame) -> pd.Series:
    repeats = df["repeats_figure_no"]
    return repeats.isna() | (repeats != df["figure_no"])


def span_in_text(text: str, start: int, end: int, quoted: str) -> bool:
    """Whether ``quoted`` is the article ``text`` at ``[start, end)``: the span check, run once per row on the text."""
    return isinstance(text, str) and 0 <= start < end <= len(text) and text[start:end] == quoted


def _span_in_text(df: pd.DataFrame) -> pd.Series:
    return df["span_matches_text"].astype(bool)


FIGURES = pa.DataFrameSchema(
    {
        "article_url": pa.Column(str, pa.Check.str_matches(URL_PATTERN, description="URL is not absolute http(s)")),
        "figure_no": pa.Column("int32", pa.Check.ge(1)),
        "kind": pa.Column(str, pa.Check.isin(KINDS, description="unknown figure kind")),
        "value": pa.Column(float, nullable=True),
        "low": pa.Column(float, nullable=True),
        "high": pa.Column(float, nullable=True),
        "hedge": pa.Column(str, pa.Check.isin(HEDGES, description="unknown hedge")),
        "metric": pa.Column(str),
        "sense": pa.Column(str, pa.Check.isin(SENSES), nullable=True),
        "subgroup": pa.Column(str, nullable=True),
        "year": pa.Column("Int32", pa.Check.in_range(1945, 2100, description="year out of range"), nullable=True),
        "period": pa.Column(str, nullable=True),
        "span_start": pa.Column("int32", pa.Check.ge(0)),
        "span_end": pa.Column("int32", pa.Check.ge(1)),
        "span_text": pa.Column(str, pa.Check.str_length(min_value=1)),
        "sentence": pa.Column(str),
        "topic": pa.Column(str),
        "extractor_version": pa.Column(str),
        "loaded_at": pa.Column("datetime64[us, UTC]"),
        "section": pa.Column(str, pa.Check.isin(SECTIONS, description="section is neither headline nor body")),
        "repeats_figure_no": pa.Column("Int32", pa.Check.ge(1), nullable=True),
        "run_id": pa.Column(str),
        "span_matches_text": pa.Column(bool),
        "article_published_at": pa.Column("datetime64[us, UTC]", nullable=True),
    },
    checks=[
        wide("metric_in_topic", "metric", "metric not in the topic's file", _metric_in_topic),
        wide("subgroup_in_topic", "subgroup", "subgroup not in the topic's file", _subgroup_in_topic),
        wide("value_or_range", "value", "neither a value nor both range bounds", _value_or_range),
        wide("range_ordered", "low", "not low <= value <= high", _range_ordered),
        wide(
            "count_in_range",
            "value",
            "count outside the plausible range for its metric",
            _count_in_range,
            _count_range_used,
        ),
        wide("share_in_range", "value", "negative number, or a share above 100 percent", _share_in_range),
        wide(
            "sense_matches_kind",
            "sense",
            "counts have no sense; ratios and percents need one",
            _sense_matches_kind,
        ),
        wide(
            "year_not_after_publication",
            "year",
            "figure's year is after its article's publication year",
            _year_not_after_publication,
        ),
        wide(
            "repeats_another_figure",
            "repeats_figure_no",
            "a figure restates another figure's claim, never its own",
            _repeats_another_figure,
        ),
        wide("span_in_text", "span_text", "quoted span is not the article text at its offsets", _span_in_text),
    ],
    unique=key("figures"),
    coerce=True,
    strict=True,
    name="figures",
)
