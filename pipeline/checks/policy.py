"""The one post-stage rule for every table, CLI and Airflow alike: fail above the threshold, alert on quarantine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.checks import alerts
from pipeline.checks.load import Loaded
from pipeline.errors import SchemaFailure
from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """Who ran the stage, for the alert: the DAG (or CLI trigger) and task, where its log is, where alerts go."""

    dag_id: str
    task_id: str
    channels: Callable[[], alerts.Channels]  # asked only when there is something to send
    log_url: str | None = None
    told: Callable[[alerts.Alert, dict[str, Any]], None] | None = None  # the CLI prints what was sent


def over_threshold(settings: Settings, loaded: Loaded) -> bool:
    """Whether so large a share of a batch failed its schema that the stage fails (quarantine alone is not enough)."""
    return loaded.total > 0 and loaded.quarantined / loaded.total > settings.quarantine_threshold


def settle(settings: Settings, loaded: Loaded, *, run_id: str, origin: Origin | None, at: datetime) -> None:
    """After a stage committed: alert on-call about its quarantined rows, then fail it if above the threshold."""
    failing = over_threshold(settings, loaded)
    alert = None
    if loaded.quarantined:
        dag_id, task_id = (origin.dag_id, origin.task_id) if origin is not None else ("pipeline", loaded.table)
        alert = alerts.build(
            settings, run_id=run_id, table=loaded.table, total=loaded.total, dag_id=dag_id, task_id=task_id,
            task_failed=failing, log_url=origin.log_url if origin else None, failed=loaded.quarantined, at=at,
        )  # fmt: skip
    if alert is not None and origin is not None:
        decision = alerts.dispatch(settings, alert, origin.channels(), at=at)
        if origin.told is not None:
            origin.told(alert, decision)
    if failing:
        # the task's message is the alert's text: the run, the bad values and their URLs, the quarantine query
        detail = alert.text() if alert is not None else ""
        raise SchemaFailure(loaded.table, loaded.quarantined, loaded.total, loaded.checks, detail=detail)
