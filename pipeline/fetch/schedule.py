"""When each feed is polled next: an interval that adapts to how often the feed changes, and pauses for failing feeds.

A feed that changed is polled twice as often next time, one that did not a half again less often, within
``poll_interval_min``..``poll_interval_max``. A feed failing ``feed_pause_after`` polls in a row is paused for
``feed_pause_hours`` and then tried once more: one success resumes it, one more failure pauses it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pipeline.records import Feed, FeedPoll
from pipeline.settings import Settings, select_feeds

log = logging.getLogger(__name__)

FASTER = 0.5
SLOWER = 1.5


@dataclass(frozen=True)
class FeedSchedule:
    """One feed's polling state, as the ``feed_state`` table holds it."""

    feed: str
    url: str
    interval_s: float
    next_poll_at: datetime
    failures: int = 0
    paused_until: datetime | None = None
    pause_reason: str | None = None
    last_outcome: str | None = None
    updated_at: datetime | None = None

    def due(self, at: datetime) -> bool:
        """Whether the feed should be polled at ``at`` (a paused feed only once its pause is over)."""
        if self.paused_until is not None:
            return at >= self.paused_until
        return at >= self.next_poll_at

    def paused(self, at: datetime) -> bool:
        """Whether the feed is paused at ``at``."""
        return self.paused_until is not None and at < self.paused_until


def of_feeds(
    feeds: Sequence[Feed], stored: Sequence[tuple[Any, ...]], settings: Settings, at: datetime
) -> dict[str, FeedSchedule]:
    """Each configured feed's schedule from the stored rows; a feed not stored yet (or moved) starts afresh."""
    known = {row[0]: FeedSchedule(*row) for row in stored}
    return {
        f.name: known[f.name] if f.name in known and known[f.name].url == f.url else first(f.name, f.url, settings, at)
        for f in feeds
    }


def choose(
    settings: Settings,
    schedules: Mapping[str, FeedSchedule],
    at: datetime,
    *,
    named: Sequence[str] | None = None,
    due_only: bool = False,
) -> list[Feed]:
    """The feeds to poll now: those ``named`` (even if paused; a name not configured is a ``ConfigError``, not no
    feed polled), else every feed not paused; with ``due_only``, only those whose adaptive interval has passed."""
    if named:
        select_feeds(settings, named)
    return [
        f
        for f in settings.feeds
        if (f.name in named if named else not schedules[f.name].paused(at))
        and (not due_only or schedules[f.name].due(at))
    ]


def first(feed: str, url: str, settings: Settings, at: datetime) -> FeedSchedule:
    """The schedule of a feed never polled: due now, at the shortest interval."""
    return FeedSchedule(feed, url, settings.poll_interval_min, at)


def advance(previous: FeedSchedule, poll: FeedPoll, settings: Settings, *, new_entries: int) -> FeedSchedule:
    """The schedule after ``poll`` (which found ``new_entries``): a new interval, or one more failure (or a pause)."""
    at = poll.polled_at
    if poll.outcome == "error":
        failures = previous.failures + 1
        if failures >= settings.feed_pause_after:
            until = at + timedelta(hours=settings.feed_pause_hours)
            reason = f"{failures} failed polls in a row; last: {poll.error}"
            if previous.paused_until is None:
                log.warning("feed %s paused until %s: %s", poll.feed, until.isoformat(), reason)
            return replace(
                previous,
                failures=failures,
                paused_until=until,
                pause_reason=reason,
                next_poll_at=until,
                last_outcome=poll.outcome,
                updated_at=at,
            )
        return replace(
            previous,
            failures=failures,
            next_poll_at=at + timedelta(seconds=previous.interval_s),
            last_outcome=poll.outcome,
            updated_at=at,
        )
    factor = FASTER if new_entries else SLOWER
    interval = min(settings.poll_interval_max, max(settings.poll_interval_min, previous.interval_s * factor))
    if previous.paused_until is not None:
        log.info("feed %s answers again: resumed", poll.feed)
    return replace(
        previous,
        url=poll.url,
        interval_s=interval,
        next_poll_at=at + timedelta(seconds=interval),
        failures=0,
        paused_until=None,
        pause_reason=None,
        last_outcome=poll.outcome,
        updated_at=at,
    )
