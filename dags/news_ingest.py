"""
# News ingest: feeds → articles → figures

**Trigger.** The *feed watcher* (a trigger in the triggerer, polling every feed in `feeds.toml` with conditional GET
every `NEWSFIGURES_POLL_INTERVAL` seconds) emits an event on the asset `news_feeds` when a feed has entries it has not
seen; events arriving together are handled by one run. Also by hand: *Trigger* in the UI, optionally listing `feeds`
by name (empty: every feed).

**Produces**, in the DuckLake warehouse: a `runs` row (status and per-stage counts), `feed_polls`, new `entries`,
`pages` (raw responses in the archive), `articles` and `figures`; rows failing validation go to `quarantine`. Asset
events on `news_articles` and `news_figures` carry the run id and counts; `news_quality` runs on the latter. The
warehouse decides what is new, so a lost or replayed event loses and duplicates nothing.

**When it fails**
- *Poll feeds*, *Fetch pages*: a broken feed or page is recorded (`feed_polls.error`, `pages.error`) and the run goes
  on. A task fails only when the warehouse or the network as a whole is down: it retries with exponential backoff.
- *Extract articles*, *Find figures* fail at once, without retry, when rows failed validation: the valid rows are
  loaded, the others are in `SELECT * FROM quarantine WHERE run_id = '<this run id>'` with the check and the bad value.
  See the on-call page in the README; fix, then clear the task.
- A configuration error (bad `feeds.toml` or `NEWSFIGURES_*`) fails at once too: fix it, clear the task. A
  `feeds.toml` broken while Airflow runs triggers one run (event payload `config_error`) whose *Start run* fails with
  the message; the watcher keeps watching the last good feeds at `NEWSFIGURES_POLL_INTERVAL` meanwhile.
- *Finish run* records `success` or `failed` in `runs` once the run has started.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, AssetWatcher, Param, dag, get_current_context, task

from pipeline import STAGES, Stage
from pipeline.airflow import FEEDS_ASSET, TASK_DEADLINE, WRITER_POOL


def _feed_watcher() -> AssetWatcher:
    from pipeline.airflow.watcher import FeedWatcher  # a light module: the trigger imports the pipeline when it runs

    return AssetWatcher(name="feed_watcher", trigger=FeedWatcher())


@task(task_display_name="Start run", pool=WRITER_POOL)
def start_run() -> str:
    from pipeline.airflow import tasks

    return tasks.start(get_current_context())


def stage_task(stage: Stage) -> Any:
    """The task of one stage of ``pipeline.STAGES``: its id, display name and asset come from the stage table."""

    @task(
        task_id=stage.name,
        task_display_name=stage.title,
        pool=WRITER_POOL,
        multiple_outputs=False,
        outlets=[Asset(stage.asset)] if stage.asset else [],
    )
    def run_stage(pipeline_run_id: str) -> dict[str, int]:
        from pipeline.airflow import tasks

        return tasks.stage(stage.name, pipeline_run_id, get_current_context())

    return run_stage


@task(task_display_name="Finish run", pool=WRITER_POOL)
def finish_run(pipeline_run_id: str) -> str:
    from pipeline.airflow import tasks

    return tasks.finish(pipeline_run_id, get_current_context())


@dag(
    dag_id="news_ingest",
    dag_display_name="News ingest: feeds → figures",
    schedule=[Asset(FEEDS_ASSET, watchers=[_feed_watcher()])],
    catchup=False,
    is_paused_upon_creation=False,  # the feed watcher is registered only for unpaused DAGs
    doc_md=__doc__,
    tags=["newsfigures", "ingest"],
    default_args={
        "owner": "newsfigures",
        "execution_timeout": TASK_DEADLINE,
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
    stages = [stage_task(stage)(run_id) for stage in STAGES]
    # A teardown runs once every stage is done, whatever their outcome, and does not decide the run's state:
    # a failed stage still fails the Airflow run while the warehouse records it as failed.
    finished = finish_run(run_id).as_teardown(setups=run_id)
    for upstream, downstream in zip(stages, [*stages[1:], finished], strict=True):
        upstream >> downstream


news_ingest()
