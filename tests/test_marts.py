"""The analyst's marts on the demo site, and time travel: what a view said at an earlier snapshot."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd
import pytest
from conftest import lake_settings

from pipeline import flow, warehouse
from pipeline.demo.server import SITE, demo_feeds, serve
from pipeline.records import Feed
from pipeline.settings import Settings

MARTS = ("reported_vs_official", "reporting_timeline", "outlet_accuracy", "ingestion_health", "ingestion_health_daily")


def dead_feed() -> Feed:
    """A feed on a local port nothing listens on: every poll fails."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return Feed(name="demo-dead", url=f"http://127.0.0.1:{port}/rss.xml", topic="defection")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The demo site ingested, polled once more (all 304), plus a dead feed polled once."""
    root = tmp_path_factory.mktemp("marts")
    with serve(SITE) as base:
        settings = lake_settings(root, demo_feeds(base))
        flow.run(settings, trigger="test")
        flow.run(replace(settings, feeds=(*settings.feeds, dead_feed())), trigger="test")
    yield settings


@pytest.fixture(scope="module")
def reader(demo: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An analyst's read-only connection to the demo lake."""
    with warehouse.connect(demo, read_only=True) as con:
        yield con


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    result = con.execute(sql)
    names = [d[0] for d in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_every_mart_answers_on_the_demo(reader: duckdb.DuckDBPyConnection) -> None:
    for mart in MARTS:
        assert rows(reader, f"SELECT count(*) AS n FROM {mart}")[0]["n"] > 0, mart


def test_timeline_of_2023_goes_from_preliminary_to_final_and_flags_the_misreports(
    reader: duckdb.DuckDBPyConnection,
) -> None:
    timeline = rows(
        reader,
        """SELECT * FROM reporting_timeline WHERE metric = 'arrivals' AND subgroup IS NULL AND year = 2023
           ORDER BY report_no""",
    )
    assert [r["report_no"] for r in timeline] == list(range(1, len(timeline) + 1))
    published = [r["published_at"] for r in timeline]
    assert published == sorted(published)
    first, second = timeline[0], timeline[1]
    assert (first["reported_value"], first["matches"], first["event"]) == (190, "preliminary", "first_report")
    assert first["preliminary_value"] == 190 and first["final_value"] == 196
    assert "/wire/" in first["url"]
    assert (second["reported_value"], second["matches"], second["event"]) == (196, "final", "revision")
    assert second["days_after_first"] == 8
    misreports = {(r["reported_value"], r["outlet"]) for r in timeline if r["event"] == "misreport"}
    assert misreports == {(800, "Safe Retirement Reports"), (863, "Safe Retirement Reports")}
    # the later article that recalls the preliminary 190 is out of date, not a new revision; two outlets syndicate it
    outdated = [r for r in timeline if r["event"] == "outdated"]
    assert [r["reported_value"] for r in outdated] == [190, 190, 190]
    assert [r["outlet"] for r in outdated] == ["Korea National Wire", "The Seoul Herald", "Safe Retirement Reports"]
    stories = {reader.execute("SELECT story_id FROM articles WHERE url = ?", [r["url"]]).fetchone() for r in outdated}
    assert len(stories) == 1
    assert {r["event"] for r in timeline[-3:]} == {"repeat"}


def test_outlet_accuracy_shows_the_seed_misreport_for_its_outlet(reader: duckdb.DuckDBPyConnection) -> None:
    outlets = {r["outlet"]: r for r in rows(reader, "SELECT * FROM outlet_accuracy")}
    retire = outlets["Safe Retirement Reports"]
    # its own stories are mostly wrong (< 0.5); the accurate wire story it republishes lifts it, still the lowest
    assert retire["disagrees"] >= 6 and retire["share_agreeing"] < 0.75
    assert min(outlets.values(), key=lambda r: r["share_agreeing"])["outlet"] == "Safe Retirement Reports"
    seed = [m for m in retire["worst_misreports"] if m["year"] == 2023 and m["reported"] == 800]
    assert len(seed) == 1 and seed[0]["official"] == 196 and "/retire/2024/02/05/" in seed[0]["url"]
    deviations = [abs(m["deviation_pct"]) for m in retire["worst_misreports"]]
    assert deviations == sorted(deviations, reverse=True)
    assert retire["worst_url"] == retire["worst_misreports"][0]["url"]
    for name in ("Korea National Wire", "The Seoul Herald"):
        assert outlets[name]["share_agreeing"] == 1 and outlets[name]["worst_misreports"] == []
    total = rows(reader, "SELECT count(*) AS n FROM reported_vs_official")[0]["n"]
    assert sum(r["figures_reported"] for r in outlets.values()) == total


def test_ingestion_health_counts_polls_304s_and_a_failing_feed(reader: duckdb.DuckDBPyConnection) -> None:
    feeds = {r["feed"]: r for r in rows(reader, "SELECT * FROM ingestion_health")}
    entries = dict(tuple(r.values()) for r in rows(reader, "SELECT feed, count(*) FROM entries GROUP BY feed"))
    for name in ("demo-wire", "demo-herald", "demo-retire"):
        feed = feeds[name]
        assert (feed["polls"], feed["changed"], feed["not_modified"], feed["errors"]) == (2, 1, 1, 0)
        assert feed["entries_new"] == feed["entries"] == feed["articles"] == entries[name]
        assert feed["last_outcome"] == "not_modified" and feed["last_success_at"] == feed["last_polled_at"]
        assert feed["figures"] > 0 and feed["consecutive_errors"] == 0
    dead = feeds["demo-dead"]
    assert (dead["polls"], dead["errors"], dead["consecutive_errors"], dead["entries"]) == (1, 1, 1, 0)
    assert dead["last_success_at"] is None and dead["last_error"]


def test_ingestion_by_day_adds_up_to_the_tables(reader: duckdb.DuckDBPyConnection) -> None:
    days = rows(reader, "SELECT * FROM ingestion_health_daily")
    totals = rows(
        reader,
        """SELECT (SELECT count(*) FROM feed_polls) AS polls, (SELECT count(*) FROM runs) AS runs,
                  (SELECT count(*) FROM articles WHERE status = 'ok') AS articles,
                  (SELECT count(*) FROM figures WHERE repeats_figure_no IS NULL) AS figures,
                  (SELECT count(*) FROM entries) AS entries_new""",
    )[0]
    for column, total in totals.items():  # figures: claims, a figure restating its article's claim counted once
        assert sum(d[column] for d in days) == total, column
    assert sum(d["poll_errors"] for d in days) == 1 and sum(d["quarantined"] for d in days) == 0


# Time travel -----------------------------------------------------------------------------------------------------

ARTICLE = "https://news.example/defectors-2023"
AT = datetime(2024, 2, 5, tzinfo=UTC)


def load_reading(con: duckdb.DuckDBPyConnection, value: float, run_id: str) -> None:
    """Load (or re-read) the article as one figure about 2023 arrivals, as find_figures does: delete, then merge."""
    article = {
        "url": ARTICLE, "body_sha256": "0" * 64, "status": "ok", "reason": None, "title": "Defectors",
        "author": None, "published_at": AT, "published_source": "html-meta", "site_name": "Example Times",
        "language": "en", "canonical_url": None, "text": f"around {value:.0f} in 2023", "extraction_method": "test",
        "extracted_at": AT, "run_id": run_id, "figures_version": "test-1",
    }  # fmt: skip
    figure = {
        "article_url": ARTICLE, "figure_no": 1, "kind": "count", "value": value, "low": None, "high": None,
        "hedge": "approximate", "metric": "arrivals", "sense": None, "subgroup": None, "year": 2023,
        "period": None, "span_start": 0, "span_end": 10, "span_text": f"around {value:.0f}",
        "sentence": f"around {value:.0f} in 2023", "topic": "defection", "extractor_version": "test-1",
        "loaded_at": AT, "run_id": run_id,
    }  # fmt: skip
    with warehouse.transaction(con) as tx:
        tx.merge("articles", pd.DataFrame([article]))
        tx.execute("DELETE FROM figures WHERE article_url = ?", [ARTICLE])
        tx.merge("figures", pd.DataFrame([figure]))


SAID = "SELECT reported, official, agreement, outlet FROM reported_vs_official"


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, int, datetime]]:
    """A lake where the article first said 800, then was re-read as 196: the snapshot and time in between."""
    settings = lake_settings(tmp_path_factory.mktemp("travel"))
    with warehouse.connect(settings) as con:
        warehouse.migrate(con)
        load_reading(con, 800, "r1")
        version = int(con.execute("SELECT id FROM news.current_snapshot()").fetchone()[0])  # type: ignore[index]
        between = con.execute("SELECT max(snapshot_time) FROM news.snapshots()").fetchone()[0]  # type: ignore[index]
        load_reading(con, 196, "r2")
    yield settings, version, between


