"""The run record: a row in ``runs`` when a run starts (migrating the lake first, failing runs left running), its
status, counts and failure reason at the end."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pandas as pd

from pipeline import warehouse
from pipeline.settings import Settings
from pipeline.warehouse import backlog

log = logging.getLogger(__name__)


def start(settings: Settings, *, trigger: str, extractor_version: str, run_id: str | None = None) -> str:
    """Record a new run (migrating the warehouse first, failing stale runs) and return its id."""
    at = datetime.now(UTC)
    run_id = run_id or f"{trigger}-{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    row = {"run_id": run_id, "started_at": at, "finished_at": None, "trigger": trigger, "status": "running"}
    with warehouse.session(settings, message=run_id), warehouse.connect(settings) as con:
        warehouse.migrate(con)
        before = at - timedelta(hours=settings.stale_run_hours)
        stale = [r for (r,) in backlog.rows(con, "stale_runs", {"run_id": run_id, "before": before})]
        with warehouse.transaction(con) as tx:
            if stale:
                reason = (
                    f"no end recorded: still running when run {run_id} started, more than "
                    f"{settings.stale_run_hours:g} h after it (NEWSFIGURES_STALE_RUN_HOURS); killed or lost"
                )
                backlog.fail_stale_runs(tx, stale, at=at, reason=reason)
            tx.merge("runs", pd.DataFrame([row | {"extractor_version": extractor_version, "counts": None}]))
    if stale:
        log.warning("runs %s never recorded their end: marked failed", ", ".join(stale))
    log.info("run %s started (%s)", run_id, trigger)
    return run_id


def finish(
    settings: Settings,
    run_id: str,
    *,
    status: str,
    counts: Mapping[str, Mapping[str, int]],
    reason: str | None = None,
) -> None:
    """Mark a run finished with its per-stage counts and, if it failed, why."""
    with (
        warehouse.session(settings, message=run_id),
        warehouse.connect(settings) as con,
        warehouse.transaction(con) as tx,
    ):
        done = json.dumps(counts, sort_keys=True)
        backlog.finish_run(tx, run_id, at=datetime.now(UTC), status=status, counts=done, reason=reason)
    log.info("run %s finished: %s %s%s", run_id, status, dict(counts), f" ({reason})" if reason else "")
