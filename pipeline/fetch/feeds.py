"""Feeds: poll with conditional GET, parse the bytes with feedparser, normalise the entries."""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import hashlib
import io
import logging
import re
import threading
import time
import xml.sax
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

import feedparser
import httpx
from anyio.from_thread import start_blocking_portal

from pipeline.errors import FeedError, FetchError
from pipeline.fetch import sitemaps
from pipeline.fetch.http import client, get
from pipeline.fetch.urls import canonical_url, plain_text
from pipeline.records import Entry, Feed, FeedPoll, Precision, Published
from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Validators:
    """What a feed's last good poll returned, so the next poll can ask "has it changed?"."""

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None


PollResult = tuple[FeedPoll, list[Entry], Validators]
Outcome = Literal["changed", "not_modified", "unchanged", "error"]


# No feed needs its own entities; declaring them is how entity expansion ("billion laughs") and external
# entities (XXE: reading local files or internal URLs) are attempted, so such a feed is refused unread.
ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


def parse(body: bytes, headers: Mapping[str, str], feed: Feed) -> list[Entry]:
    """Parse feed bytes (with their HTTP headers) into normalised entries; ``FeedError`` if unreadable."""
    return parse_counting(body, headers, feed)[0]


def parse_counting(body: bytes, headers: Mapping[str, str], feed: Feed) -> tuple[list[Entry], int]:
    """``parse``, and how many items were dropped for lacking a usable link."""
    if not body.strip():
        raise FeedError(feed.url, "not a readable feed: empty body")
    if ENTITY_DECLARATION.search(body):
        raise FeedError(feed.url, "refused: the feed declares XML entities (entity expansion or external entity)")
    if sitemaps.is_sitemap(body):
        return sitemaps.parse(body, feed), 0
    # a BytesIO, never the bytes themselves: feedparser treats some strings as URLs or file names
    parsed: Any = feedparser.parse(io.BytesIO(body), response_headers={k.lower(): v for k, v in headers.items()})
    # an HTML page at a feed URL parses without complaint but has no feed version: unreadable too
    if not parsed.entries and not parsed.feed.get("title") and (parsed.bozo or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "not RSS or Atom"
        raise FeedError(feed.url, f"not a readable feed: {reason}")
    if parsed.bozo:
        log.info("feed %s is malformed but readable: %s", feed.name, parsed.get("bozo_exception"))
    entries = []
    for item in parsed.entries:
        entry = _entry(item, feed)
        if entry is not None:
            entries.append(entry)
    broken = parsed.get("bozo_exception")
    if isinstance(broken, xml.sax.SAXException) and not entries:  # not well-formed, nothing recovered: say so
        raise FeedError(feed.url, f"malformed feed, no usable entry: {broken}")
    return entries, len(parsed.entries) - len(entries)


def _entry(item: Any, feed: Feed) -> Entry | None:
    link = item.get("link") or ""
    url = canonical_url(link)
    if url is None:
        log.warning("feed %s: skipping entry %r without a usable link (%r)", feed.name, item.get("title"), link)
        return None
    stamp = item.get("published_parsed") or item.get("updated_parsed")
    # feedparser fills a missing day or month with 1; the raw value says how much the feed gave
    raw = item.get("published") if item.get("published_parsed") else item.get("updated")
    return Entry(
        feed=feed.name,
        topic=feed.topic,
        url=url,
        guid=str(item.get("id") or url),
        title=plain_text(item.get("title") or ""),
        published=datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None,  # stamp is UTC
        summary=plain_text(item.get("summary") or ""),
        published_precision=stated_precision(str(raw or "")) if stamp else None,
    )


def stated_precision(raw: str) -> Precision:
    """How much of a date its text states: ``2015-07`` a month, ``2015`` a year, anything fuller the day."""
    try:
        return Published.parse(raw).precision
    except ValueError:
        return "day"


async def parse_bounded(
    body: bytes, headers: Mapping[str, str], feed: Feed, timeout: float, *, gate: asyncio.Semaphore | None = None
) -> tuple[list[Entry], int]:
    """``parse_counting`` in a worker thread, off the event loop; ``FeedError`` if it takes over ``timeout`` seconds
    (counted from when it holds ``gate``, which polls share so that feeds are parsed one at a time).

    A daemon thread of its own, not the loop's executor: a parse past its bound is abandoned (a thread cannot be
    stopped), and nothing, not even ``asyncio.run`` shutting down, waits for it to finish.
    """
    async with gate or contextlib.nullcontext():
        return await _parse_in_thread(body, headers, feed, timeout)


async def _parse_in_thread(
    body: bytes, headers: Mapping[str, str], feed: Feed, timeout: float
) -> tuple[list[Entry], int]:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[tuple[list[Entry], int]] = loop.create_future()

    def settle(result: tuple[list[Entry], int] | None, error: BaseException | None) -> None:
        if done.done():  # abandoned: the poll already recorded the timeout
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result or ([], 0))

    def work() -> None:
        try:
            outcome: tuple[tuple[list[Entry], int] | None, BaseException | None] = (
                parse_counting(body, headers, feed),
                None,
            )
        except Exception as exc:
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile: nobody is waiting
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name=f"parse feed {feed.name}", daemon=True).start()
    try:
        return await asyncio.wait_for(done, timeout)
    except TimeoutError:
        raise FeedError(
            feed.url, f"parsing took longer than {timeout:g}s (NEWSFIGURES_FEED_PARSE_TIMEOUT), abandoned"
        ) from None


