"""Feeds: parsing real RSS/Atom bytes, and polling a real local server with conditional GET."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import LocalServer, Reply, Seen, data

from pipeline.errors import FeedError
from pipeline.fetch import feeds, http
from pipeline.fetch.feeds import Validators
from pipeline.records import Feed
from pipeline.settings import Settings

SETTINGS = Settings(allow_private_addresses=True)
LIMIT = 1_000_000


def feed(url: str = "https://news.example.org/rss", name: str = "example") -> Feed:
    return Feed(name=name, url=url, topic="defection")


def poll(f: Feed, previous: Validators | None = None) -> feeds.PollResult:
    async def run() -> feeds.PollResult:
        async with http.client(SETTINGS) as client:
            return await feeds.poll(client, f, previous, max_bytes=LIMIT)

    return asyncio.run(run())


def test_rss2_entries_have_canonical_urls_utc_dates_and_plain_summaries() -> None:
    entries = feeds.parse(data("rss2.xml"), {"content-type": "application/rss+xml"}, feed())

    assert [e.title for e in entries] == ["Defector arrivals rose in 2023", "Border quiet over the holidays"]
    first, second = entries
    assert first.url == "https://news.example.org/world/defectors-2023?page=2"
    assert first.guid == "example-daily-4711"
    assert first.published == datetime(2024, 1, 18, 0, 30, tzinfo=UTC)
    assert first.summary == "The ministry said 196 defectors arrived & settled."
    assert (first.feed, first.topic) == ("example", "defection")
    assert second.guid == second.url == "https://news.example.org/world/border-holidays"
    assert second.published == datetime(2024, 1, 1, 23, 15, tzinfo=UTC)


def test_entry_without_link_is_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    entries = feeds.parse(data("rss2.xml"), {}, feed())

    assert "An item with no link at all" not in [e.title for e in entries]
    assert "without a usable link" in caplog.text


def test_atom_relative_links_resolve_and_updated_date_is_used() -> None:
    entries = feeds.parse(data("atom.xml"), {"content-type": "application/atom+xml"}, feed())

    dated, undated = entries
    assert dated.url == "https://wire.example.com/2024/02/ministry-figures?id=9"
    assert dated.guid == "tag:wire.example.com,2024:ministry-figures"
    assert dated.title == "Ministry publishes annual figures"
    assert dated.summary == "The figures cover 2023."
    assert dated.published == datetime(2024, 2, 1, 23, 45, tzinfo=UTC)
    assert dated.published.tzinfo is not None
    assert undated.published is None


def test_malformed_but_readable_feed_still_yields_entries() -> None:
    entries = feeds.parse(data("malformed.xml"), {}, feed())

    assert [e.url for e in entries] == [
        "https://sloppy.example.net/first",
        "https://sloppy.example.net/second",
    ]


@pytest.mark.parametrize(
    "body",
    [b"\x00\x01 this is not a feed {]", b"<html><body><p>Please log in</p></body></html>", b""],
    ids=["garbage", "html-page", "empty"],
)
def test_unreadable_body_raises_feed_error_with_reason(body: bytes) -> None:
    with pytest.raises(FeedError, match="not a readable feed"):
        feeds.parse(body, {}, feed())


def test_first_poll_is_changed_with_entries_and_validators(server: LocalServer) -> None:
    body = data("rss2.xml")
    url = server.route("/rss", status=200, body=body, headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'})

    row, entries, validators = poll(feed(url))

    assert row.outcome == "changed"
    assert (row.status, row.entries_seen, row.entries_new) == (200, 2, 0)
    assert len(entries) == 2
    assert validators == Validators('"v1"', None, hashlib.sha256(body).hexdigest())
    assert row.etag == '"v1"' and row.body_sha256 == validators.body_sha256


def test_request_carries_the_project_user_agent(server: LocalServer) -> None:
    url = server.route("/rss", body=data("rss2.xml"))

    poll(feed(url))

    (request,) = server.seen("/rss")
    assert request.headers["user-agent"] == SETTINGS.user_agent
    assert "newsfigures" in request.headers["user-agent"]


def test_304_round_trip_when_server_honours_if_none_match(server: LocalServer) -> None:
    body = data("atom.xml")
    last_modified = "Fri, 02 Feb 2024 12:00:00 GMT"

    def conditional(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"abc"':
            return Reply(304, {"ETag": '"abc"'})
        return Reply(200, {"ETag": '"abc"', "Last-Modified": last_modified}, body)

    url = server.route("/atom", conditional)

    first, _, validators = poll(feed(url))
    second, entries, after = poll(feed(url), validators)

    assert first.outcome == "changed"
    assert second.outcome == "not_modified"
    assert (second.status, entries, second.entries_seen) == (304, [], 0)
    first_request, second_request = server.seen("/atom")
    assert "if-none-match" not in first_request.headers
    assert second_request.headers["if-none-match"] == '"abc"'
    assert second_request.headers["if-modified-since"] == last_modified
    assert after == validators


def test_same_body_from_a_server_ignoring_validators_is_unchanged(server: LocalServer) -> None:
    url = server.route("/rss", body=data("rss2.xml"), headers={"ETag": '"always-new-etag"'})

    _, _, validators = poll(feed(url))
    row, entries, after = poll(feed(url), validators)

    assert row.outcome == "unchanged"
    assert entries == []
    assert after.body_sha256 == validators.body_sha256


def test_new_body_after_a_previous_poll_is_changed(server: LocalServer) -> None:
    url = server.route("/rss", body=data("rss2.xml"))
    _, _, validators = poll(feed(url))
    server.route("/rss", body=data("malformed.xml"))

    row, entries, after = poll(feed(url), validators)

    assert row.outcome == "changed"
    assert [e.title for e in entries] == ["First story", "Second story"]
    assert after.body_sha256 != validators.body_sha256


def test_server_error_is_an_error_outcome_keeping_old_validators(server: LocalServer) -> None:
    url = server.route("/rss", status=500, body=b"upstream exploded")
    previous = Validators('"old"', None, "0" * 64)

    row, entries, after = poll(feed(url), previous)

    assert (row.outcome, row.status, entries) == ("error", 500, [])
    assert row.error == "HTTP 500"
    assert after == previous


def test_garbage_body_is_an_error_outcome(server: LocalServer) -> None:
    url = server.route("/rss", body=b"\x00\x01 not a feed {]", headers={"Content-Type": "text/plain"})

    row, entries, _ = poll(feed(url))

    assert row.outcome == "error" and entries == []
    assert row.error is not None and "not a readable feed" in row.error


def test_feeds_polled_together_are_parsed_one_at_a_time(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    real, lock, parsing, most = feeds.parse_counting, threading.Lock(), [0], [0]

    def counted(*args: Any) -> tuple[list[Any], int]:
        with lock:
            parsing[0] += 1
            most[0] = max(most[0], parsing[0])
        time.sleep(0.1)  # room for another parse to start beside this one, were it allowed
        try:
            return real(*args)
        finally:
            with lock:
                parsing[0] -= 1

    monkeypatch.setattr(feeds, "parse_counting", counted)
    all_feeds = [feed(server.route(f"/rss-{n}", body=data("rss2.xml")), f"feed-{n}") for n in range(4)]

    async def run() -> list[feeds.PollResult]:
        async with http.client(SETTINGS) as client:
            return await feeds.poll_all(client, all_feeds, {}, max_bytes=LIMIT, concurrency=4)

    results = asyncio.run(run())

    assert [len(entries) for _, entries, _ in results] == [2, 2, 2, 2]
    assert most[0] == 1  # fetched side by side, parsed in turn: one feed's parsed items in memory at a time


def test_poll_all_keeps_order_and_goes_on_past_failures(server: LocalServer, refused_url: str) -> None:
    good_rss = server.route("/rss", body=data("rss2.xml"))
    broken = server.route("/broken", status=500)
    good_atom = server.route("/atom", body=data("atom.xml"), delay=0.2)
    all_feeds = [
        feed(good_atom, "atom"),
        feed(refused_url, "refused"),
        feed(broken, "broken"),
        feed(good_rss, "rss"),
    ]

    async def run() -> list[feeds.PollResult]:
        async with http.client(SETTINGS) as client:
            return await feeds.poll_all(client, all_feeds, {}, max_bytes=LIMIT, concurrency=2)

    results = asyncio.run(run())

    assert [row.feed for row, _, _ in results] == ["atom", "refused", "broken", "rss"]
    assert [row.outcome for row, _, _ in results] == ["changed", "error", "error", "changed"]
    refused = results[1][0]
    assert refused.status is None and refused.error and "Connect" in refused.error
    assert [len(entries) for _, entries, _ in results] == [2, 0, 0, 2]


def test_the_warehouse_measures_each_poll_as_304_unchanged_or_changed(server: LocalServer, tmp_path: Path) -> None:
    """Three feeds polled twice: one honours validators, one ignores them (caught by the hash), one changes."""
    from pipeline import flow, warehouse

    honours = server.route(
        "/honours",
        lambda seen: (
            Reply(304)
            if seen.headers.get("if-none-match") == '"v1"'
            else Reply(200, {"ETag": '"v1"'}, data("rss2.xml"))
        ),
    )
    ignores = server.route("/ignores", body=data("rss2.xml"), headers={"ETag": '"always-new"'})
    bodies = iter([data("rss2.xml"), data("atom.xml")])
    changes = server.route("/changes", lambda _seen: Reply(200, {}, next(bodies)))
    settings = Settings(
        allow_private_addresses=True,
        catalog=f"sqlite:{tmp_path}/catalog.sqlite",
        data_path=f"{tmp_path}/data/",
        feeds=(feed(honours, "honours"), feed(ignores, "ignores"), feed(changes, "changes")),
    )
    run_id = flow.start_run(settings, trigger="test")
    flow.poll_feeds(settings, run_id)
    flow.poll_feeds(settings, run_id)

    with warehouse.connect(settings, read_only=True) as con:
        outcomes = con.execute(
            "SELECT feed, list(outcome ORDER BY polled_at), list(status_code ORDER BY polled_at) FROM feed_polls"
            " GROUP BY feed ORDER BY feed"
        ).fetchall()
    assert outcomes == [
        ("changes", ["changed", "changed"], [200, 200]),
        ("honours", ["changed", "not_modified"], [200, 304]),
        ("ignores", ["changed", "unchanged"], [200, 200]),
    ]


def test_a_feed_date_with_only_a_month_or_a_year_keeps_its_precision() -> None:
    items = "".join(
        f"<item><title>t</title><link>https://news.example/{n}</link><pubDate>{stamp}</pubDate></item>"
        for n, stamp in enumerate(["2015-07", "2015", "Tue, 14 Jul 2015 09:00:00 GMT"])
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>{items}</channel></rss>'.encode()

    entries = feeds.parse(body, {"content-type": "application/rss+xml"}, feed())

    assert [(e.published, e.published_precision) for e in entries] == [
        (datetime(2015, 7, 1, tzinfo=UTC), "month"),
        (datetime(2015, 1, 1, tzinfo=UTC), "year"),
        (datetime(2015, 7, 14, 9, 0, tzinfo=UTC), "day"),
    ]
