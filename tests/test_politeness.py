"""Politeness: robots.txt, per-host spacing and concurrency, Retry-After, backoff, adaptive polling and paused feeds."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import LocalServer, Reply, Seen, data

from pipeline import flow, warehouse
from pipeline.fetch import http, pages, schedule
from pipeline.fetch.politeness import Politeness, retry_after
from pipeline.records import Feed, FeedPoll, Page
from pipeline.settings import Settings

HTML = {"Content-Type": "text/html; charset=utf-8"}
ARTICLE = data("article.html")


def polite(**overrides: object) -> Settings:
    values: dict[str, object] = {"allow_private_addresses": True, "host_delay": 0.0, "retry_backoff": 0.05}
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def fetch_all(urls: list[str], settings: Settings, root: Path, manners: Politeness | None = None) -> list[Page]:
    async def run() -> list[Page]:
        async with http.client(settings) as client:
            found = await pages.fetch_all(
                client,
                urls,
                archive_root=root,
                max_bytes=settings.max_body_bytes,
                concurrency=8,
                polite=manners or Politeness(settings),
            )
            return [page for page, _ in found]

    return asyncio.run(run())


def test_robots_txt_is_obeyed_and_read_once_per_host(server: LocalServer, tmp_path: Path) -> None:
    server.route("/robots.txt", body=b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"})
    open_urls = [server.route(f"/news/{i}", body=ARTICLE, headers=HTML) for i in range(3)]
    closed = server.route("/private/memo", body=ARTICLE, headers=HTML)

    found = fetch_all([*open_urls, closed], polite(), tmp_path)

    assert [p.error for p in found] == [None, None, None, "disallowed by robots.txt"]
    assert server.seen("/private/memo") == []
    assert len(server.seen("/robots.txt")) == 1


def test_rules_for_our_user_agent_apply(server: LocalServer, tmp_path: Path) -> None:
    server.route("/robots.txt", body=b"User-agent: newsfigures\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    url = server.route("/news/1", body=ARTICLE, headers=HTML)

    (page,) = fetch_all([url], polite(), tmp_path)

    assert page.error == "disallowed by robots.txt"


def test_robots_txt_is_read_again_once_it_expires(server: LocalServer, tmp_path: Path) -> None:
    server.route("/robots.txt", body=b"User-agent: *\nAllow: /\n")
    url = server.route("/news/1", body=ARTICLE, headers=HTML)
    now = [1000.0]
    manners = Politeness(polite(robots_ttl=60.0), clock=lambda: now[0])

    fetch_all([url], polite(), tmp_path, manners)
    now[0] += 30
    fetch_all([url], polite(), tmp_path, manners)
    assert len(server.seen("/robots.txt")) == 1
    now[0] += 31
    fetch_all([url], polite(), tmp_path, manners)
    assert len(server.seen("/robots.txt")) == 2


def test_a_missing_robots_txt_allows_everything_and_a_failing_one_nothing(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/news/1", body=ARTICLE, headers=HTML)  # /robots.txt answers 404
    (allowed,) = fetch_all([url], polite(), tmp_path)
    server.route("/robots.txt", status=503, body=b"down")

    (held_back,) = fetch_all([url], polite(), tmp_path)

    assert allowed.error is None
    assert held_back.error == "robots.txt answered HTTP 503"
    assert len(server.seen("/news/1")) == 1


def timed(server: LocalServer, path: str, reply: Reply) -> tuple[str, list[tuple[float, float]]]:
    """Route ``path`` recording (start, end) of each request, and how many overlapped."""
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def handler(_: Seen) -> Reply:
        start = time.monotonic()
        time.sleep(reply.delay)
        with lock:
            spans.append((start, time.monotonic()))
        return Reply(reply.status, reply.headers, reply.body)

    return server.route(path, handler), spans


def test_requests_to_one_host_are_spaced_by_the_host_delay(server: LocalServer, tmp_path: Path) -> None:
    urls, spans = [], []
    for i in range(4):
        url, span = timed(server, f"/news/{i}", Reply(200, HTML, ARTICLE))
        urls.append(url)
        spans.append(span)

    found = fetch_all(urls, polite(host_delay=0.25, host_concurrency=4), tmp_path)

    assert all(p.error is None for p in found)
    starts = sorted(s[0][0] for s in spans)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.2, gaps


def test_requests_in_flight_per_host_are_limited(server: LocalServer, tmp_path: Path) -> None:
    url, spans = timed(server, "/slow", Reply(200, HTML, ARTICLE, delay=0.15))
    urls = [f"{url}?n={i}" for i in range(6)]
    server.routes.update({f"/slow?n={i}": server.routes["/slow"] for i in range(6)})

    fetch_all(urls, polite(host_concurrency=2), tmp_path)

    moments = sorted(t for start, end in spans for t in (start, end))
    most = max(sum(1 for s, e in spans if s <= m < e) for m in moments)
    assert len(spans) == 6 and most <= 2


def test_429_with_retry_after_is_waited_for_then_retried(server: LocalServer, tmp_path: Path) -> None:
    answers = iter([Reply(429, {"Retry-After": "1"}, b"slow down"), Reply(200, HTML, ARTICLE)])
    url = server.route("/busy", lambda _seen: next(answers))

    started = time.monotonic()
    (page,) = fetch_all([url], polite(), tmp_path)

    assert page.error is None and page.status == 200
    assert time.monotonic() - started >= 0.95
    assert len(server.seen("/busy")) == 2


def test_a_retry_after_beyond_the_limit_is_recorded_not_waited(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/busy", status=503, headers={"Retry-After": "3600"}, body=b"maintenance")

    (page,) = fetch_all([url], polite(max_retry_after=60.0), tmp_path)

    assert page.error == "HTTP 503: asked to retry after 3600 s" and page.status == 503
    assert len(server.seen("/busy")) == 1


def test_503_without_retry_after_backs_off_and_gives_up_after_the_retries(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/down", status=503, body=b"down")

    (page,) = fetch_all([url], polite(fetch_retries=2, retry_backoff=0.05), tmp_path)

    assert page.error == "HTTP 503"
    assert len(server.seen("/down")) == 3


def test_dropped_connections_are_retried_with_jittered_exponential_backoff(server: LocalServer, tmp_path: Path) -> None:
    def hang_up(_: Seen) -> Reply:
        raise ConnectionAbortedError("the server drops the connection without answering")

    url = server.route("/flaky", hang_up)
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    settings = polite(fetch_retries=3, retry_backoff=1.0)
    (page,) = fetch_all([url], settings, tmp_path, Politeness(settings, sleep=sleep))

    assert page.error is not None and "RemoteProtocolError" in page.error
    assert len(server.seen("/flaky")) == 4
    backoffs = [d for d in delays if d > 0]
    assert len(backoffs) == 3
    assert [0.5 <= b / 2**i <= 1.5 for i, b in enumerate(backoffs)] == [True] * 3  # exponential, jittered


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    assert retry_after("120", now) == 120.0
    assert retry_after("Sun, 01 Mar 2026 12:02:00 GMT", now) == 120.0
    assert retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now) == 0.0
    assert retry_after("soon", now) is None and retry_after(None, now) is None


# -- adaptive polling and paused feeds ---------------------------------------------------------------------------

AT = datetime(2026, 3, 1, tzinfo=UTC)


def poll_at(minutes: float, outcome: str = "not_modified") -> FeedPoll:
    error = "HTTP 500" if outcome == "error" else None
    return FeedPoll("f", "http://x/f", AT + timedelta(minutes=minutes), outcome, error=error)  # type: ignore[arg-type]


def test_busy_feeds_are_polled_more_often_and_quiet_ones_less_within_bounds() -> None:
    settings = Settings(poll_interval_min=300.0, poll_interval_max=3600.0)
    state = schedule.first("f", "http://x/f", settings, AT)
    quiet = [state := schedule.advance(state, poll_at(i), settings, new_entries=0) for i in range(12)]
    busy = [state := schedule.advance(state, poll_at(20 + i, "changed"), settings, new_entries=3) for i in range(12)]

    quiet_intervals = [s.interval_s for s in quiet]
    assert quiet_intervals == sorted(quiet_intervals) and quiet_intervals[-1] == 3600.0
    assert [s.interval_s for s in busy][-1] == 300.0
    assert busy[-1].next_poll_at == AT + timedelta(minutes=31, seconds=300)


def test_a_feed_failing_n_times_in_a_row_is_paused_then_resumed() -> None:
    settings = Settings(feed_pause_after=3, feed_pause_hours=6.0)
    state = schedule.first("f", "http://x/f", settings, AT)
    for i in range(3):
        state = schedule.advance(state, poll_at(i, "error"), settings, new_entries=0)

    assert state.failures == 3 and state.paused(AT + timedelta(hours=1))
    assert state.pause_reason is not None and "3 failed polls in a row; last: HTTP 500" in state.pause_reason
    assert not state.due(AT + timedelta(hours=5)) and state.due(AT + timedelta(hours=6, minutes=2))
    state = schedule.advance(state, poll_at(400), settings, new_entries=0)
    assert (state.failures, state.paused_until, state.pause_reason) == (0, None, None)


def test_the_warehouse_shows_a_paused_feed_and_the_run_skips_it(server: LocalServer, tmp_path: Path) -> None:
    broken = server.route("/broken.xml", status=500, body=b"oops")
    settings = polite(
        catalog=f"sqlite:{tmp_path}/lake/catalog.sqlite",
        data_path=f"{tmp_path}/lake/data/",
        archive_dir=tmp_path / "lake" / "archive",
        feeds=(Feed("broken", broken, "defection"),),
        feed_pause_after=2,
    )
    run_id = flow.start_run(settings, trigger="test")
    for _ in range(2):
        flow.poll_feeds(settings, run_id)

    skipped = flow.poll_feeds(settings, run_id)

    assert (skipped["polled"], skipped["skipped"]) == (0, 1)
    assert len(server.seen("/broken.xml")) == 2
    with warehouse.connect(settings, read_only=True) as con:
        failures, paused_until, reason = con.execute(
            "SELECT failures, paused_until, pause_reason FROM feed_state WHERE feed = 'broken'"
        ).fetchone()
    assert failures == 2 and paused_until is not None and "HTTP 500" in reason

    server.route("/broken.xml", body=b'<rss version="2.0"><channel><title>Back</title></channel></rss>')
    with warehouse.connect(settings) as con, warehouse.transaction(con) as tx:
        tx.execute("UPDATE feed_state SET paused_until = ?", [datetime.now(UTC) - timedelta(seconds=1)])
    resumed = flow.poll_feeds(settings, run_id)

    assert (resumed["polled"], resumed["errors"]) == (1, 0)
    with warehouse.connect(settings, read_only=True) as con:
        assert con.execute("SELECT failures, paused_until FROM feed_state").fetchone() == (0, None)


@pytest.mark.parametrize("due_only", [False, True])
def test_due_only_polls_wait_for_the_adaptive_interval(server: LocalServer, tmp_path: Path, due_only: bool) -> None:
    url = server.route("/feed.xml", body=b'<rss version="2.0"><channel><title>T</title></channel></rss>')
    settings = polite(
        catalog=f"sqlite:{tmp_path}/lake/catalog.sqlite",
        data_path=f"{tmp_path}/lake/data/",
        feeds=(Feed("quiet", url, "defection"),),
    )
    run_id = flow.start_run(settings, trigger="test")
    flow.poll_feeds(settings, run_id)

    again = flow.poll_feeds(settings, run_id, due_only=due_only)

    assert again["polled"] == (0 if due_only else 1)
