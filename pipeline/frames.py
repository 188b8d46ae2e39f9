"""Records to warehouse-shaped frames: one function per table, columns in the table's order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from pipeline import figures
from pipeline.feeds import PollResult
from pipeline.records import Article, Page

ENTRY_COLUMNS = [
    "url",
    "feed",
    "topic",
    "guid",
    "title",
    "published_at",
    "summary",
    "first_seen_at",
    "run_id",
]
POLL_COLUMNS = [
    "run_id", "feed", "url", "polled_at", "outcome", "status_code", "etag", "last_modified", "body_sha256",
    "entries_seen", "entries_new", "error", "elapsed_ms",
]  # fmt: skip
PAGE_COLUMNS = [
    "url", "final_url", "fetched_at", "status_code", "content_type", "body_sha256", "size_bytes", "error", "attempts",
    "run_id",
]  # fmt: skip
ARTICLE_COLUMNS = [
    "url", "body_sha256", "status", "reason", "title", "author", "published_at", "published_source", "site_name",
    "language", "canonical_url", "text", "extraction_method", "extracted_at", "run_id", "figures_version",
]  # fmt: skip


def _frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=columns)


def poll_rows(results: Sequence[PollResult], known: set[str], run_id: str) -> pd.DataFrame:
    """One feed_polls row per feed polled, counting the entries the warehouse had not seen."""
    rows = []
    for poll, found, _ in results:
        new = len({e.url for e in found} - known)
        rows.append({
            "run_id": run_id, "feed": poll.feed, "url": poll.url, "polled_at": poll.polled_at, "outcome": poll.outcome,
            "status_code": poll.status, "etag": poll.etag, "last_modified": poll.last_modified,
            "body_sha256": poll.body_sha256, "entries_seen": poll.entries_seen, "entries_new": new,
            "error": poll.error, "elapsed_ms": poll.elapsed_ms,
        })  # fmt: skip
    return _frame(rows, POLL_COLUMNS)


def entry_rows(results: Sequence[PollResult], known: set[str], run_id: str, at: datetime) -> pd.DataFrame:
    """Entries the warehouse has not seen, first occurrence of each URL only."""
    rows: dict[str, dict[str, Any]] = {}
    for _, found, _ in results:
        for e in found:
            if e.url in known or e.url in rows:
                continue
            rows[e.url] = {
                "url": e.url, "feed": e.feed, "topic": e.topic, "guid": e.guid, "title": e.title,
                "published_at": e.published, "summary": e.summary, "first_seen_at": at, "run_id": run_id,
            }  # fmt: skip
    return _frame(list(rows.values()), ENTRY_COLUMNS)


def page_rows(found: Sequence[Page], attempts: Mapping[str, int], run_id: str) -> pd.DataFrame:
    """One pages row per fetch, counting attempts."""
    rows = [
        {
            "url": p.url,
            "final_url": p.final_url,
            "fetched_at": p.fetched_at,
            "status_code": p.status,
            "content_type": p.content_type,
            "body_sha256": p.body_sha256,
            "size_bytes": p.size,
            "error": p.error,
            "attempts": attempts.get(p.url, 0) + 1,
            "run_id": run_id,
        }  # fmt: skip
        for p in found
    ]
    return _frame(rows, PAGE_COLUMNS)


def article_rows(found: Sequence[Article], run_id: str, at: datetime) -> pd.DataFrame:
    """One articles row per extraction; ``figures_version`` reset so the new text is read again."""
    rows = [
        {
            "url": a.url,
            "body_sha256": a.body_sha256,
            "status": a.status,
            "reason": a.reason,
            "title": a.title,
            "author": a.author,
            "published_at": a.published,
            "published_source": a.published_source,
            "site_name": a.site_name,
            "language": a.language,
            "canonical_url": a.canonical_url,
            "text": a.text,
            "extraction_method": a.extraction_method,
            "extracted_at": at,
            "run_id": run_id,
            "figures_version": None,
        }  # fmt: skip
        for a in found
    ]
    return _frame(rows, ARTICLE_COLUMNS)


def figure_rows(
    articles: Sequence[tuple[str, str, datetime | None, str]], run_id: str, at: datetime
) -> pd.DataFrame:
    """Every figure of every article, with the article's text and date beside it for the checks."""
    rows = []
    for url, text, published, topic in articles:
        day = published.date() if published is not None else None
        for number, f in enumerate(figures.extract(text, published=day, topic=topic), start=1):
            rows.append({
                "article_url": url, "figure_no": number, "kind": f.kind, "value": f.value, "low": f.low,
                "high": f.high, "hedge": f.hedge, "metric": f.metric, "sense": f.sense, "subgroup": f.subgroup,
                "year": f.year, "period": f.period, "span_start": f.start, "span_end": f.end, "span_text": f.text,
                "sentence": f.sentence, "topic": topic, "extractor_version": f.extractor_version, "loaded_at": at,
                "run_id": run_id, "article_text": text, "article_published_at": published,
            })  # fmt: skip
    columns = [
        "article_url", "figure_no", "kind", "value", "low", "high", "hedge", "metric", "sense", "subgroup", "year",
        "period", "span_start", "span_end", "span_text", "sentence", "topic", "extractor_version", "loaded_at",
        "run_id", "article_text", "article_published_at",
    ]  # fmt: skip
    return _frame(rows, columns)
