"""The feed watcher trigger, driven under asyncio against a local feed server (no triggerer needed)."""

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import LocalServer, Reply, Seen

from pipeline import records
from pipeline.airflow.watcher import FeedWatcher
from pipeline.fetch import http
from pipeline.fetch.watch import FeedState, check
from pipeline.settings import Settings

MB = 1_000_000


class MemoryStateStore:
    """Stands in for Airflow's asset state store accessor: the same four async methods, kept in a dict."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.data[key] = value

    async def adelete(self, key: str) -> None:
        self.data.pop(key, None)

    async def aclear(self) -> None:
        self.data.clear()


class Feed:
    """An RSS feed whose items a test can add to; answers conditional GETs with 304."""

    def __init__(self, server: LocalServer, path: str) -> None:
        self.server, self.path, self.items = server, path, [f"{path}/story-1"]
        server.route(path, self.reply)

    def body(self) -> bytes:
        items = "".join(f"<item><title>{i}</title><link>{self.server.url(i)}</link></item>" for i in self.items)
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()

    def reply(self, seen: Seen) -> Reply:
        body = self.body()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, {"etag": etag})
        return Reply(200, {"etag": etag, "content-type": "application/rss+xml"}, body)


@pytest.fixture
def feeds_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], None]:
    def write(feeds: dict[str, str]) -> None:
        path = tmp_path / "feeds.toml"
        path.write_text(
            "".join(f'[[feeds]]\nname = "{n}"\nurl = "{u}"\ntopic = "defection"\n' for n, u in feeds.items())
        )
        monkeypatch.setenv("NEWSFIGURES_FEEDS_FILE", str(path))
        monkeypatch.setenv("NEWSFIGURES_ALLOW_PRIVATE_ADDRESSES", "true")  # the local test server is on loopback

    return write


async def until(condition: Callable[[], bool], seconds: float = 600.0) -> None:
    """Wait for ``condition``; the ceiling is generous, so a busy machine is slow, not failing."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


def watch(store: MemoryStateStore, events: list[dict[str, Any]]) -> asyncio.Task[None]:
    trigger = FeedWatcher(poll_interval=0.05)
    trigger.asset_state_store = store  # type: ignore[assignment]

    async def consume() -> None:
        async for event in trigger.run():
            events.append(event.payload)

    return asyncio.create_task(consume())


def test_fires_once_for_new_entries_then_only_when_a_feed_gains_one(
    server: LocalServer, feeds_file: Callable[[dict[str, str]], None]
) -> None:
    wire, herald = Feed(server, "/wire.xml"), Feed(server, "/herald.xml")
    feeds_file({"wire": server.url("/wire.xml"), "herald": server.url("/herald.xml")})

    async def scenario() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        task = watch(MemoryStateStore(), events)
        await until(lambda: len(events) == 1)
        await until(lambda: len(server.seen("/wire.xml")) >= 4)  # quiet rounds: answered 304, nothing fired
        assert len(events) == 1
        herald.items.append("/herald.xml/story-2")
        await until(lambda: len(events) == 2, 120)
        task.cancel()
        return events

    events = asyncio.run(scenario())
    assert events[0] == {"feeds": ["herald", "wire"], "new_entries": 2}
    assert events[1] == {"feeds": ["herald"], "new_entries": 1}
    assert any(s.headers.get("if-none-match") for s in server.seen("/wire.xml"))
    assert len(wire.items) == 1


def test_a_restarted_watcher_does_not_fire_again_for_old_entries(
    server: LocalServer, feeds_file: Callable[[dict[str, str]], None]
) -> None:
    feed = Feed(server, "/wire.xml")
    feeds_file({"wire": server.url("/wire.xml")})
    store = MemoryStateStore()

    async def scenario() -> list[dict[str, Any]]:
        first: list[dict[str, Any]] = []
        task = watch(store, first)
        await until(lambda: len(first) == 1)
        task.cancel()
        polls = len(server.seen("/wire.xml"))
        again: list[dict[str, Any]] = []
        task = watch(store, again)  # as after a triggerer restart: a new instance, the same state store
        await until(lambda: len(server.seen("/wire.xml")) >= polls + 3)
        assert again == []
        feed.items.append("/wire.xml/story-2")
        await until(lambda: len(again) == 1)
        task.cancel()
        return again

    assert asyncio.run(scenario()) == [{"feeds": ["wire"], "new_entries": 1}]


