"""Articles: page bytes in, article text and metadata out (trafilatura); pure, no I/O."""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import SimpleNamespace
from typing import Any

import trafilatura
from trafilatura.utils import load_html

from pipeline.records import Article

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 200  # below this, what trafilatura finds is a teaser, a form or boilerplate, not an article
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_NO_METADATA = SimpleNamespace(title=None, author=None, sitename=None, language=None, url=None)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
# publication timestamps sites put in their <head>, most specific first
_META_DATE_XPATH = (
    "//meta[@property='article:published_time' or @name='article:published_time'"
    " or @itemprop='datePublished' or @property='og:published_time' or @name='pubdate'"
    " or @name='publishdate' or @name='parsely-pub-date' or @name='sailthru.date'"
    " or @name='dcterms.created' or @name='DC.date.issued' or @name='date']/@content"
    " | //time[@itemprop='datePublished']/@datetime"
)


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """The page as text: BOM, then HTTP charset, then ``<meta charset>``, else UTF-8 with replacement."""
    if body.startswith(codecs.BOM_UTF8):
        return body.decode("utf-8-sig", errors="replace")
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    header = _HEADER_CHARSET.search(content_type)
    meta = _META_CHARSET.search(body[:4096])
    for candidate in (header.group(1) if header else None, meta.group(1).decode("ascii") if meta else None):
        if candidate:
            try:
                return body.decode(codecs.lookup(candidate).name, errors="replace")
            except LookupError:
                log.debug("unknown charset %r", candidate)
    return body.decode("utf-8", errors="replace")


def extract(
    body: bytes,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    feed_published: datetime | None = None,
    fetched_at: datetime | None = None,
) -> Article:
    """Extract the article in ``body``; a page without one gives ``status="no_article"`` and a reason."""
    sha256 = hashlib.sha256(body).hexdigest()
    tree = load_html(decode_html(body, headers)) if body.strip() else None
    if tree is None:
        return Article(url, sha256, "no_article", "", reason="no article text found (empty or unreadable HTML)")
    page_language = _page_language(tree)
    meta_dates = list(_meta_dates(tree))  # read before trafilatura, which prunes the tree it is given
    doc: Any = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params=_date_params(fetched_at),
    )
    candidates = [(feed_published, "feed"), *((d, "html-meta") for d in meta_dates)]
    if doc is not None and doc.date:
        candidates.append((_parse_date(doc.date), "htmldate"))
    published, source = _first_plausible(candidates, fetched_at)
    text = (doc.text or "").strip() if doc is not None else ""
    reason = None
    if len(text) < MIN_TEXT_CHARS:
        reason = f"no article text found ({len(text)} characters of main text, fewer than {MIN_TEXT_CHARS})"
        log.info("%s: %s", url, reason)
    meta: Any = doc if doc is not None else _NO_METADATA
    return Article(
        url=url,
        body_sha256=sha256,
        status="no_article" if reason else "ok",
        text="" if reason else text,
        title=meta.title or _html_title(tree),
        author=meta.author,
        published=published,
        published_source=source,
        site_name=meta.sitename,
        language=meta.language or page_language,
        canonical_url=meta.url or url,
        reason=reason,
    )


def _date_params(fetched_at: datetime | None) -> dict[str, Any]:
    # no extensive search: it guesses from copyright lines and stray numbers, and a wrong year here
    # would misplace every "last year" the figures stage resolves
    params: dict[str, Any] = {"original_date": True, "extensive_search": False}
    if fetched_at is not None:
        params["max_date"] = _utc(fetched_at).strftime("%Y-%m-%d")
    return params


def _first_plausible(
    candidates: list[tuple[datetime | None, str]], fetched_at: datetime | None
) -> tuple[datetime | None, str]:
    for moment, source in candidates:
        if moment is None:
            continue
        moment = _utc(moment)
        if fetched_at is not None and moment > _utc(fetched_at):
            log.info("ignoring %s date %s: after the fetch at %s", source, moment, fetched_at)
            continue
        return moment, source
    return None, "none"


def _utc(moment: datetime) -> datetime:
    # a date without an offset is taken as UTC: the page gives nothing better
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_date(value: str) -> datetime | None:
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


def _meta_dates(tree: Any) -> Iterator[datetime]:
    values: list[str] = [str(v) for v in tree.xpath(_META_DATE_XPATH)]
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        values.extend(_json_ld_dates(str(script)))
    for value in values:
        moment = _parse_date(value)
        if moment is not None:
            yield moment


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


def _page_language(tree: Any) -> str | None:
    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        found = tree.xpath(
            "//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')='content-language']/@content"
        )
        lang = str(found[0]) if found else None
    return lang.strip() or None if lang else None


def _html_title(tree: Any) -> str | None:
    title = tree.findtext(".//title")
    return " ".join(title.split()) or None if title else None
