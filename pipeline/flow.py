"""One run of the pipeline, stage by stage; the only module that knows their order.

Each stage reads its backlog from the warehouse, does its work and commits, so a stage can be rerun, retried or
replayed at any time: entries not yet fetched, pages not yet extracted, articles not yet read since
they were extracted or reprocessed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from pipeline import archive, articles, dedup, feeds, figures, http, pages, schedule, warehouse
from pipeline.errors import SchemaFailure
from pipeline.findings import Reference, annotate
from pipeline.frames import ToRead, article_rows, entry_rows, figure_batch, page_rows, poll_rows, schedule_rows
from pipeline.politeness import Politeness
from pipeline.settings import Settings, select_feeds
from pipeline.validate import Validated, over_cap, validate
from schemas import ARTICLES, ENTRIES, FIGURES, PAGES, QUARANTINE
from schemas.figures import CONTEXT_COLUMNS as FIGURE_CONTEXT

log = logging.getLogger(__name__)

STAGES = ("poll_feeds", "fetch_pages", "extract_articles", "find_figures")
MAX_FETCH_ATTEMPTS = 3
FIGURE_KEY = ["article_url", "span_start", "span_end", "kind"]


def start_run(settings: Settings, *, trigger: str, run_id: str | None = None) -> str:
    """Record a new run (migrating the warehouse first) and return its id."""
    at = datetime.now(UTC)
    run_id = run_id or f"{trigger}-{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)
        row = {
            "run_id": run_id,
            "started_at": at,
            "finished_at": None,
            "trigger": trigger,
            "status": "running",
            "extractor_version": figures.EXTRACTOR_VERSION,
            "counts": None,
        }
        with warehouse.transaction(con):
            warehouse.merge(con, "runs", pd.DataFrame([row]), ["run_id"])
    log.info("run %s started (%s)", run_id, trigger)
    return run_id


def finish_run(settings: Settings, run_id: str, *, status: str, counts: Mapping[str, Mapping[str, int]]) -> None:
    """Mark a run finished with its per-stage counts."""
    with warehouse.connect(settings) as con, warehouse.transaction(con):
        warehouse.execute(
            con,
            "UPDATE runs SET finished_at = ?, status = ?, counts = ? WHERE run_id = ?",
            [datetime.now(UTC), status, json.dumps(counts, sort_keys=True), run_id],
        )
    log.info("run %s finished: %s %s", run_id, status, dict(counts))


def poll_feeds(
    settings: Settings, run_id: str, *, feeds: Sequence[str] | None = None, due_only: bool = False
) -> dict[str, int]:
    """Poll the configured feeds (or the named subset) and record polls, entries not seen before, and schedules.

    Paused feeds are skipped until their pause is over (unless named); with ``due_only``, so are feeds polled
    more recently than their adaptive interval.
    """
    if feeds:
        select_feeds(settings, feeds)  # a name not in feeds.toml is a configuration error, not 0 feeds polled
    at = datetime.now(UTC)
    with warehouse.connect(settings) as con:
        schedules = _schedules(con, settings, at)
        chosen = [
            f
            for f in settings.feeds
            if (f.name in feeds if feeds else not schedules[f.name].paused(at))
            and (not due_only or schedules[f.name].due(at))
        ]
        skipped = len(settings.feeds) - len(chosen) if not feeds else 0
        previous = _validators(con)
        results = asyncio.run(_poll(settings, chosen, previous))
        known = _known_urls(con, [e.url for _, found, _ in results for e in found])
        at = datetime.now(UTC)
        polls = poll_rows(results, known, run_id)
        new = _checked(entry_rows(results, known, run_id, at), ENTRIES, "entries", "url", run_id, at)
        fresh = dict(zip(polls["feed"], polls["entries_new"], strict=True)) if len(polls) else {}
        advanced = [
            schedule.advance(schedules[poll.feed], poll, settings, new_entries=int(fresh.get(poll.feed, 0)))
            for poll, _, _ in results
        ]
        with warehouse.transaction(con):
            warehouse.append(con, "feed_polls", polls)
            warehouse.merge(con, "entries", new.valid, ["url"], update=False)
            warehouse.merge(con, "feed_state", schedule_rows(advanced, run_id), ["feed"])
            _quarantine(con, new.quarantine)
    counts = {
        "polled": len(polls),
        "changed": int((polls["outcome"] == "changed").sum()) if len(polls) else 0,
        "errors": int((polls["outcome"] == "error").sum()) if len(polls) else 0,
        "entries_new": len(new.valid),
        "quarantined": new.failed,
        "skipped": skipped,
        "paused": sum(1 for s in advanced if s.paused(at)),
    }
    log.info("polled %d feeds: %d changed, %d errors, %d new entries", *list(counts.values())[:4])
    return counts


def _schedules(con: Any, settings: Settings, at: datetime) -> dict[str, schedule.FeedSchedule]:
    """Each configured feed's schedule from ``feed_state``; a feed not there yet (or moved) starts afresh."""
    names = [field for field in schedule.FeedSchedule.__dataclass_fields__]
    stored = {
        row[0]: schedule.FeedSchedule(*row)
        for row in con.execute(f"SELECT {', '.join(names)} FROM feed_state").fetchall()
    }
    return {
        f.name: stored[f.name]
        if f.name in stored and stored[f.name].url == f.url
        else schedule.first(f.name, f.url, settings, at)
        for f in settings.feeds
    }


