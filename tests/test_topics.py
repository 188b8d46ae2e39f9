"""Topics are data: a second topic, known only to the tests (tests/data/topics/), runs through the whole flow."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, LocalServer, lake_settings

from pipeline import flow, topics, warehouse
from pipeline.checks.validate import validate
from pipeline.records import Feed

STORY = """<!doctype html><html lang="en"><head><title>Wildfires rise again</title></head><body>
<nav><a href="/">Home</a> | <a href="/country">Country</a></nav>
<article><h1>Wildfires rise again</h1><p class="byline">By Staff Reporter</p>
<p>CANBERRA, Jan. 10 (Wire) -- A total of 1,450 wildfires broke out in 2023, up from 1,200 in 2022, the fire service
said on Wednesday. Of them, 900 were forest fires and 500 grass fires.</p>
<p>Officials said a long dry spell and strong winds had made the fire season one of the hardest in a decade, and that
crews had been sent from three states to help contain the largest blazes near the coast.</p>
<p>The service runs training centres where volunteers spend their first months learning how fires spread, from
reading the wind to clearing breaks, before they join a crew of their own.</p></article>
<footer>Copyright Example Wire. All rights reserved.</footer></body></html>"""


@pytest.fixture
def wildfires(monkeypatch: pytest.MonkeyPatch) -> topics.Topic:
    """The test topic, found beside the bundled ones for this test only."""
    monkeypatch.setattr(topics, "TOPIC_DIRS", [*topics.TOPIC_DIRS, DATA / "topics"])
    return topics.load("wildfires")


def test_the_topic_file_states_its_metrics_parts_ranges_reference_and_wording(wildfires: topics.Topic) -> None:
    assert wildfires.compared == ("outbreaks", "recorded")
    assert wildfires.subgroups == ("forest", "grass") and wildfires.parts == ("forest", "grass")
    assert wildfires.count_range("outbreaks") == (0.0, 50_000.0)
    assert wildfires.reference == DATA / "topics" / "wildfires_reference.csv"
    assert "fire service" in wildfires.wording("title")
    assert "wildfires" in topics.names() and topics.default() == "defection"


def test_a_second_topic_runs_end_to_end_with_its_own_words_checks_and_reference(
    wildfires: topics.Topic, server: LocalServer, tmp_path: Path
) -> None:
    html = {"content-type": "text/html; charset=utf-8"}
    server.route("/fires.html", body=STORY.encode(), headers=html)
    item = f"<item><title>Fires</title><link>{server.url('/fires.html')}</link><guid>fires</guid>"
    item += "<pubDate>Wed, 10 Jan 2024 09:00:00 GMT</pubDate></item>"
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{item}</channel></rss>'
    server.route("/rss.xml", body=feed.encode(), headers={"content-type": "application/rss+xml"})
    settings = lake_settings(tmp_path, (Feed("fire-wire", server.url("/rss.xml"), "wildfires"),))

    _, stages = flow.run(settings, trigger="test")

    assert stages["find_figures"]["figures"] == 4 and stages["find_figures"]["quarantined"] == 0
    with warehouse.connect(settings, read_only=True) as con:
        loaded = con.execute(
            "SELECT value, metric, subgroup, year, findings FROM figures WHERE topic = 'wildfires' ORDER BY span_start"
        ).fetchall()
        reference = con.execute("SELECT count(*) FROM reference_series WHERE topic = 'wildfires'").fetchone()[0]
    assert reference == 2  # migrate loaded the topic's own reference file
    found = {(value, metric, subgroup, year): json.loads(f) if f else [] for value, metric, subgroup, year, f in loaded}
    assert set(found) == {
        (1450.0, "outbreaks", None, 2023),
        (1200.0, "outbreaks", None, 2022),
        (900.0, "outbreaks", "forest", 2023),  # "Of them": the year and metric of the total they are part of
        (500.0, "outbreaks", "grass", 2023),
    }
    total = found[(1450.0, "outbreaks", None, 2023)]
    assert [f["check"] for f in total] == ["parts_vs_total", "reference_disagrees"]
    assert total[0]["message"] == "900 forest + 500 grass = 1,400, not the total 1,450"  # the topic's [parts]
    assert "official figure is 1,300" in total[1]["message"]  # the topic's reference series
    assert [f["check"] for f in found[(900.0, "outbreaks", "forest", 2023)]] == ["parts_vs_total"]
    assert found[(1200.0, "outbreaks", None, 2022)] == []  # agrees with the topic's reference


def test_a_metric_or_subgroup_of_another_topic_is_quarantined(wildfires: topics.Topic) -> None:
    at = datetime(2024, 3, 1, tzinfo=UTC)
    text = "A total of 1,450 wildfires broke out in 2023."
    row = {
        "article_url": "https://news.example/fires", "figure_no": 1, "kind": "count", "value": 1450.0, "low": None,
        "high": None, "hedge": "exact", "metric": "outbreaks", "sense": None, "subgroup": None, "year": 2023,
        "period": None, "span_start": 11, "span_end": 16, "span_text": "1,450", "sentence": text,
        "topic": "wildfires", "extractor_version": "test", "loaded_at": at, "section": "body",
        "repeats_figure_no": None, "run_id": "run-1", "span_matches_text": True,
        "article_published_at": pd.Timestamp("2024-01-10", tz="UTC"),
    }  # fmt: skip
    other = "https://news.example/other"
    rows = [
        row,
        row | {"metric": "arrivals", "article_url": other + "1"},
        row | {"subgroup": "women", "article_url": other},
    ]

    result = validate(pd.DataFrame(rows), "figures", run_id="run-1", at=at)

    assert result.valid["metric"].tolist() == ["outbreaks"]
    held = dict(zip(result.quarantine["check_name"], result.quarantine["bad_value"], strict=True))
    assert held == {"metric_in_topic": "arrivals", "subgroup_in_topic": "women"}
