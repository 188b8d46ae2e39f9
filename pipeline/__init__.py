"""newsfigures: figures the news reports, traced to their sentence and checked against the official series.

The flow, one stage per arrow (``STAGES`` below is the one list the CLI, Airflow's tasks and the DAG use)::

    feeds.toml ─► poll_feeds ─► fetch_pages ─► extract_articles ─► find_figures ─► warehouse
                  entries        pages + WARC   articles             figures (+ findings)

Every stage has one shape (``pipeline.flow``): read its backlog from the warehouse
(``pipeline.warehouse.backlog``), do its work with plain functions, turn records into rows
(``pipeline.warehouse.frames``), and hand them to the one loader (``pipeline.checks.load``: validate against the
table's schema, MERGE on the natural key from ``pipeline.warehouse.tables``, quarantine the rest) and to the one
post-stage rule (``pipeline.checks.policy``: alert on quarantined rows, fail above the threshold).

Folders, what enters and what leaves:

- ``fetch/``: feeds and entry URLs in; feed polls, entries, pages and their raw WARC archive out (guarded HTTP,
  politeness, feed schedules).
- ``extract/``: an archived page body in; an ``Article`` (text without furniture, date and its precision, story)
  out.
- ``figures/``: article text and its publication date in; ``Figure`` records out (the topic's vocabulary in
  ``figures/topics/<topic>.toml``). ``claims`` says which figures restate another.
- ``checks/``: a table's frame in; loaded and quarantined rows, findings, alerts and quality summaries out.
- ``warehouse/``: the DuckLake lake: connect, migrate, ``Tx`` (the only writer), the table registry, the backlog
  queries, record-to-row frames, maintenance.
- ``airflow/``: the watcher trigger, the task bodies and alert channels Airflow imports; ``cli``: the same flow
  without Airflow; ``report``: the chart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One arrow of the flow: what it is called, what enters, what leaves, and the table it loads."""

    name: str  # the function in pipeline.flow, the Airflow task id, the key of the run's counts
    title: str  # the task's display name
    enters: str
    leaves: str
    table: str  # the table its loader validates; the post-stage rule is about this table
    asset: str = ""  # the Airflow asset the task reports its counts on (empty: none)


STAGES = (
    Stage("poll_feeds", "Poll feeds", "feeds.toml's feeds", "feed_polls, new entries, feed_state", "entries"),
    Stage("fetch_pages", "Fetch pages", "entries not fetched yet", "pages, the raw archive", "pages"),
    Stage(
        "extract_articles",
        "Extract articles",
        "pages not extracted yet",
        "articles (with story ids)",
        "articles",
        "news_articles",
    ),
    Stage(
        "find_figures",
        "Find figures",
        "articles not read since extracted",
        "figures with findings",
        "figures",
        "news_figures",
    ),
)
# Not part of an ingest run: news_reprocess extracts archived pages again, then runs find_figures.
REPROCESS = Stage("reprocess", "Extract again", "archived pages since a date", "articles, read again", "articles")
STAGE = {s.name: s for s in (*STAGES, REPROCESS)}
