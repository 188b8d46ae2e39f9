"""The nouns of the pipeline: frozen records passed between stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Kind = Literal["count", "ratio", "percent"]
Hedge = Literal["exact", "approximate", "at_least", "at_most"]
Sense = Literal["change", "share"]
Precision = Literal["day", "month", "year"]  # how much of a publication date the source gave
Section = Literal["headline", "body"]  # where in the article a figure stands


@dataclass(frozen=True)
class Feed:
    """A configured news feed."""

    name: str
    url: str
    topic: str


@dataclass(frozen=True)
class Response:
    """One HTTP exchange, body included (bounded by the client's size cap)."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    request_headers: dict[str, str]
    headers: dict[str, str]  # response headers, lower-cased names
    body: bytes
    fetched_at: datetime
    elapsed_ms: int
    http_version: str = "HTTP/1.1"


@dataclass(frozen=True)
class FeedPoll:
    """The outcome of polling one feed once."""

    feed: str
    url: str
    polled_at: datetime
    outcome: Literal["changed", "not_modified", "unchanged", "error"]
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    entries_seen: int = 0
    entries_new: int = 0
    error: str | None = None
    elapsed_ms: int = 0
    entries_dropped: int = 0  # items skipped for lacking a usable link


@dataclass(frozen=True)
class Entry:
    """A feed entry, normalised: canonical URL, timezone-aware UTC dates."""

    feed: str
    topic: str
    url: str
    guid: str
    title: str
    published: datetime | None
    summary: str
    published_precision: Precision | None = None  # a partial date is held at the start of its month or year


@dataclass(frozen=True)
class Page:
    """A fetched page: its log row. The body itself lives in the raw archive under ``body_sha256``."""

    url: str
    final_url: str
    fetched_at: datetime
    status: int | None
    content_type: str | None
    body_sha256: str | None
    size: int
    error: str | None = None

    @property
    def permanent(self) -> bool:
        """A failure a retry will not change: gone (404, 410), disallowed by robots.txt, not HTML."""
        return self.error is not None and (
            self.status in (404, 410) or self.error.startswith("disallowed by robots") or "is not HTML" in self.error
        )


@dataclass(frozen=True)
class Article:
    """Article text and metadata extracted from one page; ``status`` says whether text was found."""

    url: str
    body_sha256: str
    status: Literal["ok", "no_article"]
    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    published_source: str = "none"
    site_name: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    extraction_method: str = "trafilatura"
    reason: str | None = None
    published_precision: Precision | None = None  # a partial date is held at the start of its month or year


@dataclass(frozen=True)
class Published:
    """A publication date as precise as the page gave it: a year, a month of a year, or a day."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> Published:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; anything else is a ``ValueError`` naming the forms."""
        parts = text.strip().split("-")
        try:
            if len(parts) == 3:
                return cls.of(date.fromisoformat(text.strip()))
            if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2 and 1 <= int(parts[1]) <= 12:
                return cls(int(parts[0]), int(parts[1]))
            if len(parts) == 1 and len(parts[0]) == 4:
                return cls(int(parts[0]))
        except ValueError:
            pass
        raise ValueError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")

    @classmethod
    def of(cls, day: date | datetime) -> Published:
        """A full date."""
        return cls(day.year, day.month, day.day)

    @property
    def precision(self) -> Precision:
        """How much of the date is known: ``day``, ``month`` or ``year``."""
        return "year" if self.month is None else "month" if self.day is None else "day"

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        return f"{self.year:04d}-{self.month:02d}" + (f"-{self.day:02d}" if self.day is not None else "")


@dataclass(frozen=True)
class Figure:
    """One number an article states, typed and traceable to its span and sentence."""

    kind: Kind
    value: float | None
    low: float | None
    high: float | None
    hedge: Hedge
    metric: str  # one of the topic file's metrics (per period, running total, other)
    sense: Sense | None
    subgroup: str | None
    year: int | None
    period: str | None
    start: int
    end: int
    text: str
    sentence: str
    extractor_version: str
    notes: tuple[str, ...] = field(default=())  # which rule decided each field ("metric: event"), for --explain
