"""Pages: fetch each entry's URL, keep what came back in the raw archive, log one ``Page`` row per fetch."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import httpx

from pipeline.errors import FetchError
from pipeline.fetch import archive
from pipeline.fetch.http import client, get
from pipeline.fetch.politeness import Politeness, host_of
from pipeline.records import Page, Response
from pipeline.settings import Settings

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


def media_type(content_type: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type header ("" when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _looks_like_html(body: bytes) -> bool:
    start = body[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _refusal(response: Response) -> str | None:
    """Why a fetched response holds no usable page, or None when it does."""
    if response.status >= 400:
        return f"HTTP {response.status}"
    if not 200 <= response.status < 300:
        return f"HTTP {response.status} is not a page"
    kind = media_type(response.headers.get("content-type"))
    if kind not in HTML_TYPES and not (kind == "" and _looks_like_html(response.body)):
        return f"content type {kind or 'missing'!r} is not HTML"
    if not response.body.strip():
        return "empty body"
    return None


async def fetch(
    http: httpx.AsyncClient,
    url: str,
    *,
    archive_root: archive.Location,
    max_bytes: int,
    polite: Politeness | None = None,
) -> tuple[Page, Response | None]:
    """GET ``url`` (politely, when given ``polite``) and archive it; failures come back as ``Page(error=...)``.

    Only a failure to write the archive (a disk problem, not the page's) raises.
    """
    try:
        if polite is None:
            response = await get(http, url, max_bytes=max_bytes)
        else:
            response = await polite.get(http, url, max_bytes=max_bytes)
    except FetchError as exc:
        log.warning("page %s failed: %s", url, exc.reason)
        failed = Page(url, url, datetime.now(UTC), exc.status, None, None, 0, error=exc.reason)
        return failed, None
    content_type = response.headers.get("content-type")
    refusal = _refusal(response)
    if refusal is not None:
        log.warning("page %s refused: %s", url, refusal)
        page = Page(
            url,
            response.final_url,
            response.fetched_at,
            response.status,
            content_type,
            None,
            len(response.body),
            error=refusal,
        )
        return page, None
    sha256 = await asyncio.to_thread(archive.write, archive_root, response)
    page = Page(
        url=url,
        final_url=response.final_url,
        fetched_at=response.fetched_at,
        status=response.status,
        content_type=content_type,
        body_sha256=sha256,
        size=len(response.body),
    )
    return page, response


async def fetch_all(
    http: httpx.AsyncClient,
    urls: Sequence[str],
    *,
    archive_root: archive.Location,
    max_bytes: int,
    concurrency: int,
    polite: Politeness | None = None,
) -> list[tuple[Page, Response | None]]:
    """Fetch every URL, at most ``concurrency`` at a time (per host: as ``polite`` says); in the order of ``urls``."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(url: str) -> tuple[Page, Response | None]:
        async with gate:
            return await fetch(http, url, archive_root=archive_root, max_bytes=max_bytes, polite=polite)

    results = list(await asyncio.gather(*(one(url) for url in urls)))
    failed = sum(1 for page, _ in results if page.error)
    log.info("fetched %d pages, %d failed", len(results) - failed, failed)
    return results


def in_turns(urls: Sequence[str]) -> list[str]:
    """The URLs host by host in turn, each host's in their order: ``a1 a2 a3 b1`` is ``a1 b1 a2 a3``.

    Politeness spaces and limits each host's requests; a batch of one host's pages would wait on that host alone
    while the others' sat in later batches.
    """
    by_host: defaultdict[str, list[str]] = defaultdict(list)
    for url in urls:
        try:
            by_host[host_of(url)].append(url)
        except httpx.InvalidURL:  # fetching it fails with its reason; its place in the order does not matter
            by_host[""].append(url)
    return [url for turn in itertools.zip_longest(*by_host.values()) for url in turn if url is not None]


def fetch_pages(settings: Settings, urls: Sequence[str], *, batch: int) -> Iterator[list[Page]]:
    """Fetch and archive every URL politely through one configured client, ``batch`` URLs at a time, hosts taking
    turns (``in_turns``): one ``Page`` each, a list per batch (the caller commits each, so memory stays flat and a
    dead run keeps its work)."""
    if not urls:
        return
    urls = in_turns(urls)
    with asyncio.Runner() as runner:  # one event loop for the client and the politeness state across batches
        http = client(settings)
        polite, store = Politeness(settings), archive.store(settings)
        try:
            for start in range(0, len(urls), max(1, batch)):
                fetched = fetch_all(
                    http,
                    urls[start : start + batch],
                    archive_root=store,
                    max_bytes=settings.max_body_bytes,
                    concurrency=settings.fetch_concurrency,
                    polite=polite,
                )
                yield [page for page, _ in runner.run(fetched)]  # the bodies are in the archive: drop them here
        finally:
            runner.run(http.aclose())