async def poll(
    http: httpx.AsyncClient,
    feed: Feed,
    previous: Validators | None,
    *,
    max_bytes: int,
    parse_timeout: float = 30.0,
    parsing: asyncio.Semaphore | None = None,
) -> PollResult:
    """Poll one feed with conditional GET; never raises: failures come back as outcome ``error``. Polls that share
    ``parsing`` parse one at a time: feedparser holds the GIL, so parses side by side are no faster and each holds
    its feed's parsed items (~8 KB an item: 40 MB for a 5,000-item feed) at once."""
    polled_at = datetime.now(UTC)
    started = time.perf_counter()
    previous = previous or Validators()
    conditional = {
        name: value
        for name, value in (("If-None-Match", previous.etag), ("If-Modified-Since", previous.last_modified))
        if value
    }

    def failed(reason: str, status: int | None = None) -> PollResult:
        log.warning("feed %s failed: %s", feed.name, reason)
        elapsed = round((time.perf_counter() - started) * 1000)
        row = FeedPoll(feed.name, feed.url, polled_at, "error", status=status, error=reason, elapsed_ms=elapsed)
        return row, [], previous  # keep the old validators so the next poll retries in full

    try:
        response = await get(http, feed.url, max_bytes=max_bytes, headers=conditional)
    except FetchError as exc:
        return failed(exc.reason, exc.status)
    status = response.status
    if status == 304:
        validators = Validators(
            response.headers.get("etag", previous.etag),
            response.headers.get("last-modified", previous.last_modified),
            previous.body_sha256,
        )
        return (
            _row(feed, polled_at, "not_modified", status, validators, 0, response.elapsed_ms),
            [],
            validators,
        )
    if not 200 <= status < 300:
        return failed(f"HTTP {status}", status)
    digest = hashlib.sha256(response.body).hexdigest()
    validators = Validators(response.headers.get("etag"), response.headers.get("last-modified"), digest)
    if digest == previous.body_sha256:
        return _row(feed, polled_at, "unchanged", status, validators, 0, response.elapsed_ms), [], validators
    try:
        # Content-Location lets feedparser resolve relative links against where the feed really was
        headers = {"content-location": response.final_url, **response.headers}
        entries, dropped = await parse_bounded(response.body, headers, feed, parse_timeout, gate=parsing)
    except FeedError as exc:
        return failed(exc.reason, status)
    row = _row(feed, polled_at, "changed", status, validators, len(entries), response.elapsed_ms)
    return replace(row, entries_dropped=dropped), entries, validators


def _row(
    feed: Feed, polled_at: datetime, outcome: Outcome, status: int, v: Validators, seen: int, elapsed_ms: int
) -> FeedPoll:
    return FeedPoll(
        feed=feed.name,
        url=feed.url,
        polled_at=polled_at,
        outcome=outcome,
        status=status,
        etag=v.etag,
        last_modified=v.last_modified,
        body_sha256=v.body_sha256,
        entries_seen=seen,
        elapsed_ms=elapsed_ms,
    )


async def poll_all(
    http: httpx.AsyncClient,
    feeds: Sequence[Feed],
    previous: Mapping[str, Validators],
    *,
    max_bytes: int,
    concurrency: int,
    parse_timeout: float = 30.0,
) -> list[PollResult]:
    """Poll every feed, at most ``concurrency`` at a time; results in the order of ``feeds``."""
    gate, parsing = asyncio.Semaphore(max(1, concurrency)), asyncio.Semaphore(1)

    async def one(feed: Feed) -> PollResult:
        async with gate:
            return await poll(
                http, feed, previous.get(feed.name), max_bytes=max_bytes, parse_timeout=parse_timeout, parsing=parsing
            )

    results = await asyncio.gather(*(one(feed) for feed in feeds))
    outcomes = [row.outcome for row, _, _ in results]
    log.info(
        "polled %d feeds: %d changed, %d not modified, %d unchanged, %d failed",
        len(results),
        outcomes.count("changed"),
        outcomes.count("not_modified"),
        outcomes.count("unchanged"),
        outcomes.count("error"),
    )
    return list(results)


def poll_configured(
    settings: Settings, chosen: Sequence[Feed], previous: Mapping[str, Validators], *, batch: int
) -> Iterator[list[PollResult]]:
    """Poll the chosen feeds conditionally through one configured client, ``fetch_concurrency`` at a time, and hand
    back their results in the order of ``chosen``, a list each time they carry ``batch`` entries or more (the caller
    commits each, so a stage holds a batch of entries and a few feeds in flight, never every feed's entries).

    The client's event loop runs in a thread of its own (an anyio portal), so the polls in flight keep time and go
    on while the caller commits."""
    with start_blocking_portal() as portal:
        http, parsing = portal.call(client, settings), asyncio.Semaphore(1)
        window: deque[Future[PollResult]] = deque()
        ready: list[PollResult] = []
        held = 0  # entries in ready
        try:
            for feed in [*chosen, None]:
                if feed is not None:
                    polled = partial(poll, http, feed, previous.get(feed.name), max_bytes=settings.max_body_bytes,
                                     parse_timeout=settings.feed_parse_timeout, parsing=parsing)  # fmt: skip
                    window.append(portal.start_task_soon(polled))
                while window and (feed is None or len(window) >= max(1, settings.fetch_concurrency)):
                    ready.append(window.popleft().result())
                    held += len(ready[-1][1])
                    if held >= batch or (feed is None and not window):
                        yield ready
                        ready, held = [], 0
        finally:
            for waiting in window:
                waiting.cancel()
            portal.call(http.aclose)
