"""Warehouse benchmarks: MERGE loading speed against a plain DuckDB insert, and each mart's query latency.

    .venv/bin/python benchmarks/warehouse.py [--figures N --articles N --big-articles N --big-figures N --repeat N]

Part 1 loads the same generated frames through ``Tx.merge`` (a DuckLake with a SQLite catalog: batch
de-duplication, NULL-safe key match, journaled transaction) and through ``INSERT INTO t SELECT * FROM frame`` into a
plain in-memory DuckDB table, in the same run. Part 2 builds a lake of ``--big-articles`` articles and ``--big-figures``
figures and times each mart, fully materialised. Timings are wall-clock seconds, best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline import warehouse
from pipeline.settings import Settings

MARTS = ("reported_vs_official", "reporting_timeline", "outlet_accuracy", "ingestion_health", "ingestion_health_daily")
EPOCH = datetime(2022, 1, 1, tzinfo=UTC)
OUTLETS = [f"Outlet {i:02d}" for i in range(40)]
FEEDS = [f"feed-{i:02d}" for i in range(40)]


def urls(n: int) -> pd.Series:
    return pd.Series([f"https://news{i % 40:02d}.example/a/{i}" for i in range(n)], dtype=object)


def article_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    published = [EPOCH + timedelta(hours=int(h)) for h in rng.integers(0, 4 * 365 * 24, n)]
    return pd.DataFrame(
        {
            "url": urls(n),
            "body_sha256": [f"{i:064x}" for i in range(n)],
            "status": "ok",
            "reason": None,
            "title": "Defector arrivals",
            "author": None,
            "published_at": published,
            "published_source": "html-meta",
            "site_name": [OUTLETS[i % 40] for i in range(n)],
            "language": "en",
            "canonical_url": None,
            "text": "A total of 196 North Korean defectors arrived in South Korea last year. " * 3,
            "extraction_method": "trafilatura",
            "extracted_at": EPOCH,
            "run_id": "bench",
            "figures_version": "bench-1",
        }
    )


def figure_frame(n: int, articles: int, rng: np.random.Generator) -> pd.DataFrame:
    article = rng.integers(0, articles, n)
    years = rng.integers(2000, 2026, n)
    truth = 200.0
    values = np.where(rng.random(n) < 0.9, truth, rng.integers(50, 3000, n)).astype(float)
    return pd.DataFrame(
        {
            "article_url": [f"https://news{a % 40:02d}.example/a/{a}" for a in article],
            "figure_no": np.arange(n) % 10 + 1,
            "kind": "count",
            "value": values,
            "low": np.nan,
            "high": np.nan,
            "hedge": rng.choice(["exact", "approximate", "at_least"], n),
            "metric": rng.choice(["arrivals", "cumulative", "other"], n, p=[0.7, 0.1, 0.2]),
            "sense": None,
            "subgroup": rng.choice([None, "women", "men"], n, p=[0.8, 0.1, 0.1]),
            "year": years,
            "period": None,
            "span_start": np.arange(n) * 7,  # distinct keys: (article_url, span_start, span_end, kind)
            "span_end": np.arange(n) * 7 + 3,
            "span_text": "196",
            "sentence": "A total of 196 North Korean defectors arrived in South Korea last year.",
            "topic": "defection",
            "extractor_version": "bench-1",
            "loaded_at": EPOCH,
            "run_id": "bench",
        }
    )


def entry_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "url": urls(n),
            "feed": [FEEDS[i % 40] for i in range(n)],
            "topic": "defection",
            "guid": urls(n),
            "title": "Defector arrivals",
            "published_at": EPOCH,
            "summary": None,
            "first_seen_at": [EPOCH + timedelta(days=i % 1000) for i in range(n)],
            "run_id": "bench",
        }
    )


def page_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "url": urls(n),
            "final_url": urls(n),
            "fetched_at": [EPOCH + timedelta(days=i % 1000) for i in range(n)],
            "status_code": 200,
            "content_type": "text/html",
            "body_sha256": [f"{i:064x}" for i in range(n)],
            "size_bytes": 20_000,
            "error": None,
            "attempts": 1,
            "run_id": "bench",
        }
    )


def poll_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": [f"run-{i // 40}" for i in range(n)],
            "feed": [FEEDS[i % 40] for i in range(n)],
            "url": [f"https://{FEEDS[i % 40]}.example/rss.xml" for i in range(n)],
            "polled_at": [EPOCH + timedelta(minutes=5 * i) for i in range(n)],
            "outcome": ["changed" if i % 7 == 0 else "error" if i % 97 == 0 else "not_modified" for i in range(n)],
            "status_code": 200,
            "etag": None,
            "last_modified": None,
            "body_sha256": None,
            "entries_seen": 20,
            "entries_new": [3 if i % 7 == 0 else 0 for i in range(n)],
            "error": None,
            "elapsed_ms": 40,
        }
    )


def best(repeat: int, setup: Callable[[], object], run: Callable[[object], object]) -> float:
    """The fastest of ``repeat`` timed runs, each after a fresh, untimed setup."""
    times = []
    for _ in range(repeat):
        state = setup()
        start = time.perf_counter()
        run(state)
        times.append(time.perf_counter() - start)
    return min(times)


def lake(root: Path) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    return Settings(catalog=f"sqlite:{root}/catalog.sqlite", data_path=f"{root}/data/", archive_dir=root / "archive")


def load_speed(tmp: Path, n_figures: int, n_articles: int, repeat: int) -> None:
    rng = np.random.default_rng(1)
    articles, figures = article_frame(n_articles, rng), figure_frame(n_figures, n_articles, rng)
    print(f"\nLoad: {n_articles:,} articles and {n_figures:,} figures (best of {repeat})")
    print(
        f"{'table':9} {'rows':>9} {'merge s':>8} {'merge rows/s':>13} {'insert s':>9} {'insert rows/s':>14}"
        f" {'ratio':>6}"
    )
    for table, frame in (("articles", articles), ("figures", figures)):
        counter = iter(range(repeat))

        def fresh_lake(table: str = table, counter: Iterator[int] = counter) -> duckdb.DuckDBPyConnection:
            con = warehouse.connect(lake(tmp / f"load-{table}-{next(counter)}"))
            warehouse.migrate(con)
            return con

        def merge(con: object, table: str = table, frame: pd.DataFrame = frame) -> None:
            assert isinstance(con, duckdb.DuckDBPyConnection)
            with warehouse.transaction(con) as tx:
                tx.merge(table, frame)

        def plain_table(frame: pd.DataFrame = frame) -> duckdb.DuckDBPyConnection:
            con = duckdb.connect()
            con.register("frame", frame)
            con.execute("CREATE TABLE t AS SELECT * FROM frame LIMIT 0")
            return con

        def insert(con: object) -> None:
            assert isinstance(con, duckdb.DuckDBPyConnection)
            con.execute("INSERT INTO t SELECT * FROM frame")

        merged = best(repeat, fresh_lake, merge)
        inserted = best(repeat, plain_table, insert)
        rows = len(frame)
        print(
            f"{table:9} {rows:>9,} {merged:>8.2f} {rows / merged:>13,.0f} {inserted:>9.3f} {rows / inserted:>14,.0f}"
            f" {merged / inserted:>5.0f}x"
        )


def mart_latency(tmp: Path, n_articles: int, n_figures: int, repeat: int) -> None:
    rng = np.random.default_rng(2)
    settings = lake(tmp / "big")
    start = time.perf_counter()
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)
        with warehouse.transaction(con) as tx:
            tx.append("entries", entry_frame(n_articles))
            tx.append("pages", page_frame(n_articles))
            tx.append("articles", article_frame(n_articles, rng))
            tx.append("feed_polls", poll_frame(40 * 24 * 12 * 30))  # 40 feeds, every 5 min, 30 days
        for chunk in range(0, n_figures, 250_000):
            with warehouse.transaction(con) as tx:
                tx.append("figures", figure_frame(min(250_000, n_figures - chunk), n_articles, rng))
    print(
        f"\nMarts on {n_articles:,} articles and {n_figures:,} figures (built in {time.perf_counter() - start:.0f} s)"
    )
    print(f"{'mart':24} {'rows':>9} {'seconds':>8}")
    with warehouse.connect(settings, read_only=True) as con:
        for mart in MARTS:
            sql = f"CREATE OR REPLACE TEMP TABLE bench AS SELECT * FROM {mart}"
            seconds = best(repeat, lambda: None, lambda _, sql=sql: con.execute(sql))
            rows = con.execute("SELECT count(*) FROM bench").fetchone()
            print(f"{mart:24} {rows[0] if rows else 0:>9,} {seconds:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--big-articles", type=int, default=100_000)
    parser.add_argument("--big-figures", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"duckdb {duckdb.__version__}, DuckLake with a SQLite catalog, Parquet data in a temporary directory")
    with tempfile.TemporaryDirectory(prefix="newsfigures-bench-") as tmp:
        load_speed(Path(tmp), args.figures, args.articles, args.repeat)
        mart_latency(Path(tmp), args.big_articles, args.big_figures, args.repeat)


if __name__ == "__main__":
    main()
