"""The feed watcher: an Airflow event trigger that fires when a configured feed has entries it has not seen.

It lives in the installed package, not in ``dags/``, because the triggerer imports it by class path.
Attach it with ``AssetWatcher`` to the asset ``news_ingest`` is scheduled on.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

if TYPE_CHECKING:
    from pipeline.fetch.watch import FeedState

STATE_PREFIX = "feed:"
DEFAULT_INTERVAL = 300.0  # only when no NEWSFIGURES_POLL_INTERVAL can be read at all


def _interval_despite(good: Any) -> float:
    """NEWSFIGURES_POLL_INTERVAL when the feeds file is what broke; else the last good one, else the default."""
    from pipeline.errors import ConfigError
    from pipeline.settings import Settings

    try:
        return float(Settings.from_env(feeds=()).poll_interval)
    except ConfigError:
        return float(good.poll_interval) if good is not None else DEFAULT_INTERVAL


class FeedWatcher(BaseEventTrigger):
    """Poll every configured feed with conditional GET; fire with the names of feeds that have unseen entries."""

    def __init__(self, poll_interval: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.poll_interval = poll_interval  # None: NEWSFIGURES_POLL_INTERVAL, read in the triggerer

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and JSON-safe kwargs; Airflow hashes them to identify this watcher."""
        return f"{type(self).__module__}.{type(self).__qualname__}", {"poll_interval": self.poll_interval}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Loop forever: poll, remember, fire on unseen entries; a failure is logged and the loop goes on.

        A configuration that stops reading (a broken feeds.toml) fires once, with ``config_error``, so the news_ingest
        run it triggers fails at *Start run* with the message, in the UI; meanwhile the last good feeds are watched,
        at the configured interval.
        """
        # Imported here, not at module level (DAG files import this module while parsing), and in a thread: the
        # first import of feedparser, httpx and courlan takes a second, which would block the triggerer's event loop.
        await asyncio.to_thread(importlib.import_module, "pipeline.fetch.watch")
        from pipeline.errors import ConfigError
        from pipeline.fetch import http, watch
        from pipeline.settings import Settings

        states: dict[str, FeedState] | None = None
        good: Settings | None = None  # the last configuration that read
        reported: str | None = None  # the configuration error last fired, so it fires once
        while True:
            interval = self.poll_interval or (good.poll_interval if good else DEFAULT_INTERVAL)
            try:
                try:
                    settings = good = Settings.from_env()  # each round: an edited feeds.toml applies at once
                    reported = None
                except ConfigError as exc:
                    interval = self.poll_interval or _interval_despite(good)
                    if str(exc) != reported:
                        reported = str(exc)
                        self.log.error("configuration error, watching the last good feeds: %s", exc)
                        yield TriggerEvent({"feeds": [], "config_error": reported})
                    if good is None:
                        await asyncio.sleep(interval)
                        continue
                    settings = good
                interval = self.poll_interval or settings.poll_interval
                if states is None:
                    states = await self._load([f.name for f in settings.feeds])
                async with http.client(settings) as client:
                    updated, unseen = await watch.check(
                        client,
                        settings.feeds,
                        states,
                        now=time.time(),
                        interval=interval,
                        max_bytes=settings.max_body_bytes,
                        concurrency=settings.fetch_concurrency,
                        parse_timeout=settings.feed_parse_timeout,
                    )
                await self._save(states, updated)  # before firing: a restart must not fire again for these
                states = updated
                if unseen:
                    self.log.info("new entries in %s", unseen)
                    yield TriggerEvent({"feeds": sorted(unseen), "new_entries": sum(unseen.values())})
            except Exception:
                self.log.exception("feed watcher round failed; next round in %.0fs", interval)
            await asyncio.sleep(interval)

    async def _load(self, names: list[str]) -> dict[str, FeedState]:
        from pipeline.fetch.watch import FeedState

        if self.asset_state_store is None:
            return {}
        return {name: FeedState.from_json(await self.asset_state_store.aget(STATE_PREFIX + name)) for name in names}

    async def _save(self, before: dict[str, FeedState], after: dict[str, FeedState]) -> None:
        if self.asset_state_store is None:
            return
        for name, state in after.items():
            if before.get(name) != state:
                await self.asset_state_store.aset(STATE_PREFIX + name, state.to_json())
