"""Choose, per page, between trafilatura's text and readability's, by how much each contains of the other."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
SHORT_CHARS = 300  # below this a candidate is a teaser or a fragment, not an article body
SUBSET = 0.97  # share of readability's 4-grams found in trafilatura's: readability kept the same body, less around it
TRUNCATED_SUBSET = 0.9  # share of trafilatura's 4-grams found in readability's, when readability is much longer
TRUNCATED_RATIO = 2.0  # readability at least this many times longer: trafilatura stopped inside the article


@dataclass(frozen=True)
class Extraction:
    """The body text chosen for a page and which extractor produced it."""

    text: str
    method: str


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Word n-grams of ``text`` as a multiset (the benchmark's unit of overlap)."""
    words = _WORD.findall(text.lower())
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def contained(part: Counter[tuple[str, ...]], whole: Counter[tuple[str, ...]]) -> float:
    """Share of ``part``'s shingles also in ``whole`` (0 when ``part`` is empty)."""
    total = sum(part.values())
    return sum((part & whole).values()) / total if total else 0.0


def choose(trafilatura_text: str, readability_text: str) -> Extraction:
    """The better body of the two, by a rule on lengths and mutual containment."""
    ours, theirs = trafilatura_text, readability_text
    if len(theirs) < SHORT_CHARS or not theirs:
        return Extraction(ours, "trafilatura")
    if len(ours) < SHORT_CHARS:
        return Extraction(theirs, "readability")
    ours_sh, theirs_sh = shingles(ours), shingles(theirs)
    # both found the same body and readability has nothing else: trafilatura's extra lines are page furniture
    if len(theirs) < len(ours) and contained(theirs_sh, ours_sh) >= SUBSET:
        return Extraction(theirs, "readability")
    # readability holds all of trafilatura's text and much more: trafilatura cut the article short
    if len(theirs) >= TRUNCATED_RATIO * len(ours) and contained(ours_sh, theirs_sh) >= TRUNCATED_SUBSET:
        return Extraction(theirs, "readability")
    return Extraction(ours, "trafilatura")