def test_a_view_read_at_an_earlier_version_says_what_it_said_then(corrected: tuple[Settings, int, datetime]) -> None:
    settings, version, _ = corrected
    with warehouse.connect(settings, read_only=True) as con:
        now, then = rows(con, SAID), rows(con, f"{SAID} AT (VERSION => {version})")
    assert now == [{"reported": 196, "official": 196, "agreement": "agrees", "outlet": "Example Times"}]
    assert then == [{"reported": 800, "official": 196, "agreement": "disagrees", "outlet": "Example Times"}]


def test_as_of_a_time_and_a_lake_attached_at_a_snapshot(corrected: tuple[Settings, int, datetime]) -> None:
    settings, version, between = corrected
    with warehouse.connect(settings, read_only=True) as con:
        at_time = con.execute(f"{SAID} AT (TIMESTAMP => ?)", [between]).fetchall()
        con.execute("SET VARIABLE as_of = ?", [between])
        by_variable = con.execute(f"{SAID} AT (TIMESTAMP => getvariable('as_of'))").fetchall()
        catalog = settings.catalog
        con.execute(f"ATTACH 'ducklake:{catalog}' AS news_then (READ_ONLY, SNAPSHOT_VERSION {version})")
        attached = con.execute(SAID.replace("FROM ", "FROM news_then.")).fetchall()
        outlets_then = con.execute("SELECT outlet, disagrees FROM news_then.outlet_accuracy").fetchall()
    assert at_time == by_variable == attached == [(800, 196, "disagrees", "Example Times")]
    assert outlets_then == [("Example Times", 1)]
