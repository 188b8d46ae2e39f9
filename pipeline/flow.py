"""One run of the pipeline, stage by stage; the only module that knows their order (``pipeline.STAGES``).

Every stage has one shape: its backlog (``backlog``), its work (``fetch``, ``extract``, ``figures``), its rows
(``frames``), one ``load`` and one post-stage rule (``policy.settle``): so it can be rerun, retried or replayed.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pipeline import STAGE, STAGES, figures, warehouse
from pipeline.checks import alerts, policy
from pipeline.checks.findings import Reference, annotate
from pipeline.checks.load import Loaded, load, quarantine
from pipeline.checks.validate import over_cap
from pipeline.errors import SchemaFailure
from pipeline.extract import dedup
from pipeline.extract.archived import Pending, extract_batches
from pipeline.fetch import pages, schedule
from pipeline.fetch.feeds import Validators, poll_configured
from pipeline.settings import Settings
from pipeline.warehouse import backlog, frames, runs

log = logging.getLogger(__name__)

Counts = dict[str, int]
Work = Callable[..., tuple[Counts, Loaded]]
StageRun = Callable[..., Counts]
RUNS: dict[str, StageRun] = {}  # stage name -> its run, filled by @stage


def stage(work: Work) -> StageRun:
    """Make a stage of ``work`` (named as in ``pipeline.STAGES``): the run's clock read once, then the policy."""
    if work.__name__ not in STAGE:
        raise ValueError(f"{work.__name__} is not in pipeline.STAGES")

    @functools.wraps(work)
    def run(settings: Settings, run_id: str, *, origin: policy.Origin | None = None, **params: Any) -> Counts:
        at = datetime.now(UTC)
        with warehouse.session(settings, message=run_id):  # one attached lake; each commit names the run
            counts, loaded = work(settings, run_id, at, **params)
            policy.settle(settings, loaded, run_id=run_id, origin=origin, at=at)
        return counts

    RUNS[work.__name__] = run
    return run


def run_stage(name: str, settings: Settings, run_id: str, **params: Any) -> Counts:
    """Run the stage called ``name`` (the CLI's run and Airflow's tasks both come through here)."""
    return RUNS[name](settings, run_id, **params)


def start_run(settings: Settings, *, trigger: str, run_id: str | None = None) -> str:
    """Record a new run (migrating the warehouse first) and return its id."""
    return runs.start(settings, trigger=trigger, run_id=run_id, extractor_version=figures.EXTRACTOR_VERSION)


@stage
def poll_feeds(
    settings: Settings, run_id: str, at: datetime, *, feeds: Sequence[str] | None = None, due_only: bool = False
) -> tuple[Counts, Loaded]:
    """Poll the configured feeds (or the named subset, even if paused); record polls, new entries, schedules."""
    keys = ("polled", "changed", "errors", "entries_new", "quarantined", "skipped", "entries_dropped", "paused")
    total, counts = Loaded("entries"), Counter(dict.fromkeys(keys, 0))  # a commit per batch of entries polled
    with warehouse.connect(settings) as con:
        schedules = schedule.of_feeds(settings.feeds, backlog.rows(con, "feed_schedules"), settings, at)
        chosen = schedule.choose(settings, schedules, at, named=feeds, due_only=due_only)
        previous = {feed: Validators(*v) for feed, *v in backlog.rows(con, "feed_validators")}
        for results in poll_configured(settings, chosen, previous, batch=settings.batch_size):
            known = backlog.known_entries(con, [e.url for _, found, _ in results for e in found])
            polls, rows = frames.poll_rows(results, known, run_id), frames.entry_rows(results, known, run_id, at)
            fresh = dict(zip(polls["feed"], polls["entries_new"], strict=True))
            advanced = [schedule.advance(schedules[poll.feed], poll, settings, new_entries=int(fresh.get(poll.feed, 0)))
                        for poll, _, _ in results]  # fmt: skip
            with warehouse.transaction(con) as tx:
                tx.append("feed_polls", polls)
                new = load(tx, "entries", rows, run_id=run_id, at=at, max_attempts=settings.max_attempts)
                tx.merge("feed_state", frames.schedule_rows(advanced, run_id))
            total, outcomes = total + new, polls["outcome"].tolist()
            counts.update(polled=len(polls), changed=outcomes.count("changed"), errors=outcomes.count("error"),
                          entries_new=new.loaded, quarantined=new.quarantined,
                          entries_dropped=int(polls["entries_dropped"].sum()),
                          paused=sum(1 for s in advanced if s.paused(at)))  # fmt: skip
    counts["skipped"] = len(settings.feeds) - len(chosen) if not feeds else 0
    log.info("polled %d feeds: %d changed, %d errors, %d new entries", *list(counts.values())[:4])
    return dict(counts), total


@stage
def fetch_pages(settings: Settings, run_id: str, at: datetime) -> tuple[Counts, Loaded]:
    """Fetch the page of every entry not yet fetched, or whose fetch failed and may be tried again (not ``final``)."""
    total, failed = Loaded("pages"), 0
    with warehouse.connect(settings) as con:
        attempts = dict(backlog.rows(con, "unfetched_entries", {"max_attempts": settings.max_attempts}))
        for fetched in pages.fetch_pages(settings, list(attempts), batch=settings.batch_size):
            rows = frames.page_rows(fetched, attempts, run_id, max_attempts=settings.max_attempts)
            with warehouse.transaction(con) as tx:
                total += load(tx, "pages", rows, run_id=run_id, at=at, max_attempts=settings.max_attempts)
            failed += sum(1 for p in fetched if p.error)
    return {"fetched": len(attempts) - failed, "failed": failed}, total


