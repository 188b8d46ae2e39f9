"""Benchmark: latency from a feed gaining an entry to that entry's figures being queryable in the warehouse.

Run from the project root: ``.venv/bin/python benchmarks/latency.py [--updates 20] [--poll-interval 5]``. Starts the
project's ``airflow standalone`` in a temporary directory (~25 s, ~3.5 GB) watching one local feed, waits for its first
ingest, then publishes ``--updates`` articles one after another: each is added to the feed, timed until its figures
answer a read-only warehouse query, and followed by a pause until Airflow is idle, so every update starts from rest.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

# The Airflow helpers live beside the e2e tests that share them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from airflow_support import lake_vars, local_feed, query, settle, standalone, wait_for

DAGS = ("news_ingest", "news_quality")
# Arrivals per year as the Ministry of Unification reports them: every update states a plausible figure.
OFFICIAL = {
    2005: 1383, 2006: 2018, 2007: 2544, 2008: 2809, 2009: 2914, 2010: 2402, 2011: 2706, 2012: 1502, 2013: 1514,
    2014: 1397, 2015: 1275, 2016: 1418, 2017: 1127, 2018: 1137, 2019: 1047, 2020: 229, 2021: 63, 2022: 67,
    2023: 196, 2024: 236,
}  # fmt: skip


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (the smallest value with at least p% of values at or below it)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)), 1) - 1]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print one line per update and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--poll-interval", type=float, default=5.0, help="NEWSFIGURES_POLL_INTERVAL, seconds")
    args = parser.parse_args(argv)
    years = list(OFFICIAL) * (args.updates // len(OFFICIAL) + 1)
    with tempfile.TemporaryDirectory(prefix="latency-") as tmp, local_feed(Path(tmp) / "site") as feed:
        lake = lake_vars(Path(tmp), {feed.name: feed.url})
        env = {**lake, "NEWSFIGURES_POLL_INTERVAL": str(args.poll_interval)}
        booted = time.monotonic()
        with standalone(Path(tmp), env) as airflow:
            settle(airflow.api, DAGS, quiet=2 * args.poll_interval)
            print(f"Airflow up and first ingest done in {time.monotonic() - booted:.0f} s", flush=True)
            latencies, seen_after = [], []
            for i, year in enumerate(years[: args.updates]):
                added = time.time()
                url = feed.add_entry(f"update-{i:02d}", count=OFFICIAL[year], year=year)
                wait_for(f"figures of {url}", partial(_figures, lake, url), timeout=300, every=0.25)
                latencies.append(time.time() - added)
                seen_after.append(_first_change(feed.requests.requests, added) - added)
                print(f"update {i + 1:2d}: watcher saw it after {seen_after[-1]:5.1f} s, figures queryable after "
                      f"{latencies[-1]:5.1f} s", flush=True)  # fmt: skip
                settle(airflow.api, DAGS, quiet=args.poll_interval)
            _report(args.updates, args.poll_interval, latencies, seen_after)  # before stopping: shutdown may fail
    return 0


def _report(updates: int, poll_interval: float, latencies: Sequence[float], seen_after: Sequence[float]) -> None:
    print(
        f"\n{updates} updates, trigger poll interval {poll_interval:g} s, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}\n"
        f"entry added -> figures queryable: p50 {percentile(latencies, 50):.1f} s, p95 "
        f"{percentile(latencies, 95):.1f} s, max {max(latencies):.1f} s\n"
        f"entry added -> watcher's poll saw it: p50 {percentile(seen_after, 50):.1f} s, p95 "
        f"{percentile(seen_after, 95):.1f} s"
    )


def _figures(lake: dict[str, str], url: str) -> int:
    """How many figures the warehouse holds for the article at ``url``."""
    return int(query(lake, f"SELECT count(*) FROM figures WHERE article_url = '{url}'")[0][0])


def _first_change(requests: Sequence[tuple[float, str, int]], since: float) -> float:
    """When the feed was first served in full (200, not 304) at or after ``since``: the watcher's poll."""
    return next(at for at, path, status in requests if path.endswith("rss.xml") and status == 200 and at >= since)


if __name__ == "__main__":
    sys.exit(main())
