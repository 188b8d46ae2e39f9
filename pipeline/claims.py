"""Where each figure of an article stands (headline or body), and which figures restate a claim already counted.

Extractors keep a headline that sits inside the article element as the text's first line, so a headline repeating
the lead states its figure twice; articles name a figure again too ("Of the 196, 164 were women"). Every mention is
kept; a restatement points at the mention that counts (``repeats_figure_no``) so that the marts count the claim once.
A claim only the headline states counts as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.records import Figure, Section

HEADLINE_LINES = 3  # the headline is among the first lines: a kicker ("World News") may come before it
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—-]|::)\s+")  # "Headline | Outlet", "Headline - Outlet"
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_EDGE = " \t.!?:;,'\""


def headline_span(text: str, title: str | None) -> tuple[int, int] | None:
    """The offsets in ``text`` of the line that is the article's headline (its ``title``); None if it has none."""
    if not title or not _norm(title):
        return None
    whole = _norm(title)
    pieces = {p for p in (_norm(piece) for piece in _TITLE_SEPARATOR.split(title)) if len(p.split()) >= 3}
    start = 0
    for line in text.split("\n")[:HEADLINE_LINES]:
        line_text = _norm(line)
        if line_text and (line_text == whole or line_text in pieces):
            return start, start + len(line)
        start += len(line) + 1
    return None


def claim(figure: Figure) -> tuple[object, ...]:
    """What a figure claims, whatever its wording: a headline's "196" and the lead's "a total of 196" are one claim.

    The hedge is left out: headlines drop "around" and "nearly" that the lead states.
    """
    return (
        figure.kind,
        figure.value,
        figure.low,
        figure.high,
        figure.metric,
        figure.sense,
        figure.subgroup,
        figure.year,
        figure.period,
    )


def sections(found: Sequence[Figure], headline: tuple[int, int] | None) -> list[Section]:
    """Each figure's section: ``headline`` when its span lies in the headline line, else ``body``."""
    return [
        "headline" if headline is not None and headline[0] <= f.start and f.end <= headline[1] else "body"
        for f in found
    ]


def repeats(found: Sequence[Figure], where: Sequence[Section]) -> list[int | None]:
    """For each figure that restates a claim of its article, the ``figure_no`` (from 1) of the mention that counts:
    the first in the body ("Of the 196, 164 were women" restates the lead's 196; so does a headline repeating it),
    or the first in the headline for a claim only the headline states. None for that mention itself, and for a
    ratio or percent in the body: "almost tripling" and "almost three times the 278 of 2022" compare with their own
    bases, so each sentence keeps its row."""
    counted: dict[tuple[object, ...], int] = {}
    for section in ("body", "headline"):
        for number, (figure, placed) in enumerate(zip(found, where, strict=True), start=1):
            if placed == section:
                counted.setdefault(claim(figure), number)
    return [
        None
        if counted[claim(figure)] == number or (placed == "body" and figure.kind != "count")
        else counted[claim(figure)]
        for number, (figure, placed) in enumerate(zip(found, where, strict=True), start=1)
    ]


def _norm(text: str) -> str:
    return " ".join(text.translate(_QUOTES).casefold().split()).strip(_EDGE)
