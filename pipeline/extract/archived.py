"""Pages from the raw archive to articles: the extract stage's work, for new pages and for reprocessing alike."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from pipeline.extract import articles
from pipeline.fetch import archive
from pipeline.records import Article, Precision

log = logging.getLogger(__name__)


class Pending(NamedTuple):
    """A fetched page to extract: where its body is archived and what its feed said of it."""

    url: str
    body_sha256: str
    fetched_at: datetime
    feed_published: datetime | None
    feed_precision: Precision | None
    topic: str


def extract_all(archive_dir: archive.Location, pending: Sequence[Pending]) -> list[Article]:
    """The article of each pending page still archived; an unreadable archive file is that page's failure only."""
    found = []
    for page in pending:
        if not archive.exists(archive_dir, page.body_sha256):  # pruned by the archive's retention
            log.warning(
                "page %s is no longer archived (%s): refetch it to extract it again", page.url, page.body_sha256
            )
            continue
        try:
            response = archive.read(archive_dir, page.body_sha256)
        except Exception as exc:  # one unreadable archive file is that page's failure, not the stage's
            log.warning("page %s: archived body %s unreadable: %s", page.url, page.body_sha256, exc)
            reason = f"archived body unreadable: {type(exc).__name__}: {exc}"
            found.append(articles.failed(page.url, page.body_sha256, reason))
            continue
        found.append(
            articles.extract(
                response.body,
                page.url,
                headers=response.headers,
                feed_published=page.feed_published,
                fetched_at=page.fetched_at,
                feed_precision=page.feed_precision,
                topic=page.topic,
            )
        )
    return found
