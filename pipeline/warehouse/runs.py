"""The run record: a row in ``runs`` when a run starts (migrating the lake first), its status and counts at the end."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd

from pipeline import warehouse
from pipeline.settings import Settings
from pipeline.warehouse import backlog

log = logging.getLogger(__name__)


def start(settings: Settings, *, trigger: str, extractor_version: str, run_id: str | None = None) -> str:
    """Record a new run (migrating the warehouse first) and return its id."""
    at = datetime.now(UTC)
    run_id = run_id or f"{trigger}-{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    row = {"run_id": run_id, "started_at": at, "finished_at": None, "trigger": trigger, "status": "running"}
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)
        with warehouse.transaction(con) as tx:
            tx.merge("runs", pd.DataFrame([row | {"extractor_version": extractor_version, "counts": None}]))
    log.info("run %s started (%s)", run_id, trigger)
    return run_id


def finish(settings: Settings, run_id: str, *, status: str, counts: Mapping[str, Mapping[str, int]]) -> None:
    """Mark a run finished with its per-stage counts."""
    with warehouse.connect(settings) as con, warehouse.transaction(con) as tx:
        done = json.dumps(counts, sort_keys=True)
        backlog.finish_run(tx, run_id, at=datetime.now(UTC), status=status, counts=done)
    log.info("run %s finished: %s %s", run_id, status, dict(counts))
