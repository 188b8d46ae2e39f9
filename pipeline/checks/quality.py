"""How an ingest run's figures compare with the reference series: one summary row per run, for the news_quality DAG."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from pipeline import warehouse
from pipeline.settings import Settings

log = logging.getLogger(__name__)

SUMMARY = """
    SELECT
        (SELECT count(DISTINCT article_url) FROM figures WHERE run_id = $run) AS articles,
        (SELECT count(*) FROM figures WHERE run_id = $run AND repeats_figure_no IS NULL) AS figures,
        count(*) FILTER (WHERE agreement <> 'no_reference') AS comparable,
        count(*) FILTER (WHERE agreement = 'agrees') AS agrees,
        count(*) FILTER (WHERE agreement = 'disagrees') AS disagrees,
        (SELECT count(DISTINCT row_key) FROM quarantine WHERE run_id = $run) AS quarantined
    FROM reported_vs_official WHERE run_id = $run"""
WORST = """
    SELECT outlet, metric, subgroup, year, kind, reported, reported_ratio, hedge, official,
        round(official_ratio, 2) AS official_ratio, url
    FROM reported_vs_official WHERE run_id = $run AND agreement = 'disagrees'
    ORDER BY abs(deviation_pct) DESC, url LIMIT 10"""


def latest_run(settings: Settings) -> str | None:
    """The most recent ingest run that finished, for a quality run started by hand."""
    with warehouse.connect(settings, read_only=True) as con:
        row = con.execute(
            "SELECT run_id FROM runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
    return None if row is None else str(row[0])


def assess(
    settings: Settings, ingest_run_ids: Sequence[str], *, assessed_by: str, at: datetime
) -> list[dict[str, Any]]:
    """Summarise each ingest run's figures against the reference series and store the summaries."""
    summaries = []
    with warehouse.connect(settings) as con:
        for run_id in dict.fromkeys(ingest_run_ids):  # batched events may name a run twice
            cursor = con.execute(SUMMARY, {"run": run_id})
            names = [d[0] for d in cursor.description]
            summary = dict(zip(names, cursor.fetchone() or (), strict=True))
            cursor = con.execute(WORST, {"run": run_id})  # rows, not a frame: a NULL stays null in the JSON, not NaN
            columns = [d[0] for d in cursor.description]
            worst = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            summaries.append(
                {"ingest_run_id": run_id, "assessed_at": at, "assessed_by": assessed_by, **summary}
                | {"disagreeing": json.dumps(worst, default=str)}
            )
        with warehouse.transaction(con) as tx:
            tx.merge("quality_summaries", pd.DataFrame(summaries))
    for s in summaries:
        log.info(
            "run %s: %d figures, %d comparable, %d agree, %d disagree, %d quarantined",
            s["ingest_run_id"], s["figures"], s["comparable"], s["agrees"], s["disagrees"], s["quarantined"],
        )  # fmt: skip
    return summaries
