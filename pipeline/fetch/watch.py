"""What the feed watcher remembers between polls, and one poll of every due feed.

Pure of Airflow: the trigger in ``pipeline.airflow.watcher`` loops over ``check`` and keeps ``FeedState`` in the
asset state store. The state only saves work; the warehouse still decides what is new when the DAG runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from pipeline.backoff import doubled
from pipeline.fetch.feeds import Validators, poll_all
from pipeline.records import Feed

log = logging.getLogger(__name__)

SEEN_LIMIT = 1000  # entry URLs remembered per feed; feeds list far fewer at a time
MAX_BACKOFF = 6 * 3600.0


@dataclass(frozen=True)
class FeedState:
    """One feed's validators, the entry URLs already seen, and its failure backoff."""

    validators: Validators = field(default_factory=Validators)
    seen: tuple[str, ...] = ()
    failures: int = 0
    retry_at: float = 0.0  # epoch seconds; the feed is not polled before

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict for the asset state store."""
        v = self.validators
        return {
            "etag": v.etag,
            "last_modified": v.last_modified,
            "body_sha256": v.body_sha256,
            "seen": list(self.seen),
            "failures": self.failures,
            "retry_at": self.retry_at,
        }

    @classmethod
    def from_json(cls, data: Any) -> FeedState:
        """Read what ``to_json`` wrote; anything unreadable starts afresh."""
        if not isinstance(data, dict):
            return cls()
        validators = Validators(data.get("etag"), data.get("last_modified"), data.get("body_sha256"))
        seen = tuple(str(u) for u in data.get("seen") or ())
        return cls(validators, seen, int(data.get("failures") or 0), float(data.get("retry_at") or 0.0))


async def check(
    http: httpx.AsyncClient,
    feeds: Sequence[Feed],
    states: Mapping[str, FeedState],
    *,
    now: float,
    interval: float,
    max_bytes: int,
    concurrency: int,
    parse_timeout: float = 30.0,
) -> tuple[dict[str, FeedState], dict[str, int]]:
    """Poll the feeds that are due; return every feed's new state and the count of unseen entries per feed."""
    due = [f for f in feeds if states.get(f.name, FeedState()).retry_at <= now]
    previous = {f.name: states.get(f.name, FeedState()).validators for f in due}
    results = await poll_all(
        http, due, previous, max_bytes=max_bytes, concurrency=concurrency, parse_timeout=parse_timeout
    )
    updated = {name: state for name, state in states.items() if name in {f.name for f in feeds}}
    unseen: dict[str, int] = {}
    for poll, entries, validators in results:
        state = states.get(poll.feed, FeedState())
        if poll.outcome == "error":
            failures = state.failures + 1
            delay = doubled(interval, failures, MAX_BACKOFF)
            log.warning(
                "feed %s failed %d times in a row (%s); next poll in %.0fs", poll.feed, failures, poll.error, delay
            )
            updated[poll.feed] = replace(state, failures=failures, retry_at=now + delay)
            continue
        known = set(state.seen)
        fresh = [e.url for e in entries if e.url not in known]
        if fresh:
            unseen[poll.feed] = len(fresh)
        seen = tuple(u for u in state.seen if u not in set(fresh)) + tuple(fresh)
        updated[poll.feed] = FeedState(validators, seen[-SEEN_LIMIT:])
    return updated, unseen
