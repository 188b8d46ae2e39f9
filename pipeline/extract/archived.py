"""Pages from the raw archive to articles: the extract stage's work, for new pages and for reprocessing alike."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import partial
from typing import NamedTuple

from pipeline.extract import articles
from pipeline.fetch import archive
from pipeline.records import Article, Precision
from pipeline.settings import Settings

log = logging.getLogger(__name__)


class Pending(NamedTuple):
    """A fetched page to extract: where its body is archived and what its feed said of it."""

    url: str
    body_sha256: str
    fetched_at: datetime
    feed_published: datetime | None
    feed_precision: Precision | None
    topic: str


def extract_batches(settings: Settings, pending: Iterable[Pending]) -> Iterator[list[Article]]:
    """The article of each pending page still archived, a batch (``batch_size``) at a time, read and extracted
    across ``extract_workers`` processes (0: one per core), the next batch's while the caller handles one; an
    unreadable archive file is that page's failure only. ``pending`` is read as the workers need it."""
    batch, archived = settings.batch_size, archive.store(settings)
    done = articles.across(partial(_extract_pending, archived), pending, workers=settings.extract_workers, ahead=batch)
    while batch_of := list(itertools.islice(done, max(1, batch))):  # the workers go on while a batch commits
        yield [found for found in batch_of if found is not None]


def _extract_pending(archive_dir: archive.Location, page: Pending) -> Article | None:
    """One page's article (in a worker process): None if its body is no longer archived."""
    if not archive.exists(archive_dir, page.body_sha256):  # pruned by the archive's retention
        log.warning("page %s is no longer archived (%s): refetch it to extract it again", page.url, page.body_sha256)
        return None
    try:
        response = archive.read(archive_dir, page.body_sha256)
    except Exception as exc:  # one unreadable archive file is that page's failure, not the stage's
        log.warning("page %s: archived body %s unreadable: %s", page.url, page.body_sha256, exc)
        return articles.failed(page.url, page.body_sha256, f"archived body unreadable: {type(exc).__name__}: {exc}")
    return articles.extract(
        response.body,
        page.url,
        headers=response.headers,
        feed_published=page.feed_published,
        fetched_at=page.fetched_at,
        feed_precision=page.feed_precision,
        topic=page.topic,
    )
