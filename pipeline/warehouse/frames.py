"""Records to warehouse-shaped frames: a record's fields, renamed to the table's columns, plus run bookkeeping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd

from pipeline import claims
from pipeline.fetch.feeds import PollResult
from pipeline.fetch.schedule import FeedSchedule
from pipeline.records import Article, Entry, FeedPoll, Figure, Page, Precision, Published
from schemas.figures import CONTEXT_COLUMNS, span_in_text

# record field -> table column, where they differ
POLL_RENAMES = {"status": "status_code"}
ENTRY_RENAMES = {"published": "published_at"}
PAGE_RENAMES = {"status": "status_code", "size": "size_bytes"}
ARTICLE_RENAMES = {"published": "published_at"}
FIGURE_RENAMES = {"start": "span_start", "end": "span_end", "text": "span_text"}


def _columns(record: type, renames: Mapping[str, str], extra: Iterable[str], drop: Iterable[str] = ()) -> list[str]:
    return [renames.get(f.name, f.name) for f in fields(record) if f.name not in set(drop)] + list(extra)


def _row(record: Any, renames: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    return {renames.get(k, k): v for k, v in asdict(record).items()} | extra


def poll_rows(results: Sequence[PollResult], known: set[str], run_id: str) -> pd.DataFrame:
    """One feed_polls row per feed polled, counting the entries the warehouse had not seen."""
    rows = [
        _row(poll, POLL_RENAMES, entries_new=len({e.url for e in found} - known), run_id=run_id)
        for poll, found, _ in results
    ]
    return pd.DataFrame(rows, columns=_columns(FeedPoll, POLL_RENAMES, ["run_id"]))


def entry_rows(results: Sequence[PollResult], known: set[str], run_id: str, at: datetime) -> pd.DataFrame:
    """Entries the warehouse has not seen, first occurrence of each URL only."""
    rows: dict[str, dict[str, Any]] = {}
    for _, found, _ in results:
        for e in found:
            if e.url not in known and e.url not in rows:
                rows[e.url] = _row(e, ENTRY_RENAMES, first_seen_at=at, run_id=run_id)
    columns = _columns(Entry, ENTRY_RENAMES, ["first_seen_at", "run_id"])
    return pd.DataFrame(list(rows.values()), columns=columns)


def page_rows(found: Sequence[Page], attempts: Mapping[str, int], run_id: str, *, max_attempts: int) -> pd.DataFrame:
    """One pages row per fetch, counting attempts; ``final`` when a failed fetch is not to be tried again."""
    rows = []
    for p in found:
        tried = attempts.get(p.url, 0) + 1
        final = p.error is not None and (p.permanent or tried >= max_attempts)
        rows.append(_row(p, PAGE_RENAMES, attempts=tried, final=final, run_id=run_id))
    return pd.DataFrame(rows, columns=_columns(Page, PAGE_RENAMES, ["attempts", "final", "run_id"]))


def article_rows(found: Sequence[Article], run_id: str, at: datetime) -> pd.DataFrame:
    """One articles row per extraction; ``figures_version`` reset so that new text is read again."""
    extra = {"extracted_at": at, "run_id": run_id, "figures_version": None}
    rows = [_row(a, ARTICLE_RENAMES, **extra) for a in found]
    return pd.DataFrame(rows, columns=_columns(Article, ARTICLE_RENAMES, extra))


class ToRead(NamedTuple):
    """An article whose figures are to be read: what the engine and the checks need of it."""

    url: str
    text: str
    published_at: datetime | None
    published_precision: Precision | None
    title: str | None
    topic: str


def published(moment: datetime | None, precision: Precision | None) -> Published | None:
    """A stored publication date as the engine takes it: only as much as the source gave (2015-07 stays a month)."""
    if moment is None:
        return None
    if precision == "year":
        return Published(moment.year)
    if precision == "month":
        return Published(moment.year, moment.month)
    return Published.of(moment)


def published_of(article: ToRead) -> Published | None:
    """An article's stored publication date as the engine takes it."""
    return published(article.published_at, article.published_precision)


MAX_FIGURES_PER_ARTICLE = 500
Read = tuple[ToRead, Sequence[Figure]]  # an article and the figures the engine found in it


class FigureBatch(NamedTuple):
    """The figure rows of a batch of articles, and the articles that stated more figures than the cap (url: count)."""

    rows: pd.DataFrame
    over_cap: dict[str, int]


def figure_rows(
    read: Sequence[Read], run_id: str, at: datetime, *, max_per_article: int = MAX_FIGURES_PER_ARTICLE
) -> pd.DataFrame:
    """Every figure of every article read (the first ``max_per_article`` of each), where it stands, and what it is
    checked against: whether its span is the article's text at its offsets, and the article's date."""
    return figure_batch(read, run_id, at, max_per_article=max_per_article).rows


def figure_batch(
    read: Sequence[Read], run_id: str, at: datetime, *, max_per_article: int = MAX_FIGURES_PER_ARTICLE
) -> FigureBatch:
    """``figure_rows``, with the articles whose figures beyond ``max_per_article`` were not kept.

    The span is checked here, against the text, so no row carries the text: validation costs what the rows do.
    """
    rows = []
    over_cap: dict[str, int] = {}
    for article, found in read:
        url, text, topic = article.url, article.text, article.topic
        if len(found) > max_per_article:
            over_cap[url] = len(found)
        where = claims.sections(found, claims.headline_span(text, article.title))
        repeated = claims.repeats(found, where)
        for number, figure in enumerate(found[:max_per_article], start=1):
            row = _row(figure, FIGURE_RENAMES, article_url=url, figure_no=number, topic=topic, loaded_at=at)
            del row["notes"]
            repeats = repeated[number - 1]
            row |= {
                "section": where[number - 1],
                "repeats_figure_no": repeats if repeats is None or repeats <= max_per_article else None,
                "run_id": run_id,
                "span_matches_text": span_in_text(text, figure.start, figure.end, figure.text),
                "article_published_at": article.published_at,
            }
            rows.append(row)
    extra = [
        "article_url",
        "figure_no",
        "topic",
        "loaded_at",
        "section",
        "repeats_figure_no",
        "run_id",
        *CONTEXT_COLUMNS,
    ]
    return FigureBatch(pd.DataFrame(rows, columns=_columns(Figure, FIGURE_RENAMES, extra, drop=["notes"])), over_cap)


def schedule_rows(schedules: Sequence[FeedSchedule], run_id: str) -> pd.DataFrame:
    """One feed_state row per feed polled."""
    rows = [asdict(s) | {"run_id": run_id} for s in schedules]
    frame = pd.DataFrame(rows, columns=[*(f.name for f in fields(FeedSchedule)), "run_id"])
    return frame.astype({"interval_s": "float64", "failures": "int64"})
