"""Publication dates by precedence: feed, page metadata, htmldate, the URL; never after the fetch; partial kept partial.

A date is a moment and how much of it the source gave (``day``, ``month`` or ``year``): ``2015-07`` is
2015-07-01 00:00 UTC with precision ``month``, never a made-up first of July.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from pipeline.records import Precision, Published

log = logging.getLogger(__name__)

# publication timestamps sites put in their <head>, most specific first
_META_DATE_XPATH = (
    "//meta[@property='article:published_time' or @name='article:published_time'"
    " or @itemprop='datePublished' or @property='og:published_time' or @name='pubdate'"
    " or @name='publishdate' or @name='parsely-pub-date' or @name='sailthru.date'"
    " or @name='dcterms.created' or @name='DC.date.issued' or @name='date']/@content"
    " | //time[@itemprop='datePublished']/@datetime"
)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_]|$)")


Dated = tuple[datetime, Precision]


def first_plausible(
    candidates: list[tuple[Dated | None, str]], fetched_at: datetime | None
) -> tuple[Dated | None, str]:
    """The first dated candidate not after the fetch, in UTC, with its source; else ``(None, "none")``.

    A partial date gives way to a later candidate that is more precise and falls inside it (a feed's ``2015-07``
    and the page's 14 July 2015).
    """
    plausible = []
    for dated, source in candidates:
        if dated is None:
            continue
        moment = utc(dated[0])
        if fetched_at is not None and moment > utc(fetched_at):
            log.info("ignoring %s date %s: after the fetch at %s", source, moment, fetched_at)
            continue
        plausible.append(((moment, dated[1]), source))
    if not plausible:
        return None, "none"
    first = plausible[0]
    # htmldate fills in a missing day or month with 1 (2015-07 -> 2015-07-01): it cannot refine a partial date
    finer = [
        c
        for c in plausible[1:]
        if c[1] != "htmldate" and _RANK[c[0][1]] > _RANK[first[0][1]] and _within(c[0][0], first[0])
    ]
    return max(finer, key=lambda c: _RANK[c[0][1]], default=first)


_RANK: dict[Precision, int] = {"year": 0, "month": 1, "day": 2}


def _within(moment: datetime, period: Dated) -> bool:
    start, precision = period
    return moment.year == start.year and (precision == "year" or moment.month == start.month)


def htmldate_params(fetched_at: datetime | None) -> dict[str, Any]:
    """Options for trafilatura's date search: original date, no guessing, nothing after the fetch."""
    # no extensive search: it guesses from copyright lines and stray numbers, and a wrong year here
    # would misplace every "last year" the figures stage resolves
    params: dict[str, Any] = {"original_date": True, "extensive_search": False}
    if fetched_at is not None:
        params["max_date"] = utc(fetched_at).strftime("%Y-%m-%d")
    return params


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one is taken as UTC."""
    # a date without an offset is taken as UTC: the page gives nothing better
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_date(value: str) -> Dated | None:
    """An ISO 8601 or RFC 2822 date (``day``), a bare ``YYYY-MM`` (``month``) or ``YYYY`` (``year``); else None."""
    value = value.strip()
    try:
        partial = Published.parse(value)
        if partial.precision != "day":
            return datetime(partial.year, partial.month or 1, 1, tzinfo=UTC), partial.precision
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value), "day"
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value), "day"
    except (TypeError, ValueError):
        log.debug("unparseable date %r", value)
        return None


def meta_dates(tree: Any) -> Iterator[Dated]:
    """Publication dates the page declares: ``<meta>``, ``<time itemprop>``, JSON-LD ``datePublished``."""
    values: list[str] = [str(v) for v in tree.xpath(_META_DATE_XPATH)]
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        values.extend(_json_ld_dates(str(script)))
    for value in values:
        dated = parse_date(value)
        if dated is not None:
            yield dated


def url_date(url: str) -> Dated | None:
    """The day a ``/2024/01/18/`` style path names, at midnight UTC, or ``None``."""
    found = _URL_DATE.search(url)
    if found is None:
        return None
    try:
        return datetime(int(found[1]), int(found[2]), int(found[3]), tzinfo=UTC), "day"
    except ValueError:
        return None


def _json_ld_dates(source: str) -> Iterator[str]:
    try:
        data = json.loads(source)
    except ValueError:
        return
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("datePublished"), str):
                yield item["datePublished"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
