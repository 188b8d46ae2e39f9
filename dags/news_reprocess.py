"""
# News reprocess: extract again from the raw archive

**Trigger.** By hand, after an extractor fix: *Trigger* with `since` (a date; empty: everything) and `topic` (empty:
every topic); both are optional. Not paused at creation.

**Produces** articles extracted again from the archived responses (no page is fetched again) and their figures read
afresh by the current extractor: each article's figures are replaced in one transaction, and every figure records the
`extractor_version` that found it. A `runs` row with trigger `reprocess` holds the counts.

**When it fails** with a schema failure, the rows that failed are in `quarantine` under this run's id (see the README's
on-call page); anything else is the warehouse or the archive: read the task log, fix, clear the task.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task

from pipeline.airflow import TASK_DEADLINE, WRITER_POOL


@task(task_display_name="Extract again and read figures", pool=WRITER_POOL)
def reprocess() -> dict[str, int]:
    from pipeline.airflow import tasks

    return tasks.reprocess(get_current_context())


@dag(
    dag_id="news_reprocess",
    dag_display_name="News reprocess: re-extract from the archive",
    schedule=None,
    catchup=False,
    is_paused_upon_creation=False,  # triggered by hand: a paused DAG would queue the run and never start it
    doc_md=__doc__,
    tags=["newsfigures", "reprocess"],
    default_args={
        "owner": "newsfigures",
        "execution_timeout": TASK_DEADLINE,
        "retries": 1,
        "retry_delay": timedelta(minutes=1),
    },
    params={
        # "null" in the type makes a field optional in the trigger form: left empty, it is None
        "since": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Since",
            description="ISO date (YYYY-MM-DD); empty for all.",
        ),
        "topic": Param(None, type=["null", "string"], title="Topic", description="Topic of the feeds; empty for all."),
    },
)
def news_reprocess() -> None:
    reprocess()


news_reprocess()
