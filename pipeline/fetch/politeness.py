"""Manners per host: robots.txt, a minimum delay and a concurrency limit per host, Retry-After and backoff.

One ``Politeness`` lives for a run (or a watcher's lifetime) and is shared by every page fetch in it; it holds
the robots.txt rules it has read, each trusted for ``robots_ttl`` seconds. Feeds are not checked against robots.txt:
a feed is a URL its publisher hands out to be polled, and robots rules are written for crawlers following links.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from protego import Protego

from pipeline.backoff import jittered
from pipeline.errors import FetchError, TransientFetchError
from pipeline.fetch.http import get
from pipeline.records import Response
from pipeline.settings import Settings

log = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 500_000  # Google reads the first 500 KiB of a robots.txt
ROBOTS_UNREACHABLE_TTL = 600.0  # a robots.txt that errs is asked again after ten minutes, not a day
RETRY_STATUSES = (429, 503)


@dataclass(frozen=True)
class _Robots:
    rules: Protego | None  # None: no rules (robots.txt absent): everything allowed
    expires: float
    unreachable: str | None = None  # why the host is off limits for now (robots.txt answered 5xx or failed)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a Retry-After header asks to wait (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class Politeness:
    """Per-host robots.txt rules, spacing and concurrency for the page requests of one run."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self._clock, self._sleep = clock, sleep
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    async def get(self, http: httpx.AsyncClient, url: str, *, max_bytes: int) -> Response:
        """GET ``url`` politely: robots.txt, per-host spacing and limit, Retry-After, jittered backoff."""
        refusal = await self.disallowed(http, url)
        if refusal is not None:
            raise FetchError(url, refusal)
        attempt = 0
        while True:
            try:
                async with self.slot(url):
                    response = await get(http, url, max_bytes=max_bytes)
            except TransientFetchError as exc:
                if attempt >= self.settings.fetch_retries:
                    raise
                await self._sleep(self._backoff(attempt))
                attempt += 1
                log.info("retrying %s after %s", url, exc.reason)
                continue
            if response.status not in RETRY_STATUSES:
                return response
            wait = retry_after(response.headers.get("retry-after"), datetime.now(UTC))
            if wait is not None and wait > self.settings.max_retry_after:
                raise FetchError(url, f"HTTP {response.status}: asked to retry after {wait:.0f} s", response.status)
            if attempt >= self.settings.fetch_retries:
                return response  # the caller records the 429/503 as this fetch's error
            wait = self._backoff(attempt) if wait is None else wait
            self._hold(host_of(url), wait)
            log.info("%s answered %d: waiting %.1f s before retry %d", url, response.status, wait, attempt + 1)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        return jittered(self.settings.retry_backoff, attempt)

    def _hold(self, host: str, seconds: float) -> None:
        """Keep every request to ``host`` waiting ``seconds`` from now: the host asked us to slow down."""
        self._next_start[host] = max(self._next_start.get(host, 0.0), self._clock() + seconds)

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's concurrent slots, starting no sooner than ``host_delay`` after its last start."""
        host = host_of(url)
        gate = self._gates.setdefault(host, asyncio.Semaphore(max(1, self.settings.host_concurrency)))
        async with gate:
            now = self._clock()
            delay = max(self.settings.host_delay, self._crawl_delay(host))
            start = max(now, self._next_start.get(host, 0.0))
            self._next_start[host] = start + delay  # reserved before sleeping, so waiters queue up in turn
            if start > now:
                await self._sleep(start - now)
            yield

    def _crawl_delay(self, host: str) -> float:
        robots = self._robots.get(host)
        if robots is None or robots.rules is None:
            return 0.0
        delay = robots.rules.crawl_delay(self.settings.user_agent)
        return min(float(delay), 60.0) if delay else 0.0  # a day-long Crawl-delay would stall the run

    async def disallowed(self, http: httpx.AsyncClient, url: str) -> str | None:
        """Why robots.txt forbids fetching ``url`` (or cannot be read), or None when it may be fetched."""
        host = host_of(url)
        robots = await self._rules(http, url, host)
        if robots.unreachable is not None:
            return robots.unreachable
        if robots.rules is not None and not robots.rules.can_fetch(url, self.settings.user_agent):
            return "disallowed by robots.txt"
        return None

    async def _rules(self, http: httpx.AsyncClient, url: str, host: str) -> _Robots:
        async with self._robots_locks.setdefault(host, asyncio.Lock()):  # one robots.txt fetch per host at a time
            cached = self._robots.get(host)
            if cached is not None and cached.expires > self._clock():
                return cached
            robots = await self._fetch_robots(http, url)
            self._robots[host] = robots
            return robots

    async def _fetch_robots(self, http: httpx.AsyncClient, url: str) -> _Robots:
        parts = httpx.URL(url)
        robots_url = str(parts.copy_with(path="/robots.txt", query=None, fragment=None))
        later = self._clock() + ROBOTS_UNREACHABLE_TTL
        try:
            response = await get(http, robots_url, max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as exc:
            return _Robots(None, later, f"robots.txt unreachable: {exc.reason}")
        expires = self._clock() + self.settings.robots_ttl
        if 200 <= response.status < 300:
            return _Robots(Protego.parse(response.body.decode("utf-8", errors="replace")), expires)
        if response.status >= 500:  # a server in trouble: stay away until it answers again (RFC 9309 2.3.1.4)
            return _Robots(None, later, f"robots.txt answered HTTP {response.status}")
        return _Robots(None, expires)  # 4xx: no robots.txt, no rules (RFC 9309 2.3.1.3)


def host_of(url: str) -> str:
    """The host whose manners apply to ``url``: its scheme and authority (``https://example.org:8443``)."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.netloc.decode('ascii')}"
