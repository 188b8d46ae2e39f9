"""
# Warehouse maintenance: compact files, expire snapshots

**Trigger.** Daily, from the moment it is deployed (not paused at creation).

**Produces** a tidier lake: rows inlined in the catalog flushed to Parquet, files mostly deleted by updates rewritten
without their dead rows, adjacent small Parquet files merged,
snapshots older than `NEWSFIGURES_SNAPSHOT_RETENTION_DAYS` expired (time travel reaches back that far, no further) and
files no snapshot needs any more deleted once `NEWSFIGURES_FILE_RETENTION_HOURS` have passed since they were replaced
(so a session reading the lake while it runs keeps reading). The task log says how many of each, and how many data
and delete files the lake reads afterwards (that number stays flat from day to day; growing, it means files are not
being compacted).

**When it fails** it is usually a writer holding the catalog: the task retries. If it keeps failing, read the log; no
data is at risk, the lake only stays larger until the next success.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from pipeline.airflow import TASK_DEADLINE, WRITER_POOL


@task(task_display_name="Compact and expire", pool=WRITER_POOL)
def maintain() -> dict[str, int]:
    from pipeline.airflow import tasks

    return tasks.maintain()


@dag(
    dag_id="warehouse_maintenance",
    dag_display_name="Warehouse maintenance: compact and expire",
    schedule="@daily",
    catchup=False,
    is_paused_upon_creation=False,  # a daily job that waits to be unpaused never runs
    doc_md=__doc__,
    tags=["newsfigures", "maintenance"],
    default_args={
        "owner": "newsfigures",
        "execution_timeout": TASK_DEADLINE,
        "retries": 3,
        "retry_delay": timedelta(minutes=5),
    },
)
def warehouse_maintenance() -> None:
    maintain()


warehouse_maintenance()
