"""Anchor each figure of a sentence to the time it refers to: the year and sub-year period."""

from __future__ import annotations

import re

from pipeline.figures.timeref import PERIOD_KINDS, When

IGNORED = frozenset(("since", "paren", "open", "name"))
_JOINED = re.compile(r"\s*(?:and|or|,)\s*")
# The base of a change ("up from 67 in 2022", "three times 2022's", "half the level of 2011", "since the 2009 peak")
_BASE = re.compile(
    r"\b(?:as|than|from|over|compared with|compared to|against|versus|vs\.?|on|of|times(?: those| that)?"
    r"|since(?: the)?)"
    r"(?:\s+[0-9][0-9,.]*)?(?:\s+in)?(?:\s+the)?\s*$"
    r"|\b(?:peak|record|high|low|level)\s+(?:[a-z]+\s+)?(?:in|of)\s*$",  # "half the peak logged in 2009"
    re.I,
)
# "almost triple the previous year's 67": the base, when the time is "the previous year"
_BASE_MULTIPLE = re.compile(r"\b(?:triple|double|twice|thrice|quadruple|half)\s*$", re.I)
_THE_MULTIPLE = re.compile(r"\b(?:triple|double|twice|thrice|quadruple|half)\s+the\s+$", re.I)
# the figure's noun phrase, then a comma: an aside before its verb (not a comparison: "ten more than those who ...,")
_ASIDE = re.compile(r"(?![^,;.]*\b(?:than|who|which|that)\b)[^,;.]{0,40},", re.I)
_SINCE = re.compile(r"\bsince\s+$", re.I)
_TO = re.compile(r"\s*,?\s*to\s+(?:[a-z]+\s+)?", re.I)
_AGAINST = re.compile(
    r"\b(?:from|than|compared\s+(?:with|to)|against|versus)\s+(?:[\w.,%-]+\s+){0,3}?(?:in\s+)?(?:the\s+)?$", re.I
)
_THAN = re.compile(r"\b(?:than|compared with|compared to)\s+(?:those|the|in)\b[^,.;]{0,40}$", re.I)
_WHEN_YEAR = re.compile(
    r"\b((?:19|20)[0-9]{2}),?\s+when\s+(?:[a-z]+\s+){0,3}?(?:about|around|some|just|only|nearly)?\s*$", re.I
)
_YEARS = frozenset(("year", "rel", "spoken"))
_CLAUSE = re.compile(r"[,;(—]|\band\b")
_OF = re.compile(r"\s*(?:of\s+)?")
_TURN = re.compile(r"[,;]\s*(?:but|while|whereas|yet)\b|;", re.I)  # a new clause with a figure of its own


def _combined(text: str, after: list[When]) -> When | None:
    """Two time words that name one time: "last year's ... first quarter", "first half of twenty twenty-two"."""
    if len(after) < 2:
        return None
    a, b = after[0], after[1]
    gap = text[a.end : b.start]
    if _JOINED.fullmatch(gap) and a.kind in _YEARS | {"span"} and b.kind in _YEARS | {"span"}:
        return When(a.start, b.end, "years", None)  # "in 2010 and 2011": spans years
    if a.kind in _YEARS and b.kind in PERIOD_KINDS and not _CLAUSE.search(gap):
        return When(a.start, b.end, b.kind, a.year, b.period)
    if a.kind in PERIOD_KINDS and b.kind in _YEARS and _OF.fullmatch(gap):
        return When(a.start, b.end, a.kind, b.year, a.period)
    return None


def _is_base(before: str, w: When, wider: str = "") -> bool:
    """Whether the time dates the base of a comparison ("up from 67 in 2022", "ten more than those who arrived in
    2017"), not the figure."""
    if _BASE.search(before) is not None or _THAN.search(wider) is not None:
        return True
    if _THE_MULTIPLE.search(before) is not None:  # "half the 2009 peak", "twice the 2022 level"
        return True
    return w.kind == "prev" and _BASE_MULTIPLE.search(before) is not None


