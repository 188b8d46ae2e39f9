"""What Airflow imports from the installed package: the watcher trigger, the task bodies, the alert channels and the
local launcher. This module is light: DAG files import it while parsing, for the names below."""

from datetime import timedelta

WRITER_POOL = "warehouse_writer"  # a 1-slot pool: one task commits to the warehouse at a time
FEEDS_ASSET = "news_feeds"  # fed by the feed watcher; news_ingest is scheduled on it
# Every task that writes the warehouse stops by then: a wedged writer would hold WRITER_POOL, and every DAG behind it
TASK_DEADLINE = timedelta(hours=2)
