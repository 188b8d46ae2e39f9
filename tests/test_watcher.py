"""The feed watcher trigger, driven under asyncio against a local feed server (no triggerer needed)."""

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import LocalServer, Reply, Seen

from pipeline.airflow.watcher import FeedWatcher


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


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
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
        await until(lambda: len(events) == 2)
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
    assert 2 <= broken_polls <= 4  # 0.05 s, then backoff of 0.1, 0.2, 0.4, 0.8 s while wire is polled 12 times
    assert store.data["feed:broken"]["failures"] == broken_polls


def test_serialises_to_its_class_path_and_json_kwargs() -> None:
    classpath, kwargs = FeedWatcher(poll_interval=7.5).serialize()
    assert classpath == "pipeline.airflow.watcher.FeedWatcher"
    assert FeedWatcher(**kwargs).serialize() == (classpath, {"poll_interval": 7.5})