def pick(
    text: str,
    spans: list[tuple[int, int]],
    k: int,
    times: list[When],
    change: bool,
    context: When | None,
    difference: bool = False,
) -> When | None:
    """The time figure ``k`` (of the sentence's figure ``spans``) refers to: the first after it in its clause,
    else the nearest before (not a base's: "fell from a year earlier to 84"), else a year later in the sentence that
    is no other figure's ("a third of defectors ..., a 2016 study found"), else the article's latest year, else any
    after. Open stretches ("before 2016") and names ("the 2018 Olympics") date nothing; an era anchors with no year.

    A change refers to its later year, so for changes the base year ("as many as in 2022", "half the 2009 peak") is
    skipped; over a span it refers to the span's last year, a difference (``difference``) to the whole span.
    """
    # "since 1998", "since nineteen ninety-eight" start a span; they do not date the figure
    usable = [w for w in times if w.kind not in IGNORED and not _SINCE.search(text[max(0, w.start - 8) : w.start])]
    if change:
        # the base year is skipped ("up from 67 a year earlier"); "a 20% jump the previous year" is not a base
        usable = [
            w
            for w in usable
            if not _is_base(text[max(0, w.start - 24) : w.start], w, text[max(0, w.start - 60) : w.start])
        ]
        # "jumped four-fold between 2001 and 2009": a change over a span refers to its last year; a difference
        # counts over it ("six more in the following two years")
        usable = (
            usable
            if difference
            else [
                When(w.start, w.end, "year", int(w.period[-4:])) if w.kind == "span" and w.period else w for w in usable
            ]
        )
    if any(
        w.kind in ("span", "pastspan", "until", "decade") for w in usable
    ):  # "1,200 a year between 2012 and 2019": the span says more
        usable = [w for w in usable if w.kind not in ("each", "annual")]
    start, end = spans[k]
    recalled = _WHEN_YEAR.search(text, max(0, start - 60), start)
    if recalled is not None:  # "the lowest level since 2001, when 1,043 arrived"
        return When(recalled.start(1), recalled.end(1), "year", int(recalled.group(1)))
    labelled = [
        w for w in usable if w.kind in _YEARS and 0 <= start - w.end <= 2 and text[w.end : start].strip() == ":"
    ]
    if labelled:  # "2000: 312", a year's line of a table
        return labelled[0]
    limit = spans[k + 1][0] if k + 1 < len(spans) else None
    after = [w for w in usable if w.start >= end and (limit is None or w.end <= limit)]
    gap = text[end : after[0].start] if after else ""
    if after and (not any(c in gap for c in ",;(—") or gap.strip() == "("):  # "2,402 (2010)"
        return _combined(text, after) or after[0]
    # "fell 15 percent from a year earlier to 84": the base's time, before the figure, is not the figure's
    # "fell 15 percent from a year earlier to 84": the base's time, just before "to" and the figure, is not its time
    before = [
        w
        for w in usable
        if w.end <= start
        and not (_AGAINST.search(text, max(0, w.start - 24), w.start) and _TO.fullmatch(text, w.end, start))
    ]
    if before:
        return before[-1]
    if after and _ASIDE.match(text, end) is not None:
        # "About 10 elite defectors, among them diplomats, ..., entered last year": the verb, and its time, come
        # after an aside
        return after[0]
    # "fell 77 percent to 31 in the first quarter", "181 – 159 women and 22 men – entered in 2024": a later time,
    # unless a new clause turns to a figure of its own ("over 60 percent ... before 2016, but 72 percent between")
    turn = limit is not None and not change and _TURN.search(text, end, limit) is not None
    later = [w for w in usable if w.start >= end and (not turn or limit is None or w.end <= limit)]
    own = later and later[0].kind in _YEARS and later[0].year is not None and not change
    own = own and (limit is None or later[0].end <= limit)  # "a quarter of the 1,047 who came in 2019": the 1,047's
    if own and not _is_base(text[max(0, later[0].start - 24) : later[0].start], later[0]):
        return later[0]  # "almost a third of defectors ..., a 2016 study found": the sentence's year, not the article's
    if context is not None:
        return context
    return later[0] if later else None


def respectively(
    sentence: str, spans: list[tuple[int, int]], times: list[When], base: int = 0
) -> list[When | None] | None:
    """For "X and Y in 2020 and 2021, respectively" (or "the figures for 2020 and 2021 were X and Y,
    respectively"): the time of each figure, in order; None for figures outside the paired list."""
    if "respectively" not in sentence.lower() or len(spans) < 2:
        return None
    points = [w for w in times if w.kind not in IGNORED and w.start > spans[0][1]]
    if len(points) == len(spans):
        return list(points)
    before = [w for w in times if w.kind not in IGNORED and w.end <= spans[0][0]]
    if len(before) == len(spans):
        return list(before)
    # "In 2021 and 2022 the figure held in the double digits, at 63 and 67, respectively": the times before the
    # list pair with the figures listed just before "respectively"
    at = base + sentence.lower().find("respectively")
    listed = [k for k, (a, _) in enumerate(spans) if a < at]
    if 2 <= len(before) < len(spans) and len(listed) >= len(before):
        paired: list[When | None] = [None] * len(spans)
        for k, w in zip(listed[-len(before) :], before, strict=True):
            paired[k] = w
        return paired
    return None