async def _poll(
    settings: Settings, chosen: Sequence[Any], previous: Mapping[str, feeds.Validators]
) -> list[tuple[Any, list[Any], feeds.Validators]]:
    async with http.client(settings) as client:
        return await feeds.poll_all(
            client,
            chosen,
            previous,
            max_bytes=settings.max_body_bytes,
            concurrency=settings.fetch_concurrency,
            parse_timeout=settings.feed_parse_timeout,
        )


def fetch_pages(settings: Settings, run_id: str) -> dict[str, int]:
    """Fetch the page of every entry not yet fetched (or failed fewer than MAX_FETCH_ATTEMPTS times)."""
    with warehouse.connect(settings) as con:
        backlog = con.execute(
            """SELECT e.url, coalesce(p.attempts, 0) FROM entries e LEFT JOIN pages p ON p.url = e.url
               WHERE p.url IS NULL OR (p.error IS NOT NULL AND p.attempts < ?) ORDER BY e.first_seen_at, e.url""",
            [MAX_FETCH_ATTEMPTS],
        ).fetchall()
        attempts = {url: n for url, n in backlog}
        fetched = asyncio.run(_fetch(settings, list(attempts)))
        at = datetime.now(UTC)
        rows = _checked(page_rows([p for p, _ in fetched], attempts, run_id), PAGES, "pages", "url", run_id, at)
        with warehouse.transaction(con):
            warehouse.merge(con, "pages", rows.valid, ["url"])
            _quarantine(con, rows.quarantine)
    failed = sum(1 for p, _ in fetched if p.error)
    log.info("fetched %d pages, %d failed", len(fetched) - failed, failed)
    return {"fetched": len(fetched) - failed, "failed": failed}


async def _fetch(settings: Settings, urls: Sequence[str]) -> list[tuple[Any, Any]]:
    async with http.client(settings) as client:
        return await pages.fetch_all(
            client,
            urls,
            archive_root=settings.archive_dir,
            max_bytes=settings.max_body_bytes,
            concurrency=settings.fetch_concurrency,
            polite=Politeness(settings),
        )


PENDING_PAGES = """
    SELECT p.url, p.body_sha256, p.fetched_at, e.published_at, e.published_precision, e.topic FROM pages p
    JOIN entries e ON e.url = p.url LEFT JOIN articles a ON a.url = p.url
    WHERE p.error IS NULL AND p.body_sha256 IS NOT NULL AND (a.url IS NULL OR a.body_sha256 <> p.body_sha256)
    ORDER BY p.url"""
ARCHIVED_PAGES = """
    SELECT p.url, p.body_sha256, p.fetched_at, e.published_at, e.published_precision, e.topic FROM pages p
    JOIN entries e ON e.url = p.url LEFT JOIN articles a ON a.url = p.url
    WHERE p.error IS NULL AND p.body_sha256 IS NOT NULL
      AND coalesce(a.published_at, e.published_at, p.fetched_at) >= ? AND (? IS NULL OR e.topic = ?)
    ORDER BY p.url"""
STORIES = """
    SELECT url, canonical_url, story_id, text_simhash FROM articles
    WHERE story_id IS NOT NULL AND text_simhash IS NOT NULL ORDER BY url"""
UNREAD_ARTICLES = """
    SELECT a.url, a.text, a.published_at, a.published_precision, a.title, e.topic
    FROM articles a JOIN entries e ON e.url = a.url
    WHERE a.status = 'ok' AND a.figures_version IS NULL ORDER BY a.url"""