@stage
def extract_articles(settings: Settings, run_id: str, at: datetime) -> tuple[Counts, Loaded]:
    """Extract the article of every fetched page whose body has not been extracted yet."""
    return _extract(settings, run_id, at, "unextracted_pages")


@stage
def reprocess(
    settings: Settings, run_id: str, at: datetime, *, since: datetime, topic: str | None = None
) -> tuple[Counts, Loaded]:
    """Extract again, from the raw archive, every page published since ``since``; ``find_figures`` reads them afresh."""
    return _extract(settings, run_id, at, "archived_pages", since=since, topic=topic)


def _extract(settings: Settings, run_id: str, at: datetime, name: str, **params: Any) -> tuple[Counts, Loaded]:
    """Extract a backlog of pages in batches on every core, committing each with its articles' stories."""
    total, counts = Loaded("articles"), Counter(articles=0, no_article=0, quarantined=0)
    with warehouse.connect(settings) as con:
        pending = backlog.unless_empty(Pending(*r) for r in backlog.by_url(con, name, params, page=settings.batch_size))
        known = backlog.each_row(con, "stories") if pending else ()  # all stories: new articles may join any
        stories = dedup.Stories(known, max_distance=settings.near_duplicate_bits)
        for found in extract_batches(settings, pending or ()):
            with warehouse.transaction(con) as tx:
                rows = frames.article_rows(found, run_id, at)
                loaded = load(tx, "articles", rows, run_id=run_id, at=at, max_attempts=settings.max_attempts)
                ok = set(loaded.rows["url"]) if len(loaded.rows) else set()
                backlog.assign_stories(tx, stories.assign([a for a in found if a.status == "ok" and a.url in ok]))
            total += loaded
            no_article = sum(1 for a in found if a.status == "no_article")
            counts.update(articles=len(found) - no_article, no_article=no_article, quarantined=loaded.quarantined)
    log.info("extracted %s", dict(counts))
    return dict(counts), total


@stage
def find_figures(settings: Settings, run_id: str, at: datetime) -> tuple[Counts, Loaded]:
    """Read the figures of every article not read yet (new, changed, reprocessed), replacing its old ones; one whose
    figures were quarantined stays unread, so that a rerun after a fix reads it again (up to the attempt cap)."""
    total, counts = Loaded("figures"), Counter(articles_read=0, figures=0, with_findings=0, quarantined=0, over_cap=0)
    with warehouse.connect(settings) as con:
        unread = [url for (url,) in backlog.rows(con, "unread_articles")]
        reference = Reference.from_rows(backlog.rows(con, "reference") if unread else [])
        for urls in backlog.batched(unread, settings.batch_size):
            batch_of = [frames.ToRead(*row) for row in backlog.rows_of(con, "articles_to_read", urls)]
            read = [(a, figures.extract(a.text, published=frames.published_of(a), topic=a.topic)) for a in batch_of]
            batch = frames.figure_batch(read, run_id, at, max_per_article=settings.max_figures_per_article)
            with warehouse.transaction(con) as tx:
                backlog.replace_figures(tx, urls)
                loaded = load(
                    tx, "figures", batch.rows, run_id=run_id, at=at, max_attempts=settings.max_attempts,
                    enrich=lambda valid: valid.assign(findings=annotate(valid, reference)),
                )  # fmt: skip
                quarantine(tx, over_cap(batch.over_cap, settings.max_figures_per_article, run_id=run_id, at=at))
                backlog.mark_read(tx, [u for u in urls if u not in loaded.held], figures.EXTRACTOR_VERSION)
            total += loaded
            findings = int(loaded.rows["findings"].notna().sum()) if len(loaded.rows) else 0
            counts.update(articles_read=len(urls), figures=loaded.loaded, with_findings=findings,
                          quarantined=loaded.quarantined, over_cap=len(batch.over_cap))  # fmt: skip
    log.info("read figures: %s", dict(counts))
    return dict(counts), total


def run(
    settings: Settings,
    *,
    trigger: str = "cli",
    feeds: Sequence[str] | None = None,
    told: Callable[[alerts.Alert, dict[str, Any]], None] | None = None,
) -> tuple[str, dict[str, Counts]]:
    """One full pass on one attached lake: every stage in order, each alerting as the policy says; a schema failure
    is recorded (rows quarantined) and the run goes on. ``told`` hears of every alert sent."""
    with warehouse.session(settings):
        run_id = start_run(settings, trigger=trigger)
        channels = alerts.Channels.from_settings(settings)
        counts: dict[str, Counts] = {}
        failures: list[str] = []
        for step in STAGES:
            origin = policy.Origin(trigger, step.name, lambda: channels, told=told)
            params = {"feeds": feeds} if step.name == "poll_feeds" else {}
            try:
                counts[step.name] = run_stage(step.name, settings, run_id, origin=origin, **params)
            except SchemaFailure as failure:
                log.warning("%s", failure)
                counts[step.name] = {"loaded": failure.total - failure.failed, "quarantined": failure.failed}
                failures.append(f"{step.name}: {failure.summary}")
            except Exception as exc:
                failures.append(f"{step.name}: {type(exc).__name__}: {exc}")
                runs.finish(settings, run_id, status="failed", counts=counts, reason="; ".join(failures))
                raise
        status = "failed" if failures else "success"
        runs.finish(settings, run_id, status=status, counts=counts, reason="; ".join(failures) or None)
        return run_id, counts
