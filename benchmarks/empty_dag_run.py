"""Benchmark: how long a news_ingest DAG run takes when nothing is new, and where its seconds go.

Run from the project root: ``.venv/bin/python benchmarks/empty_dag_run.py [--runs 3]``. Starts the project's
``airflow standalone`` in a temporary directory (as ``benchmarks/latency.py`` does: ~25 s, ~3.5 GB) watching one
local feed (a copy of ``tests/data/airflow/wire``), waits for the first ingest to finish and Airflow to be idle, then
triggers ``news_ingest`` through the REST API ``--runs`` times, one after another, with nothing new on the feed.
``--bytecode cached`` (the default) lets Airflow's processes cache compiled modules, as a deployed install does;
``as-is`` keeps this container's PYTHONDONTWRITEBYTECODE=1 (every task process compiles what it imports).

Per run: the DAG run's wall time from the API's dates (queued -> end, start -> end), the pipeline's own run record
(``runs.started_at`` -> ``finished_at``), and per task instance: the wait from queued to start (scheduling and the
executor starting the task process), the run time (start -> end), and the gap after the task before it (from one
task's end to the next one's queue).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the Airflow helpers beside the e2e tests

from airflow_support import AirflowApi, lake_vars, local_feed, query, settle, standalone
from scaling import bytecode_env

DAGS = ("news_ingest", "news_quality")


class PatientApi(AirflowApi):
    """The tests' API client, asking a GET again when the API server, starved on a busy machine, times out."""

    def _send(self, method: str, path: str, body: Any) -> httpx.Response:
        for _ in range(9 if method == "GET" else 0):
            try:
                return super()._send(method, path, body)
            except httpx.TimeoutException:
                time.sleep(5)
        return super()._send(method, path, body)


def _at(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def _span(start: float | None, end: float | None) -> float | None:
    return round(end - start, 2) if start is not None and end is not None else None


def measure(api: AirflowApi, lake: dict[str, str]) -> dict[str, Any]:
    """Trigger news_ingest once, wait for it, and read its dates and its task instances' from the API."""
    posted = time.time()
    run = api.post("/api/v2/dags/news_ingest/dagRuns", {"logical_date": None, "conf": {}})
    run_id = run["dag_run_id"]
    state = api.wait_for_run("news_ingest", run_id)
    done = api.get(f"/api/v2/dags/news_ingest/dagRuns/{run_id}")
    tis = api.get(f"/api/v2/dags/news_ingest/dagRuns/{run_id}/taskInstances")["task_instances"]
    queued, start, end = _at(done.get("queued_at")), _at(done.get("start_date")), _at(done.get("end_date"))
    tasks, previous_end = [], start
    for ti in sorted(tis, key=lambda t: _at(t.get("start_date")) or 0.0):
        t_queued, t_start, t_end = _at(ti.get("queued_when")), _at(ti.get("start_date")), _at(ti.get("end_date"))
        tasks.append(
            {
                "task": ti["task_id"],
                "state": ti["state"],
                "gap_before_s": _span(previous_end, t_queued),  # previous task's end (or the run's start) to queued
                "queued_to_start_s": _span(t_queued, t_start),
                "run_s": _span(t_start, t_end),
            }
        )
        previous_end = t_end
    pipeline_run = query(
        lake,
        "SELECT run_id, status, epoch(finished_at) - epoch(started_at), counts FROM runs "
        f"WHERE run_id = '{run_id.replace(chr(39), chr(39) * 2)}'",  # news_ingest records the DAG run's id
    )
    return {
        "dag_run_id": run_id,
        "state": state,
        "post_to_queued_s": _span(posted, queued),
        "queued_to_end_s": _span(queued, end),
        "start_to_end_s": _span(start, end),
        "tasks": tasks,
        "task_run_s_total": round(sum(t["run_s"] or 0.0 for t in tasks), 2),
        "pipeline_run": {
            "run_id": pipeline_run[0][0],
            "status": pipeline_run[0][1],
            "started_to_finished_s": round(float(pipeline_run[0][2]), 2),
            "counts": json.loads(pipeline_run[0][3] or "{}"),
        }
        if pipeline_run
        else None,
    }


def report(runs: list[dict[str, Any]]) -> str:
    """One block per run: its wall times, then a line per task."""
    lines = []
    for i, r in enumerate(runs, 1):
        own = r["pipeline_run"] or {}
        lines.append(
            f"run {i} ({r['state']}): queued -> end {r['queued_to_end_s']} s, start -> end {r['start_to_end_s']} s; "
            f"tasks ran {r['task_run_s_total']} s in all; pipeline run record {own.get('started_to_finished_s')} s"
        )
        lines.append(f"  {'task':18} {'gap before':>10} {'queued->start':>13} {'run s':>6}")
        for t in r["tasks"]:
            lines.append(f"  {t['task']:18} {t['gap_before_s']!s:>10} {t['queued_to_start_s']!s:>13} {t['run_s']!s:>6}")
    walls = [r["queued_to_end_s"] for r in runs if r["queued_to_end_s"] is not None]
    if walls:
        lines.append(f"median queued -> end over {len(walls)} runs: {statistics.median(walls):.1f} s")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="empty runs to trigger, one after another")
    parser.add_argument(
        "--bytecode",
        choices=("cached", "as-is"),
        default="cached",
        help="cached: Airflow's processes cache compiled modules (PYTHONPYCACHEPREFIX); as-is: this environment's",
    )
    parser.add_argument("--out", type=Path, help="write the measurements as JSON here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="empty-dag-") as tmp, local_feed(Path(tmp) / "site") as feed:
        lake = lake_vars(Path(tmp), {feed.name: feed.url})
        env = {**lake, "NEWSFIGURES_POLL_INTERVAL": "30"}  # the watcher finds nothing new: it never triggers a run
        if args.bytecode == "cached":
            env |= bytecode_env()
        booted = time.monotonic()
        with standalone(Path(tmp), env) as airflow:
            api = PatientApi(airflow.api.base, airflow.api.token)
            settle(api, DAGS, quiet=10)
            print(f"Airflow up and first ingest done in {time.monotonic() - booted:.0f} s", flush=True)
            runs = []
            for _ in range(args.runs):
                runs.append(measure(api, lake))
                settle(api, DAGS, quiet=5)
            load = os.getloadavg()[0]
        print(f"{os.cpu_count()} cores, load average {load:.1f}, bytecode {args.bytecode}\n{report(runs)}")
        if args.out:
            args.out.write_text(
                json.dumps({"load_average": load, "bytecode": args.bytecode, "runs": runs}, indent=2) + "\n",
                encoding="utf-8",
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