def test_a_failing_feed_backs_off_and_the_others_are_still_watched(
    server: LocalServer, feeds_file: Callable[[dict[str, str]], None]
) -> None:
    Feed(server, "/wire.xml")
    server.route("/broken.xml", status=500)
    feeds_file({"wire": server.url("/wire.xml"), "broken": server.url("/broken.xml")})
    store = MemoryStateStore()

    async def scenario() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        task = watch(store, events)
        await until(lambda: len(server.seen("/wire.xml")) >= 12)
        task.cancel()
        return events

    events = asyncio.run(scenario())
    assert events == [{"feeds": ["wire"], "new_entries": 1}]
    broken_polls = len(server.seen("/broken.xml"))
    assert 1 <= broken_polls < len(server.seen("/wire.xml"))  # it backs off; by how much: the next test, on its clock
    assert store.data["feed:broken"]["failures"] == broken_polls


def test_each_failure_doubles_the_wait_up_to_six_hours_while_the_others_are_polled(server: LocalServer) -> None:
    Feed(server, "/wire.xml")
    server.route("/broken.xml", status=500)
    feeds = [records.Feed(name, server.url(f"/{name}.xml"), "t") for name in ("wire", "broken")]

    async def rounds(states: dict[str, FeedState], times: Sequence[int]) -> list[int]:
        """Poll once at each of ``times`` (the clock is the test's); the times at which broken was polled."""
        polled = []
        async with http.client(Settings(allow_private_addresses=True)) as client:
            for now in times:
                before = len(server.seen("/broken.xml"))
                states, _ = await check(client, feeds, states, now=now, interval=10.0, max_bytes=MB, concurrency=2)
                polled += [now] if len(server.seen("/broken.xml")) > before else []
        return polled

    assert asyncio.run(rounds({}, range(0, 310, 10))) == [0, 20, 60, 140, 300]  # waits of 20, 40, 80, 160 s
    assert len(server.seen("/wire.xml")) == 31
    long_failing = {"broken": FeedState(failures=21)}
    assert asyncio.run(rounds(long_failing, [0, 21_599, 21_600])) == [0, 21_600]  # 6 hours, not 10 * 2**22 s


def test_serialises_to_its_class_path_and_json_kwargs() -> None:
    classpath, kwargs = FeedWatcher(poll_interval=7.5).serialize()
    assert classpath == "pipeline.airflow.watcher.FeedWatcher"
    assert FeedWatcher(**kwargs).serialize() == (classpath, {"poll_interval": 7.5})


def test_a_feed_too_slow_to_parse_counts_as_failing_and_the_others_still_fire(server: LocalServer) -> None:
    Feed(server, "/wire.xml")
    junk = b'<?xml version="1.0"?><rss version="2.0"><channel><item><description>' + b"<b>" * 80_000
    server.route("/junk.xml", body=junk, headers={"content-type": "application/rss+xml"})
    feeds = [records.Feed(name, server.url(f"/{name}.xml"), "t") for name in ("junk", "wire")]

    async def one_round() -> tuple[dict[str, FeedState], dict[str, int]]:
        async with http.client(Settings(allow_private_addresses=True)) as client:
            return await check(client, feeds, {}, now=0, interval=10.0, max_bytes=MB, concurrency=2, parse_timeout=0.5)

    states, unseen = asyncio.run(one_round())
    assert unseen == {"wire": 1}
    assert states["junk"].failures == 1 and states["wire"].failures == 0


def test_a_broken_feeds_file_fires_once_to_show_in_the_ui_and_the_watcher_keeps_its_feeds_and_interval(
    server: LocalServer, feeds_file: Callable[[dict[str, str]], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire = Feed(server, "/wire.xml")
    feeds_file({"wire": server.url("/wire.xml")})
    monkeypatch.setenv("NEWSFIGURES_POLL_INTERVAL", "0.05")  # read in the triggerer: the watcher has no interval
    trigger = FeedWatcher()
    trigger.asset_state_store = MemoryStateStore()  # type: ignore[assignment]

    async def scenario() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []

        async def consume() -> None:
            async for event in trigger.run():
                events.append(event.payload)

        task = asyncio.create_task(consume())
        await until(lambda: len(events) == 1)
        (tmp_path / "feeds.toml").write_text("[[feeds]\nname = ")  # an edit that breaks the file
        await until(lambda: len(events) == 2, 120)
        polled = len(server.seen("/wire.xml"))
        # at the configured interval, not a 300 s fallback; the feeds it had are still watched
        await until(lambda: len(server.seen("/wire.xml")) >= polled + 3, 120)
        wire.items.append("/wire.xml/story-2")
        await until(lambda: len(events) == 3, 120)
        task.cancel()
        return events

    events = asyncio.run(scenario())
    assert events[0] == {"feeds": ["wire"], "new_entries": 1}
    assert "feeds.toml" in events[1]["config_error"] and events[1]["feeds"] == []  # once, not every round
    assert events[2] == {"feeds": ["wire"], "new_entries": 1}
