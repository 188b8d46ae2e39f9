"""Split article text into sentences, keeping character offsets into the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Bounded so that one unpunctuated 200 KB blob never becomes one sentence scanned once per number.
MAX_SENTENCE = 1200

_ABBREVIATIONS = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mr",
        "mrs",
        "ms",
        "dr",
        "no",
        "nos",
        "st",
        "vs",
        "etc",
        "approx",
        "gen",
        "lt",
        "col",
        "sgt",
        "corp",
        "inc",
        "co",
        "jr",
        "sr",
        "rep",
        "sen",
        "gov",
        "prof",
        "est",
        "fig",
        "vol",
        "pp",
        "ph",
    ]
)
_NUMBER_WORD = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|and)"
)
# A sentence that is only a number ("Sixty-three."), as broadcast copy opens a report.
_FRAGMENT = re.compile(rf"(?:[0-9][0-9,]*|{_NUMBER_WORD}(?:[- ]{_NUMBER_WORD}){{0,8}})(?=[.!]\s)", re.I)
_END = re.compile(r"[.!?]+(?:\[[0-9]{1,3}\])*[\"'”’)\]]*(?=\s)|\n\s*")  # "...the 1990s.[1] Among"
_WORD_BEFORE = re.compile(r"\b([A-Za-z]+)\.?$")  # "1990s." ends a sentence; "U.S." does not


@dataclass(frozen=True)
class Sentence:
    """A sentence: its text and where it sits in the input."""

    start: int
    end: int
    text: str


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the period ending at ``stop`` closes an abbreviation such as "Feb." or "U.S."."""
    if text[stop - 1] != ".":
        return False
    head = text[max(0, stop - 12) : stop - 1]
    match = _WORD_BEFORE.search(head)
    if match is None:
        return False
    word = match.group(1)
    return len(word) == 1 or word.lower() in _ABBREVIATIONS


def _chunks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut an over-long stretch at whitespace so no piece exceeds MAX_SENTENCE characters."""
    pieces = []
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def fragment_end(sentence: str) -> int | None:
    """Where the number ends if ``sentence`` opens with a number standing alone as a sentence, else None."""
    match = _FRAGMENT.match(sentence)
    return match.end() if match else None


def split(text: str, *, join_fragments: bool = False) -> list[Sentence]:
    """The sentences of ``text`` in order; line breaks always end a sentence (headlines, subheads).

    ``join_fragments``: a sentence that is only a number is joined to the next one, which says what it counts.
    """
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        stop = match.end()
        if match.group().startswith((".", "!", "?")):
            nxt = text[stop : stop + 3].lstrip()
            if _is_abbreviation(text, match.start() + 1) or (nxt and nxt[0].islower()):
                continue
        bounds.append((start, stop))
        start = stop
    bounds.append((start, len(text)))
    sentences = []
    for lo, hi in bounds:
        while lo < hi and text[lo].isspace():
            lo += 1
        while hi > lo and text[hi - 1].isspace():
            hi -= 1
        for a, b in _chunks(text, lo, hi) if hi > lo else []:
            sentences.append(Sentence(a, b, text[a:b]))
    if join_fragments:
        sentences = _join_fragments(sentences, text)
    return sentences


def _join_fragments(found: list[Sentence], text: str) -> list[Sentence]:
    joined: list[Sentence] = []
    for sent in found:
        prev = joined[-1] if joined else None
        if (
            prev is not None
            and fragment_end(prev.text + " ") == len(prev.text) - 1
            and "\n" not in text[prev.end : sent.start]  # same paragraph: not a numbered heading
            and sent.end - prev.start <= MAX_SENTENCE
        ):
            joined[-1] = Sentence(prev.start, sent.end, text[prev.start : sent.end])
        else:
            joined.append(sent)
    return joined
