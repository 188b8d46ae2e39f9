"""The one loader every stage uses: validate a table's batch, merge the valid rows, quarantine the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from pipeline.checks.validate import validate
from pipeline.warehouse import Tx
from schemas import QUARANTINE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """What one batch of one table came to: the post-stage policy decides on this alone."""

    table: str
    loaded: int
    quarantined: int
    checks: dict[str, int] = field(default_factory=dict)  # failing check -> rows
    rows: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)  # the rows merged

    @property
    def total(self) -> int:
        """Rows checked."""
        return self.loaded + self.quarantined


def load(
    tx: Tx,
    table: str,
    frame: pd.DataFrame,
    *,
    run_id: str,
    at: datetime,
    enrich: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> Loaded:
    """Validate ``frame`` against its table's schema, MERGE the valid rows (after ``enrich``), quarantine the rest."""
    checked = validate(frame, table, run_id=run_id, at=at)
    valid = enrich(checked.valid) if enrich is not None else checked.valid
    tx.merge(table, valid)
    quarantine(tx, checked.quarantine)
    return Loaded(table, len(valid), checked.failed, checked.checks, valid)


def quarantine(tx: Tx, rows: pd.DataFrame) -> None:
    """Keep failing rows with their check, bad value and run (a row that fails again carries its latest run)."""
    if len(rows):
        held = QUARANTINE.validate(rows)  # a malformed quarantine row is our bug: fail loudly, never lose the rows
        # a row that fails again carries the run that quarantined it last: that run's alert and the on-call query
        # "WHERE run_id = '<this run>'" find it
        tx.merge("quarantine", held)
