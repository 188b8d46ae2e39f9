"""Benchmark: the peak memory of the poll stage alone, against the number of entries the feeds list.

Run from the project root: ``.venv/bin/python benchmarks/poll_memory.py [--articles 50000] [--concurrency 8]``. Serves
the synthetic site of ``benchmarks/scaling.py`` (10 outlets, each feed listing all its articles: 50,000 articles are
ten 5,000-item feeds) in this process, builds its feeds, records a run on a fresh lake, then runs ``poll_feeds`` and
samples this process's RSS every 50 ms: the peak above the RSS before the stage is what polling holds.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

import newssite
import psutil
from scaling import LOOPBACK, lake_env, write_feeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=8, help="NEWSFIGURES_FETCH_CONCURRENCY: feeds at once")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="poll-memory-"))
    with newssite.serve(newssite.Site(1, args.articles)) as site:
        write_feeds(root / "feeds.toml", site)
        os.environ.update({**lake_env("embedded", root, args.articles, root), **LOOPBACK})
        os.environ["NEWSFIGURES_FETCH_CONCURRENCY"] = str(args.concurrency)
        feeds_mb = sum(len(site.feed(outlet)) for outlet in range(newssite.OUTLETS)) / 2**20  # built before measuring

        from pipeline import flow
        from pipeline.settings import Settings

        settings, me, peak = Settings.from_env(), psutil.Process(), [0]
        run_id = flow.start_run(settings, trigger="benchmark")

        def sample() -> None:
            while True:
                peak[0] = max(peak[0], me.memory_info().rss)
                time.sleep(0.05)

        before = me.memory_info().rss
        threading.Thread(target=sample, daemon=True).start()
        began = time.perf_counter()
        counts = flow.run_stage("poll_feeds", settings, run_id)
        seconds, after = time.perf_counter() - began, me.memory_info().rss
    print(
        f"{args.articles} entries in {newssite.OUTLETS} feeds ({feeds_mb:.1f} MB), {args.concurrency} at once: "
        f"RSS {before / 2**20:.0f} MB before the stage, peak {peak[0] / 2**20:.0f}, after {after / 2**20:.0f}; "
        f"{seconds:.1f} s; {counts}"
    )


if __name__ == "__main__":
    main()
