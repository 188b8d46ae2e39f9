"""
# News ingest: feeds → articles → figures

**Trigger.** By hand for now: *Trigger* in the UI (optionally listing `feeds` by name from
`feeds.toml`; empty means every feed) or `airflow dags trigger news_ingest`. A feed watcher will
trigger it on new entries.

**Produces**, in the DuckLake warehouse: a `runs` row (status and per-stage counts), `feed_polls`,
new `entries`, `pages` (raw responses in the archive), `articles`, and `figures`; rows failing
validation go to `quarantine`. Each stage commits on its own and merges on natural keys, so
rerunning a run or a task never duplicates rows.

**When it fails**
- *Poll feeds*, *Fetch pages*: network errors retry with exponential backoff. If retries run out,
  read the task log (the URL and the reason are there), fix or remove the feed, clear the task.
- *Find figures* fails at once, without retry, when rows failed validation: the valid rows are
  loaded, the others are in `SELECT * FROM quarantine WHERE run_id = '<Airflow run id>'` with the
  failed check and the bad value. Fix the extractor or the vocabulary, then clear the task.
- A configuration error (bad `feeds.toml` or `NEWSFIGURES_*`) fails at once too: fix it, clear.
- *Finish run* always runs once the run has started and records `success` or `failed` in `runs`.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pipeline.settings import Settings

WRITER = "warehouse_writer"  # a 1-slot pool: one task commits to the warehouse at a time
STAGES = ("poll_feeds", "fetch_pages", "extract_articles", "find_figures")


def _settings() -> Settings:
    from pipeline.settings import Settings

    return Settings.from_env()


@contextmanager
def _fail_without_retry_on_bad_input() -> Iterator[None]:
    """Retrying cannot fix bad rows or bad configuration: fail the task at once."""
    from pipeline.errors import ConfigError, SchemaFailure

    try:
        yield
    except (SchemaFailure, ConfigError) as exc:
        raise AirflowFailException(str(exc)) from exc


@task(task_display_name="Start run", pool=WRITER)
def start_run() -> str:
    from pipeline import flow

    with _fail_without_retry_on_bad_input():
        return flow.start_run(_settings(), trigger="airflow", run_id=get_current_context()["run_id"])


@task(task_display_name="Poll feeds", pool=WRITER, multiple_outputs=False)
def poll_feeds(pipeline_run_id: str) -> dict[str, int]:
    from pipeline import flow

    feeds = get_current_context()["params"]["feeds"] or None
    with _fail_without_retry_on_bad_input():
        return flow.poll_feeds(_settings(), pipeline_run_id, feeds=feeds)


@task(task_display_name="Fetch pages", pool=WRITER, multiple_outputs=False)
def fetch_pages(pipeline_run_id: str) -> dict[str, int]:
    from pipeline import flow

    with _fail_without_retry_on_bad_input():
        return flow.fetch_pages(_settings(), pipeline_run_id)


@task(task_display_name="Extract articles", pool=WRITER, multiple_outputs=False)
def extract_articles(pipeline_run_id: str) -> dict[str, int]:
    from pipeline import flow

    with _fail_without_retry_on_bad_input():
        return flow.extract_articles(_settings(), pipeline_run_id)


@task(task_display_name="Find figures", pool=WRITER, multiple_outputs=False)
def find_figures(pipeline_run_id: str) -> dict[str, int]:
    from pipeline import flow

    with _fail_without_retry_on_bad_input():
        return flow.find_figures(_settings(), pipeline_run_id)


@task(task_display_name="Finish run", pool=WRITER)
def finish_run(pipeline_run_id: str) -> str:
    from pipeline import flow

    # A stage that failed left no counts behind: that is how the run learns its outcome.
    ti = get_current_context()["ti"]
    pulled: dict[str, Any] = {stage: ti.xcom_pull(task_ids=stage) for stage in STAGES}
    counts = {stage: value for stage, value in pulled.items() if value is not None}
    status = "success" if len(counts) == len(STAGES) else "failed"
    with _fail_without_retry_on_bad_input():
        flow.finish_run(_settings(), pipeline_run_id, status=status, counts=counts)
    return status


@dag(
    dag_id="news_ingest",
    dag_display_name="News ingest: feeds → figures",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["newsfigures", "ingest"],
    default_args={
        "owner": "newsfigures",
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=10),
    },
    params={
        "feeds": Param(
            [],
            type="array",
            items={"type": "string"},
            title="Feeds",
            description="Names of feeds in feeds.toml to poll; leave empty to poll every feed.",
        ),
    },
)
def news_ingest() -> None:
    run_id = start_run()
    polled = poll_feeds(run_id)
    fetched = fetch_pages(run_id)
    extracted = extract_articles(run_id)
    found = find_figures(run_id)
    # A teardown runs once every stage is done, whatever their outcome, and does not decide the run's state:
    # a failed stage still fails the Airflow run while the warehouse records it as failed.
    finished = finish_run(run_id).as_teardown(setups=run_id)
    polled >> fetched >> extracted >> found >> finished


news_ingest()
