"""Stories: one id for every copy of a piece of news, however many outlets or URLs publish it.

Two articles are one story when one's ``rel=canonical`` URL names the other (or both name the same URL), or when
the 64-bit SimHashes of their texts (over word 3-shingles) differ in at most ``max_distance`` bits: syndicated
wire copy with its own headline, byline or a trimmed paragraph still lands within a few bits, while two reports
of the same event in different words land 20 or more apart. Identical bodies (the same content hash) are distance 0.
Candidates are found through a band index (the 64 bits cut into ``max_distance + 1`` bands: two hashes within
the distance agree on at least one band), so assigning a batch does not compare it against every article ever read.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

import pandas as pd

from pipeline.fetch.urls import canonical_url
from pipeline.records import Article

log = logging.getLogger(__name__)

BITS = 64
SHINGLE = 3
MIN_WORDS = 12  # fewer words than this and two unrelated snippets may hash close: such texts match exactly only
WORD = re.compile(r"\w+", re.UNICODE)


def simhash(text: str) -> int:
    """The 64-bit SimHash (unsigned) of a text's lower-cased word 3-shingles."""
    words = WORD.findall(text.lower())
    shingles = [" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))]
    weights = [0] * BITS
    for shingle in shingles:
        h = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(BITS):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(BITS) if weights[bit] > 0)


def distance(a: int, b: int) -> int:
    """Bits in which two SimHashes differ."""
    return (a ^ b).bit_count()


def to_signed(value: int) -> int:
    """An unsigned 64-bit hash as the signed BIGINT the warehouse stores."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def story_id(url: str) -> str:
    """A new story's id, from the URL of the first article found telling it (stable across reruns)."""
    return "story-" + hashlib.sha256(url.encode()).hexdigest()[:16]


class _Index:
    """Known articles by band of their SimHash, and by URL and canonical URL."""

    def __init__(self, max_distance: int) -> None:
        self.max_distance = max_distance
        self.bands = max_distance + 1
        self.width = -(-BITS // self.bands)
        self.by_band: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
        self.by_url: dict[str, str] = {}

    def _keys(self, value: int) -> Iterable[tuple[int, int]]:
        mask = (1 << self.width) - 1
        return ((band, value >> (band * self.width) & mask) for band in range(self.bands))

    def add(self, urls: Iterable[str | None], value: int | None, story: str) -> None:
        for url in urls:
            if url:
                self.by_url.setdefault(url, story)
        if value is not None:
            for key in self._keys(value):
                self.by_band[key].append((value, story))

    def near(self, value: int) -> str | None:
        best: tuple[int, str] | None = None
        for key in self._keys(value):
            for other, story in self.by_band.get(key, ()):
                d = distance(value, other)
                if d <= self.max_distance and (best is None or (d, story) < best):
                    best = (d, story)
        return best[1] if best else None


def assign(
    known: Sequence[tuple[str, str | None, str, int]], found: Sequence[Article], *, max_distance: int
) -> pd.DataFrame:
    """Story ids for newly extracted articles, given (url, canonical_url, story_id, signed simhash) of those known.

    Returns a frame of url, story_id, text_simhash (signed) for ``found``, in URL order.
    """
    index = _Index(max_distance)
    mine = {a.url for a in found}
    for url, canonical, story, value in known:
        if url not in mine:  # an article extracted again is matched afresh, not against its old self
            index.add((url, canonical_url(canonical or "")), value % (1 << BITS), story)
    rows = []
    for article in sorted(found, key=lambda a: a.url):
        value = simhash(article.text)
        canonical = canonical_url(article.canonical_url or "")
        long_enough = len(WORD.findall(article.text)) >= MIN_WORDS
        story = (
            index.by_url.get(canonical or "")
            or index.by_url.get(article.url)
            or (index.near(value) if long_enough else None)
            or story_id(article.url)
        )
        index.add((article.url, canonical), value if long_enough else None, story)
        rows.append({"url": article.url, "story_id": story, "text_simhash": to_signed(value)})
    stories = len({r["story_id"] for r in rows})
    if rows:
        log.info("%d articles are %d stories", len(rows), stories)
    return pd.DataFrame(rows, columns=["url", "story_id", "text_simhash"]).astype(
        {"url": "string", "story_id": "string", "text_simhash": "int64"}
    )
