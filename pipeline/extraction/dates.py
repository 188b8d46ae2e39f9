"""Publication dates by precedence: feed, page metadata, htmldate, the URL; never after the fetch."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

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


def first_plausible(
    candidates: list[tuple[datetime | None, str]], fetched_at: datetime | None
) -> tuple[datetime | None, str]:
    """The first dated candidate not after the fetch, in UTC, with its source; else ``(None, "none")``."""
    for moment, source in candidates:
        if moment is None:
            continue
        moment = utc(moment)
        if fetched_at is not None and moment > utc(fetched_at):
            log.info("ignoring %s date %s: after the fetch at %s", source, moment, fetched_at)
            continue
        return moment, source
    return None, "none"


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


def parse_date(value: str) -> datetime | None:
    """An ISO 8601 or RFC 2822 date, or ``None``."""
    value = value.strip()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        log.debug("unparseable date %r", value)
        return None


def meta_dates(tree: Any) -> Iterator[datetime]:
    """Publication dates the page declares: ``<meta>``, ``<time itemprop>``, JSON-LD ``datePublished``."""
    values: list[str] = [str(v) for v in tree.xpath(_META_DATE_XPATH)]
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        values.extend(_json_ld_dates(str(script)))
    for value in values:
        moment = parse_date(value)
        if moment is not None:
            yield moment


def url_date(url: str) -> datetime | None:
    """The day a ``/2024/01/18/`` style path names, at midnight UTC, or ``None``."""
    found = _URL_DATE.search(url)
    if found is None:
        return None
    try:
        return datetime(int(found[1]), int(found[2]), int(found[3]), tzinfo=UTC)
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
