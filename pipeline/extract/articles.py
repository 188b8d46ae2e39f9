"""Articles: page bytes in, article text and metadata out (trafilatura, readability as second opinion); pure, no I/O."""

from __future__ import annotations

import codecs
import functools
import hashlib
import itertools
import logging
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import trafilatura
from trafilatura.utils import load_html

from pipeline import figures
from pipeline.extract import dates
from pipeline.extract.body import article_body
from pipeline.records import Article, Precision

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

MIN_TEXT_CHARS = 200  # below this, what trafilatura finds is a teaser, a form or boilerplate, not an article...
# ...unless it states a figure of its feed's topic: the misreports this project exists to catch are often short posts
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)


@dataclass(frozen=True)
class PageInput:
    """One page to extract in a batch: the arguments of ``extract``."""

    body: bytes
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    feed_published: datetime | None = None
    fetched_at: datetime | None = None
    feed_precision: Precision | None = None
    topic: str | None = None


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """The page as text: BOM, then HTTP charset, then ``<meta charset>``, else UTF-8 with replacement.

    A declared charset that is unknown or cannot decode a web page (``idna``, ``undefined``...) is ignored, as
    browsers ignore it.
    """
    if body.startswith(codecs.BOM_UTF8):
        return body.decode("utf-8-sig", errors="replace")
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    header = _HEADER_CHARSET.search(content_type)
    meta = _META_CHARSET.search(body[:4096])
    for candidate in (header.group(1) if header else None, meta.group(1).decode("ascii") if meta else None):
        if candidate:
            try:
                return body.decode(codecs.lookup(candidate).name, errors="replace")
            except (LookupError, UnicodeError):
                log.debug("unusable charset %r", candidate)
    return body.decode("utf-8", errors="replace")


def extract(
    body: bytes,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    feed_published: datetime | None = None,
    fetched_at: datetime | None = None,
    feed_precision: Precision | None = None,
    topic: str | None = None,
) -> Article:
    """Extract the article in ``body``; a page without one gives ``status="no_article"`` and a reason.

    ``feed_precision`` says how much of ``feed_published`` the feed gave (default: the day). A text shorter than
    ``MIN_TEXT_CHARS`` is an article only when it states a figure of ``topic``. Any error extracting one page is that
    page's ``no_article`` reason, so the rest of a batch goes on.
    """
    sha256 = hashlib.sha256(body).hexdigest()
    try:
        return _extract(body, url, sha256, headers, feed_published, fetched_at, feed_precision, topic)
    except Exception as exc:  # a page that breaks the parser must not fail the stage and stay in the backlog
        log.warning("%s: extraction failed", url, exc_info=True)
        return failed(url, sha256, f"{type(exc).__name__}: {exc}")


def failed(url: str, body_sha256: str, why: str) -> Article:
    """The record of a page whose extraction failed: ``no_article``, with the error as its reason."""
    return Article(url, body_sha256, "no_article", "", reason=f"extraction failed: {why}"[:1000])


def _extract(
    body: bytes,
    url: str,
    sha256: str,
    headers: Mapping[str, str] | None,
    feed_published: datetime | None,
    fetched_at: datetime | None,
    feed_precision: Precision | None,
    topic: str | None,
) -> Article:
    """``extract``, raising whatever the parsers raise."""
    html = decode_html(body, headers) if body.strip() else ""
    tree = load_html(html) if html else None
    if tree is None:
        return Article(url, sha256, "no_article", "", reason="no article text found (empty or unreadable HTML)")
    meta: Any = trafilatura.extract_metadata(tree, url, dates.htmldate_params(fetched_at))
    body_text = article_body(tree, url, author=meta.author)
    feed_date = (feed_published, feed_precision or "day") if feed_published is not None else None
    candidates = [(feed_date, "feed"), *((d, "html-meta") for d in dates.meta_dates(tree))]
    candidates += [(dates.parse_date(meta.date) if meta.date else None, "htmldate"), (dates.url_date(url), "url")]
    published, source = dates.first_plausible(candidates, fetched_at)
    text = body_text.text
    reason = None
    if len(text) < MIN_TEXT_CHARS and not _states_a_figure(text, topic):
        reason = f"no article text found ({len(text)} characters of main text, fewer than {MIN_TEXT_CHARS})"
        log.info("%s: %s", url, reason)
    return Article(
        url=url,
        body_sha256=sha256,
        status="no_article" if reason else "ok",
        text="" if reason else text,
        title=meta.title or _html_title(tree),
        author=meta.author,
        published=published[0] if published else None,
        published_source=source,
        site_name=meta.sitename,
        language=meta.language or _page_language(tree),
        canonical_url=meta.url or url,
        extraction_method=body_text.method,
        reason=reason,
        published_precision=published[1] if published else None,
    )


def _states_a_figure(text: str, topic: str | None) -> bool:
    """Whether a short text states a figure of the topic (the engine finds one in it)."""
    return topic is not None and bool(text.strip()) and bool(figures.extract(text, topic=topic))


MIN_PARALLEL = 16  # fewer items than this are worked in-process: starting the workers would cost more


def across(work: Callable[[T], R], items: Iterable[T], *, workers: int, ahead: int = 0) -> Iterator[R]:
    """``work`` of each item, in order, as each is done, across ``workers`` processes (0: one per core; 1, fewer
    than ``MIN_PARALLEL`` items, or in a daemon process: in this one). ``items`` are taken as the workers need
    them, at most ``ahead`` items (and a few chunks) before the caller has what came back: the workers go on while
    the caller handles a batch (commits it), and neither the items nor the results are all in memory at once.
    Closing the iterator early cancels what is not started.

    Extraction is CPU-bound pure Python: threads would share one GIL, processes use the cores. The workers come
    from a forkserver that has imported the extractors once: forking the caller itself could copy a lock held by
    one of its threads (DuckDB's, a log handler's) into a child that then waits on it for ever.
    """
    workers = workers or os.cpu_count() or 1
    if workers > 1 and multiprocessing.current_process().daemon:
        log.info("a daemon process cannot start workers: extracting in this process")
        workers = 1
    rest = iter(items)
    head = list(itertools.islice(rest, 64 * workers))  # enough to size the chunks of a small backlog
    if workers <= 1 or len(head) < MIN_PARALLEL:
        yield from map(work, itertools.chain(head, rest))
        return
    size = max(1, min(16, len(head) // (4 * workers)))
    chunks = iter(functools.partial(_take, itertools.chain(head, rest), size), [])
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.extract.archived"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    window: deque[Future[list[R]]] = deque()
    try:
        for chunk in chunks:
            window.append(pool.submit(_each, work, chunk))
            if len(window) * size >= max(ahead, 4 * workers * size):
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _take(items: Iterator[T], size: int) -> list[T]:
    return list(itertools.islice(items, size))


def _each(work: Callable[[T], R], chunk: list[T]) -> list[R]:
    """One chunk's work, in a worker."""
    return [work(item) for item in chunk]


def extract_many(pages: Sequence[PageInput], *, workers: int = 1) -> list[Article]:
    """``extract`` for each page, in order, across ``workers`` processes (1: in this process)."""
    return list(across(_extract_one, pages, workers=workers))


def _extract_one(page: PageInput) -> Article:
    return extract(
        page.body,
        page.url,
        headers=page.headers,
        feed_published=page.feed_published,
        fetched_at=page.fetched_at,
        feed_precision=page.feed_precision,
        topic=page.topic,
    )


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