def extract_articles(settings: Settings, run_id: str) -> dict[str, int]:
    """Extract the article of every fetched page whose body has not been extracted yet."""
    with warehouse.connect(settings) as con:
        return _extract(settings, con, run_id, con.execute(PENDING_PAGES).fetchall())


def reprocess(settings: Settings, run_id: str, *, since: datetime, topic: str | None = None) -> dict[str, int]:
    """Extract again, from the raw archive and without refetching, every page published since ``since``.

    The articles' figures are then read afresh by ``find_figures``: its text may have changed, and so may the extractor.
    """
    with warehouse.connect(settings) as con:
        pages = con.execute(ARCHIVED_PAGES, [since, topic, topic]).fetchall()
        return _extract(settings, con, run_id, pages)


def _extract(settings: Settings, con: Any, run_id: str, pages: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    found = []
    for url, sha, fetched_at, feed_published, feed_precision, topic in pages:
        if not archive.path_for(settings.archive_dir, sha).exists():  # pruned by the archive's retention
            log.warning("page %s is no longer archived (%s): refetch it to extract it again", url, sha)
            continue
        try:
            response = archive.read(settings.archive_dir, sha)
        except Exception as exc:  # one unreadable archive file is that page's failure, not the stage's
            log.warning("page %s: archived body %s unreadable: %s", url, sha, exc)
            found.append(articles.failed(url, sha, f"archived body unreadable: {type(exc).__name__}: {exc}"))
            continue
        found.append(
            articles.extract(
                response.body,
                url,
                headers=response.headers,
                feed_published=feed_published,
                fetched_at=fetched_at,
                feed_precision=feed_precision,
                topic=topic,
            )
        )
    at = datetime.now(UTC)
    checked = validate(
        article_rows(found, run_id, at),
        ARTICLES,
        table="articles",
        row_key=lambda r: str(r["url"]),
        url_column="url",
        run_id=run_id,
        at=at,
    )
    loaded = set(checked.valid["url"])
    stories = dedup.assign(
        con.execute(STORIES).fetchall(),
        [a for a in found if a.status == "ok" and a.url in loaded],
        max_distance=settings.near_duplicate_bits,
    )
    with warehouse.transaction(con):
        warehouse.merge(con, "articles", checked.valid, ["url"])
        _quarantine(con, checked.quarantine)
        warehouse.execute(
            con,
            """UPDATE articles SET story_id = s.story_id, text_simhash = s.text_simhash
               FROM article_stories s WHERE articles.url = s.url""",
            frames={"article_stories": stories},
        )
    no_article = sum(1 for a in found if a.status == "no_article")
    counts = {"articles": len(found) - no_article, "no_article": no_article, "quarantined": checked.failed}
    log.info("extracted %d articles, %d pages without article text, %d quarantined", *counts.values())
    _fail_over_threshold(settings, "articles", checked)
    return counts


def find_figures(settings: Settings, run_id: str) -> dict[str, int]:
    """Read the figures of every article not read yet (new, changed or reprocessed); validate; load; quarantine.

    An article read again has its figures replaced, in the same transaction, by what the current extractor finds.
    Figures that pass their schema load with their disagreement findings; those that fail go to quarantine.
    """
    version = figures.EXTRACTOR_VERSION
    with warehouse.connect(settings) as con:
        backlog = [ToRead(*row) for row in con.execute(UNREAD_ARTICLES).fetchall()]
        at = datetime.now(UTC)
        batch = figure_batch(backlog, run_id, at, max_per_article=settings.max_figures_per_article)
        checked = validate(
            batch.rows,
            FIGURES,
            table="figures",
            row_key=_figure_key,
            url_column="article_url",
            run_id=run_id,
            at=at,
            context_columns=FIGURE_CONTEXT,
        )
        reference = Reference.from_rows(con.execute(REFERENCE).fetchall())
        loaded = checked.valid.assign(findings=annotate(checked.valid, reference))
        read = {"read_urls": pd.DataFrame({"url": pd.Series([row[0] for row in backlog], dtype="string")})}
        with warehouse.transaction(con):
            warehouse.execute(con, "DELETE FROM figures WHERE article_url IN (SELECT url FROM read_urls)", frames=read)
            warehouse.merge(con, "figures", loaded, FIGURE_KEY)
            _quarantine(con, checked.quarantine)
            _quarantine(con, over_cap(batch.over_cap, settings.max_figures_per_article, run_id=run_id, at=at))
            warehouse.execute(
                con,
                "UPDATE articles SET figures_version = ? WHERE url IN (SELECT url FROM read_urls)",
                [version],
                frames=read,
            )
    disagreeing = int(loaded["findings"].notna().sum())
    counts = {
        "articles_read": len(backlog),
        "figures": len(loaded),
        "with_findings": disagreeing,
        "quarantined": checked.failed,
        "over_cap": len(batch.over_cap),
    }
    log.info(
        "read %d articles: %d figures loaded (%d with findings), %d quarantined, %d over the cap", *counts.values()
    )
    _fail_over_threshold(settings, "figures", checked)
    return counts


REFERENCE = "SELECT topic, metric, subgroup, year, value, status, confidence FROM reference_series"


def over_threshold(settings: Settings, failed: int, total: int) -> bool:
    """Whether so large a share of a batch failed its schema that the stage fails (quarantine alone is not enough)."""
    return total > 0 and failed / total > settings.quarantine_threshold


def _fail_over_threshold(settings: Settings, table: str, checked: Validated) -> None:
    """Quarantined rows are reported in the counts; above the threshold share they fail the stage."""
    if over_threshold(settings, checked.failed, checked.total):
        raise SchemaFailure(table, checked.failed, checked.total, checked.checks)


def _figure_key(row: pd.Series) -> str:
    return f"{row['article_url']}#{row['span_start']}-{row['span_end']}:{row['kind']}"


def _checked(frame: pd.DataFrame, schema: Any, table: str, key: str, run_id: str, at: datetime) -> Validated:
    """Validate a batch keyed by one column (entries, pages)."""
    return validate(frame, schema, table=table, row_key=lambda r: str(r[key]), url_column=key, run_id=run_id, at=at)


def _quarantine(con: Any, rows: pd.DataFrame) -> None:
    if len(rows):
        held = QUARANTINE.validate(rows)  # a malformed quarantine row is our bug: fail loudly, never lose the rows
        # a row that fails again carries the run that quarantined it last: that run's alert and the on-call query
        # "WHERE run_id = '<this run>'" find it
        warehouse.merge(con, "quarantine", held, ["table_name", "row_key", "check_name", "column_name"])


def _validators(con: Any) -> dict[str, feeds.Validators]:
    rows = con.execute(
        """SELECT feed, etag, last_modified, body_sha256 FROM feed_polls WHERE outcome <> 'error'
           QUALIFY row_number() OVER (PARTITION BY feed ORDER BY polled_at DESC) = 1"""
    ).fetchall()
    return {feed: feeds.Validators(etag=e, last_modified=lm, body_sha256=h) for feed, e, lm, h in rows}


def _known_urls(con: Any, urls: Sequence[str]) -> set[str]:
    if not urls:
        return set()
    con.register("candidate_urls", pd.DataFrame({"url": list(urls)}))
    try:
        return {
            u
            for (u,) in con.execute("SELECT url FROM entries WHERE url IN (SELECT url FROM candidate_urls)").fetchall()
        }
    finally:
        con.unregister("candidate_urls")


def run(
    settings: Settings, *, trigger: str = "cli", feeds: Sequence[str] | None = None
) -> tuple[str, dict[str, dict[str, int]]]:
    """One full pass: every stage in order; a schema failure is recorded (rows quarantined) and the run goes on."""
    run_id = start_run(settings, trigger=trigger)
    stages: list[tuple[str, Callable[[], dict[str, int]]]] = [
        ("poll_feeds", lambda: poll_feeds(settings, run_id, feeds=feeds)),
        ("fetch_pages", lambda: fetch_pages(settings, run_id)),
        ("extract_articles", lambda: extract_articles(settings, run_id)),
        ("find_figures", lambda: find_figures(settings, run_id)),
    ]
    counts: dict[str, dict[str, int]] = {}
    status = "success"
    try:
        for name, stage in stages:
            try:
                counts[name] = stage()
            except SchemaFailure as failure:
                log.warning("%s", failure)
                counts[name] = {"loaded": failure.total - failure.failed, "quarantined": failure.failed}
                status = "failed"
    except Exception:
        finish_run(settings, run_id, status="failed", counts=counts)
        raise
    finish_run(settings, run_id, status=status, counts=counts)
    return run_id, counts
