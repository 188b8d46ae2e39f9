"""News sitemaps (Google News sitemap format) read as feeds: each ``<url>`` with its ``<news:news>`` is an entry.

Parsed with lxml, entities never resolved and nothing fetched from the network, so a sitemap cannot expand entities
or read local files. A sitemap index lists other sitemaps, not news: it is refused with a reason (list them instead).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from lxml import etree  # type: ignore[import-untyped]

from pipeline.errors import FeedError
from pipeline.fetch.urls import canonical_url, plain_text
from pipeline.records import Entry, Feed, Precision, Published

log = logging.getLogger(__name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
ROOT = re.compile(rb"<(?:[\w-]+:)?(urlset|sitemapindex)\b")


def is_sitemap(body: bytes) -> bool:
    """Whether the bytes look like a sitemap (``<urlset>`` or ``<sitemapindex>`` root) rather than RSS or Atom."""
    match = ROOT.search(body[:4096])
    return match is not None and not re.search(rb"<(rss|feed|rdf:RDF)\b", body[: match.start()])


def parse(body: bytes, feed: Feed) -> list[Entry]:
    """The entries of a news sitemap: URL, title and publication date of each ``<url>``; ``FeedError`` if unreadable."""

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(feed.url, f"not a readable sitemap: {exc}") from exc
    if etree.QName(root).localname == "sitemapindex":
        raise FeedError(feed.url, "a sitemap index lists sitemaps, not news: configure its news sitemaps as feeds")
    entries = []
    for node in root.iterfind(f"{{{SITEMAP_NS}}}url"):
        loc = (node.findtext(f"{{{SITEMAP_NS}}}loc") or "").strip()
        url = canonical_url(loc)
        if url is None:
            log.warning("sitemap %s: skipping <url> without a usable <loc> (%r)", feed.name, loc)
            continue
        news = node.find(f"{{{NEWS_NS}}}news")
        title = news.findtext(f"{{{NEWS_NS}}}title") if news is not None else None
        stamp = news.findtext(f"{{{NEWS_NS}}}publication_date") if news is not None else None
        published = _date(stamp or node.findtext(f"{{{SITEMAP_NS}}}lastmod"))
        entries.append(
            Entry(
                feed=feed.name,
                topic=feed.topic,
                url=url,
                guid=url,
                title=plain_text(title or ""),
                published=published[0] if published else None,
                summary="",
                published_precision=published[1] if published else None,
            )
        )
    return entries


def _date(text: str | None) -> tuple[datetime, Precision] | None:
    """A W3C datetime (a year, a month, a day, or a date and time with a zone) in UTC; None if absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:  # W3C-DTF also allows YYYY and YYYY-MM
            partial = Published.parse(text)
        except ValueError:
            return None
        return datetime(partial.year, partial.month or 1, 1, tzinfo=UTC), partial.precision
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC), "day"
