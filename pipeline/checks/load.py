"""The one loader every stage uses: validate a table's batch, merge the valid rows, quarantine the rest."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from pipeline.checks.validate import validate
from pipeline.warehouse import Tx, backlog
from schemas import QUARANTINE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """What one batch of one table came to: the post-stage policy decides on this alone."""

    table: str
    loaded: int = 0
    quarantined: int = 0
    checks: dict[str, int] = field(default_factory=dict)  # failing check -> rows
    rows: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)  # the rows merged
    held: frozenset[str] = frozenset()  # the URLs of the rows quarantined

    @property
    def total(self) -> int:
        """Rows checked."""
        return self.loaded + self.quarantined

    def __add__(self, other: Loaded) -> Loaded:
        """Two batches of one table as one, counts summed and rows not kept: a stage sums its batches as it goes, so
        its memory does not grow with them, and the policy judges the stage."""
        checks = Counter(self.checks) + Counter(other.checks)
        total = self.loaded + other.loaded, self.quarantined + other.quarantined
        return Loaded(self.table, *total, dict(checks), held=self.held | other.held)


def load(
    tx: Tx,
    table: str,
    frame: pd.DataFrame,
    *,
    run_id: str,
    at: datetime,
    enrich: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    max_attempts: int = 3,
) -> Loaded:
    """Validate ``frame`` against its table's schema, MERGE the valid rows (after ``enrich``), quarantine the rest."""
    if frame.empty:  # an empty backlog costs nothing
        return Loaded(table, 0, 0)
    checked = validate(frame, table, run_id=run_id, at=at)
    valid = enrich(checked.valid) if enrich is not None else checked.valid
    tx.merge(table, valid)
    quarantine(tx, checked.quarantine, max_attempts=max_attempts)
    urls = checked.quarantine["article_url"].dropna().astype(str) if len(checked.quarantine) else pd.Series([])
    return Loaded(table, len(valid), checked.failed, checked.checks, valid, frozenset(urls))


def quarantine(tx: Tx, rows: pd.DataFrame, *, max_attempts: int = 3) -> None:
    """Keep failing rows with their check, bad value, run and attempts (a row that fails again carries its latest run;
    at ``max_attempts`` it is ``final``: its page is not tried again)."""
    if len(rows):
        tried = _attempts_before(tx, rows) + 1
        rows = rows.assign(attempts=tried, final=tried >= max_attempts)
        held = QUARANTINE.validate(rows)  # a malformed quarantine row is our bug: fail loudly, never lose the rows
        # a row that fails again carries the run that quarantined it last: that run's alert and the on-call query
        # "WHERE run_id = '<this run>'" find it
        tx.merge("quarantine", held)


def _attempts_before(tx: Tx, rows: pd.DataFrame) -> pd.Series:
    keys = rows[["table_name", "row_key", "check_name", "column_name"]].assign(n=range(len(rows)))
    tx.con.register("held_keys", keys)
    try:
        before = [n for (n,) in tx.con.execute(backlog.sql("quarantine_attempts")).fetchall()]
    finally:
        tx.con.unregister("held_keys")
    return pd.Series(before, index=rows.index, dtype="int64")
