"""Feed autodiscovery: the feeds a home page announces with ``<link rel="alternate" type="application/rss+xml">``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
import lxml.html  # type: ignore[import-untyped]
from lxml import etree

from pipeline.errors import FetchError
from pipeline.fetch.http import get
from pipeline.fetch.urls import canonical_url

log = logging.getLogger(__name__)

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/rdf+xml": "rdf",
}


@dataclass(frozen=True)
class Found:
    """A feed a page links to."""

    url: str
    title: str
    kind: str  # rss | atom | json | rdf


def links(body: bytes, page_url: str) -> list[Found]:
    """The feeds a page announces, absolute URLs (against ``<base href>`` if any), in page order, each once."""
    if not body.strip():
        return []
    try:
        document = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    base = urljoin(page_url, (document.xpath("string(//base/@href)") or "").strip())
    found: dict[str, Found] = {}
    for link in document.iter("link"):
        rels = {r.lower() for r in (link.get("rel") or "").split()}
        kind = FEED_TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        href = (link.get("href") or "").strip()
        url = canonical_url(urljoin(base, href)) if href else None
        if "alternate" in rels and kind and url and url not in found:
            found[url] = Found(url, " ".join((link.get("title") or "").split()), kind)
    return list(found.values())


async def discover(http: httpx.AsyncClient, url: str, *, max_bytes: int) -> list[Found]:
    """Fetch a page and return the feeds it announces; ``FetchError`` if it cannot be fetched."""
    response = await get(http, url, max_bytes=max_bytes)
    if response.status >= 400:
        raise FetchError(url, f"HTTP {response.status}", response.status)
    found = links(response.body, response.final_url)
    log.info("%s announces %d feeds", url, len(found))
    return found
