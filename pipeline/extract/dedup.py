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
import itertools
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
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
    digests = b"".join(hashlib.blake2b(shingle.encode(), digest_size=8).digest() for shingle in shingles)
    hashes = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    bits = (hashes[:, None] >> np.arange(BITS, dtype=np.uint64)) & np.uint64(1)  # one row per shingle
    weights = 2 * bits.sum(axis=0, dtype=np.int64) - len(shingles)  # per bit: shingles with it set minus without
    return sum(1 << int(bit) for bit in np.flatnonzero(weights > 0))


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
    """Known articles by band of their SimHash, and by URL and canonical URL; each entry knows its article's URL,
    so an article extracted again is matched afresh, not against its old self.

    An entry is a position in three arrays (its hash, story and article URL), and the band and URL maps hold
    positions: a few hundred bytes an article, where a tuple per band and per URL cost a kilobyte (the index
    holds every story the warehouse knows, for the whole extract stage). The bands are as even as the bits allow
    (7 bands of 64 bits: 9 or 10 each; a narrow last band put an article in a bucket with one in 16 of all), and
    the candidates a band finds are measured at once (numpy), not one by one.
    """

    def __init__(self, max_distance: int) -> None:
        self.max_distance = max_distance
        self.bands = max_distance + 1
        self.edges = [BITS * band // self.bands for band in range(self.bands + 1)]
        self.values = np.zeros(1024, dtype=np.uint64)  # the first len(owners) are in use
        self.stories: list[str] = []
        self.owners: list[str] = []
        self.by_band: defaultdict[int, list[int]] = defaultdict(list)  # band and its bits, as one int: entries
        self.by_url: defaultdict[str, list[int]] = defaultdict(list)

    def _keys(self, value: int) -> Iterable[int]:
        for band, (low, high) in enumerate(itertools.pairwise(self.edges)):
            yield (value >> low & (1 << (high - low)) - 1) << 7 | band  # 7 bits hold any band number up to 64

    def add(self, owner: str, urls: Iterable[str | None], value: int | None, story: str) -> None:
        entry = len(self.owners)
        if entry == len(self.values):
            self.values = np.concatenate([self.values, np.zeros_like(self.values)])
        self.values[entry] = value or 0
        self.stories.append(story)
        self.owners.append(owner)
        for url in dict.fromkeys(url for url in urls if url):  # an article's URL is most often its canonical one
            self.by_url[url].append(entry)
        if value is not None:
            for key in self._keys(value):
                self.by_band[key].append(entry)

    def named(self, url: str | None, owner: str) -> str | None:
        """The story of the first other article known by ``url`` (its URL or canonical URL)."""
        return next((self.stories[e] for e in self.by_url.get(url or "", ()) if self.owners[e] != owner), None)

    def near(self, value: int, owner: str) -> str | None:
        """The story of the nearest other article within the distance (the smaller story id on a tie)."""
        found = list(itertools.chain.from_iterable(self.by_band.get(key, ()) for key in self._keys(value)))
        if not found:
            return None
        entries = np.unique(np.array(found, dtype=np.int64))
        bits = np.bitwise_count(self.values[entries] ^ np.uint64(value))
        near = bits <= self.max_distance
        pairs = zip(entries[near].tolist(), bits[near].tolist(), strict=True)
        best = min(((d, self.stories[e]) for e, d in pairs if self.owners[e] != owner), default=None)
        return best[1] if best else None


class Stories:
    """The stories known, indexed once per stage and grown as each batch of new articles is assigned."""

    def __init__(self, known: Iterable[tuple[str, str | None, str, int]], *, max_distance: int) -> None:
        """``known``: (url, canonical_url, story_id, signed simhash) of the articles already assigned."""
        self.index = _Index(max_distance)
        for url, canonical, story, value in known:
            self.index.add(url, (url, canonical_url(canonical or "")), value % (1 << BITS), story)

    def assign(self, found: Sequence[Article]) -> pd.DataFrame:
        """Story ids for newly extracted articles: a frame of url, story_id, text_simhash (signed), in URL order."""
        index, rows = self.index, []
        for article in sorted(found, key=lambda a: a.url):
            value = simhash(article.text)
            canonical = canonical_url(article.canonical_url or "")
            long_enough = len(WORD.findall(article.text)) >= MIN_WORDS
            story = (
                index.named(canonical, article.url)
                or index.named(article.url, article.url)
                or (index.near(value, article.url) if long_enough else None)
                or story_id(article.url)
            )
            index.add(article.url, (article.url, canonical), value if long_enough else None, story)
            rows.append({"url": article.url, "story_id": story, "text_simhash": to_signed(value)})
        if rows:
            log.info("%d articles are %d stories", len(rows), len({r["story_id"] for r in rows}))
        return pd.DataFrame(rows, columns=["url", "story_id", "text_simhash"]).astype(
            {"url": "string", "story_id": "string", "text_simhash": "int64"}
        )


def assign(
    known: Sequence[tuple[str, str | None, str, int]], found: Sequence[Article], *, max_distance: int
) -> pd.DataFrame:
    """Story ids for newly extracted articles, given (url, canonical_url, story_id, signed simhash) of those known."""
    return Stories(known, max_distance=max_distance).assign(found)
