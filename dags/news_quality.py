"""
# News quality: each ingest run's figures against the official series

**Trigger.** An asset event on `news_figures`, emitted by `news_ingest` when it has loaded figures (events arriving
together are assessed in one run). Also by hand: assesses the latest finished ingest run.

**Produces** one row per assessed ingest run in `quality_summaries`: articles and figures loaded, how many could be
compared with the reference series, how many agree and disagree, rows quarantined, and the ten worst disagreements
(outlet, year, reported, official, URL). Disagreements are findings for analysts, not failures.

**When it fails** it is the warehouse: read the task log, then clear the task; rerunning replaces the summary.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, dag, get_current_context, task

from pipeline import STAGE
from pipeline.airflow import TASK_DEADLINE, WRITER_POOL


@task(task_display_name="Assess figures against the reference series", pool=WRITER_POOL)
def assess() -> list[dict[str, Any]]:
    from pipeline.airflow import tasks

    return tasks.assess_quality(get_current_context())


@dag(
    dag_id="news_quality",
    dag_display_name="News quality: reported vs official",
    schedule=[Asset(STAGE["find_figures"].asset)],
    catchup=False,
    is_paused_upon_creation=False,
    doc_md=__doc__,
    tags=["newsfigures", "quality"],
    default_args={
        "owner": "newsfigures",
        "execution_timeout": TASK_DEADLINE,
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
    },
)
def news_quality() -> None:
    assess()


news_quality()
