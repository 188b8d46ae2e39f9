"""End to end on a real ``airflow standalone``: a feed gains an entry, the watcher fires, its figures land.

One instance serves the whole module (booting costs ~25 s and ~3.5 GB); the tests run in file order and each
starts from a quiet instance, so any one of them also runs alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from airflow_support import (
    CEILING,
    LocalFeed,
    Standalone,
    asset,
    dag_runs,
    lake_vars,
    local_feed,
    query,
    settle,
    standalone,
    wait_for,
    watcher_events,
)

POLL_INTERVAL = 2.0  # seconds between the watcher's polls
# Each wait polls for its condition up to CEILING: a busy machine makes these tests slow, not failing.
# How fast a new entry's figures land is measured by benchmarks/latency.py, not asserted here.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.timeout(3 * CEILING),  # booting Airflow and a test's waits, each with its own ceiling
    pytest.mark.skipif(os.environ.get("NEWSFIGURES_SKIP_E2E") == "1", reason="NEWSFIGURES_SKIP_E2E=1"),
]

DAGS = ("news_ingest", "news_quality")


@dataclass(frozen=True)
class Instance:
    """The running Airflow, the feed it watches and the lake it loads."""

    airflow: Standalone
    feed: LocalFeed
    lake: dict[str, str]


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """Airflow watching one local feed every 2 s, DAGs parsed, its first sight of the feed ingested."""
    root = tmp_path_factory.mktemp("e2e")
    with local_feed(root / "site") as feed:
        lake = lake_vars(root, {feed.name: feed.url})
        env = {**lake, "NEWSFIGURES_POLL_INTERVAL": str(POLL_INTERVAL)}
        with standalone(root, env) as airflow:
            wait_for("the DAGs are parsed", lambda: all(_dag_exists(airflow, d) for d in DAGS), CEILING)
            yield Instance(airflow, feed, lake)


def test_the_dags_parse_and_the_feed_watcher_is_registered(instance: Instance) -> None:
    api = instance.airflow.api

    assert api.get("/api/v2/importErrors")["total_entries"] == 0
    assert api.get("/api/v2/pools/warehouse_writer")["slots"] == 1
    feeds = wait_for("news_feeds shows its watcher", lambda: asset(api, "news_feeds").get("watchers"), CEILING)
    assert [w["name"] for w in feeds] == ["feed_watcher"]
    assert [d["dag_id"] for d in asset(api, "news_feeds")["scheduled_dags"]] == ["news_ingest"]
    assert not api.get("/api/v2/dags/news_ingest")["is_paused"]


def test_a_new_feed_entry_is_ingested_and_assessed(instance: Instance) -> None:
    api, lake = instance.airflow.api, instance.lake
    settle(api, DAGS, quiet=4 * POLL_INTERVAL)
    feeds_id = asset(api, "news_feeds")["id"]
    seen_events = {e["id"] for e in watcher_events(api, feeds_id)}

    url = instance.feed.add_entry("arrivals-2024", count=236, year=2024)
    deadline = time.monotonic() + CEILING

    def fired() -> dict[str, Any] | None:
        fresh = [e for e in watcher_events(api, feeds_id) if e["id"] not in seen_events and e["created_dagruns"]]
        return fresh[-1] if fresh else None

    event = wait_for("the watcher fires and its event starts a run", fired, _left(deadline))
    assert event["extra"]["payload"] == {"feeds": ["wire"], "new_entries": 1}
    ingest_run = event["created_dagruns"][0]["run_id"]
    assert api.wait_for_run("news_ingest", ingest_run, timeout=_left(deadline)) == "success", _logs(instance)
    figures = query(lake, f"SELECT value, year, run_id FROM figures WHERE article_url = '{url}'")
    assert set(figures) == {(236.0, 2024, ingest_run)}  # headline and body state it alike
    summary = wait_for(
        "news_quality writes a summary of the ingest run",
        lambda: query(lake, f"SELECT figures, assessed_by FROM quality_summaries WHERE ingest_run_id = '{ingest_run}'"),
        _left(deadline),
    )
    [(assessed_figures, quality_run)] = summary
    assert assessed_figures >= 1
    assert api.wait_for_run("news_quality", quality_run, timeout=_left(deadline)) == "success"


def test_news_ingest_triggered_by_hand_polls_the_chosen_feeds(instance: Instance) -> None:
    api, lake = instance.airflow.api, instance.lake
    settle(api, DAGS, quiet=2 * POLL_INTERVAL)

    run = api.post("/api/v2/dags/news_ingest/dagRuns", {"logical_date": None, "conf": {"feeds": ["wire"]}})

    assert api.wait_for_run("news_ingest", run["dag_run_id"], timeout=CEILING) == "success", _logs(instance)
    [(status,)] = query(lake, f"SELECT status FROM runs WHERE run_id = '{run['dag_run_id']}'")
    assert status == "success"
    [(polled,)] = query(lake, f"SELECT list(feed) FROM feed_polls WHERE run_id = '{run['dag_run_id']}'")
    assert polled == ["wire"]


def test_a_restarted_triggerer_keeps_its_state_and_fires_only_for_new_entries(instance: Instance) -> None:
    airflow, feed = instance.airflow, instance.feed
    api = airflow.api
    settle(api, DAGS, quiet=4 * POLL_INTERVAL)
    feeds_id = asset(api, "news_feeds")["id"]
    state_before = _state_store(instance, feeds_id)
    runs_before, events_before = set(dag_runs(api, "news_ingest")), len(watcher_events(api, feeds_id))
    assert "feed:wire" in state_before, state_before

    restarted_at = time.time()
    airflow.restart_triggerer()
    # The new triggerer has taken the watcher over once it polls; validators from the state store make that a 304.
    wait_for("the new triggerer polls the feed 4 times", lambda: len(feed.polls_since(restarted_at)) >= 4, CEILING)

    assert set(feed.polls_since(restarted_at)) == {304}
    assert set(dag_runs(api, "news_ingest")) == runs_before, "a restarted triggerer fired for entries it had seen"
    assert len(watcher_events(api, feeds_id)) == events_before
    assert _state_store(instance, feeds_id)["feed:wire"]["seen"] == state_before["feed:wire"]["seen"]

    url = feed.add_entry("arrivals-2019", count=1047, year=2019)
    new = wait_for("one new news_ingest run", lambda: set(dag_runs(api, "news_ingest")) - runs_before, CEILING)
    settle(api, DAGS, quiet=4 * POLL_INTERVAL)

    assert set(dag_runs(api, "news_ingest")) - runs_before == new
    [run_id] = new
    assert dag_runs(api, "news_ingest")[run_id] == "success", _logs(instance)
    assert set(query(instance.lake, f"SELECT value, year FROM figures WHERE article_url = '{url}'")) == {(1047.0, 2019)}
    assert _state_store(instance, feeds_id)["feed:wire"]["seen"][-1] == url


def _dag_exists(airflow: Standalone, dag_id: str) -> bool:
    return dag_id in {d["dag_id"] for d in airflow.api.get("/api/v2/dags?limit=100")["dags"]}


def _state_store(instance: Instance, asset_id: int) -> dict[str, Any]:
    entries = instance.airflow.api.get(f"/api/v2/assets/{asset_id}/state-store")["asset_state_store"]
    return {e["key"]: e["value"] for e in entries}


def _left(deadline: float) -> float:
    return max(deadline - time.monotonic(), 1.0)


def _logs(instance: Instance) -> str:
    return "standalone output:\n" + instance.airflow.log_tail()
