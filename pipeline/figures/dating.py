"""When a figure is: its year and period, from its own time anchor or, failing that, from what its metric implies.

Rules, first that applies decides (the name is kept on the figure for ``--explain``):

1. ``span``: "since 2020", "since last year" for a count that is not a running total, or for a statistic said to
   have held since then ("since Kim Jong-un took power in 2012, the annual number has ranged between"): the years
   from then to the last year publication covers ("2020-2025", "2012-2019"), no single year.
2. ``anchor``: a time expression anchors the figure (its own clause first, see ``anchor.pick``): its year and period.
   A running total has no period ("24,193 as of the end of September" is that year's total), nor has an event's
   "last month", nor a month the figure was told in ("put the number at 60 in November"). ``so-far``: a period
   statistic of the publication year itself, told as done ("444 in 2015", published July 2015), covers January to
   the last full month.
3. ``none``: a one-off count spread over decades ("interviews over the past two decades").
4. ``context``: a difference with no time of its own is the year being compared ("only ten more than in 2017").
5. ``published``: a running total, or a one-off count with no time of its own that the sentence puts in the present,
   the future or on the day of the story, is as of publication ("is home to 34,000"; "ten arrived today").
   ``past``: a one-off count told in the past with no time ("three friends were executed") has none.
6. ``context``: a period statistic with no time of its own takes the year the article is talking about.
7. ``none``: nothing fixes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.figures.measure import PERIODIC, event
from pipeline.figures.timeref import When, so_far
from pipeline.figures.vocab import Vocabulary
from pipeline.records import Published

_SINCE = re.compile(
    r"\bsince\s+(?:(?:the\s+start\s+of\s+|(?P<late>late\s+))?(?P<year>(?:19|20)[0-9]{2})|(?P<rel>last\s+year)"
    r"|(?:[\w'’-]+\s+){1,8}?(?:in\s+)?(?P<late2>late\s+)?(?P<year2>(?:19|20)[0-9]{2}))\b",
    re.I,
)
# A statistic said to have held over the years since then: "has ranged between", "has averaged", "had arrived since"
_OVER_YEARS = re.compile(
    r"\b(?:has|have|had)\s+(?:\w+\s+){0,2}?(?:ranged|averaged|arrived|doubled|tripled|hovered|"
    r"stayed|remained|fallen|risen|grown|declined|halved|come|entered|exceeded|topped|surpassed)\b",
    re.I,
)
# Expressions that spread a figure over many years: no single year fits it.
_MANY_YEARS = re.compile(
    r"\b(?:over|in|during|for)\s+the\s+(?:past|last)\s+(?:two|three|four|five|six|seven|eight|nine|ten|several|[0-9]+)"
    r"\s+(?:decades|years)\b|\b(?:before|after)\s+(?:19|20)[0-9]{2}\b|\bdecades\b",
    re.I,
)


_PRESENT = re.compile(
    r"\b(?:is|are|am|has|have|now|currently|still|remains?|lives?|living|faces?|facing|keeps?|holds?|holding|"
    r"provides?|gets?|deserves?|includes?|stands?|number|numbers|escape|await|awaits|continues?|is being|are being|"
    r"will|would|may be|might be)\b",
    re.I,
)


# The month a figure was told in, not the month it counts (ruling 7)
_TOLD_IN = re.compile(
    r"\b(?:put|puts|putting|placed|places)\s+the\s+(?:number|figure|total|tally|count)\s+at\b[^.;]{0,40}\bin\s+[A-Z][a-z]+\b"
    r"|\b(?:reported|said|announced|stated)\s+in\s+[A-Z][a-z]+\s+that\b"
)
_MODAL = re.compile(r"\b(?:will|would|could|might|may|expect\w*|forecast\w*|project\w*|likely|if|should)\b", re.I)


def _so_far(when: When, clause: str, sentence: str, published: Published | None) -> bool:
    """Whether a count of the publication year, told as done, covers only the months already past."""
    current = published is not None and published.month is not None and when.year == published.year
    return current and when.kind in ("year", "rel") and _MODAL.search(sentence) is None


@dataclass(frozen=True)
class Dated:
    """A figure's year and period, and the rule that set them."""

    year: int | None
    period: str | None
    rule: str


def _span(since: re.Match[str], published: Published) -> str:
    """The years from "since ..." to the last year publication covers: "2020-2025", "2012-2019"."""
    if since.group("rel"):
        start = published.year - 1
    else:
        start = int(since.group("year") or since.group("year2"))
        start += 1 if since.group("late") or since.group("late2") else 0  # "since late 2011": from 2012
    end = published.year if published.month is None or published.month >= 7 else published.year - 1
    return f"{start}-{max(start, end)}"


def date(
    metric: str,
    when: When | None,
    clause: str,
    published: Published | None,
    vocab: Vocabulary,
    sentence: str = "",
    difference: bool = False,
) -> Dated:
    """The year and period of a figure of ``metric`` anchored to ``when`` (None: no time at all)."""
    total = metric == vocab.total_metric
    own = when is not None and when.kind in PERIODIC and (when.year is not None or when.period is not None)
    statistic = metric == vocab.default_metric and _OVER_YEARS.search(clause) is not None
    since = _SINCE.search(sentence if statistic else clause) if not total and published is not None else None
    if since is not None and published is not None and (metric != vocab.default_metric or statistic):
        started = int(since.group("year") or since.group("year2") or 0)
        weak = when is not None and when.kind in ("annual", "each")  # "the annual total": no year of its own
        if not own or weak or (when is not None and when.year == started and not when.period):  # anchor = start
            return Dated(None, _span(since, published), "span")
    if when is not None and when.kind == "pastspan" and metric != vocab.default_metric:
        return Dated(None, None, "none")  # "29,000 have crossed into China in the past 20 years": no period of arrivals
    if own and when is not None and not (total and when.year is None):  # a total "in recent years" is as of now
        if metric != vocab.default_metric and when.kind == "lastmonth":
            return Dated(when.year, None, "anchor")  # "detained them last month": an event's month is no period
        if when.kind == "month" and _TOLD_IN.search(sentence):
            return Dated(when.year, None, "anchor")  # "put the number at 60 in November": the year's figure, told then
        if metric == vocab.default_metric and when.period is None and _so_far(when, clause, sentence, published):
            return Dated(when.year, so_far(published), "so-far")  # "444 in 2015" published in July 2015: Jan-Jun
        return Dated(when.year, None if total else when.period, "anchor")
    if not total and metric != vocab.default_metric and _MANY_YEARS.search(clause):
        return Dated(None, None, "none")
    if difference and when is not None and when.kind == "context" and when.year is not None:
        return Dated(when.year, None, "context")  # "only ten more than those of 2017": the year being compared
    if total and published is not None:
        return Dated(published.year, None, "published")
    if metric != vocab.default_metric and published is not None:
        # a one-off count is as of publication when the clause says it is current ("are now in neighbouring
        # countries", "which has 84 students") or names the event's day ("arrived today"); a story told in the past
        # with no time ("Three friends of mine were executed") has no year
        if _PRESENT.search(sentence or clause) or event(sentence or clause, reported=True):
            return Dated(published.year, None, "published")
        return Dated(None, None, "past")
    # "The figure is 15.6 percent higher": an explicit anaphor carries the period along even with no year known
    named = (
        when is not None and when.period is not None and vocab.anaphora is not None and vocab.anaphora.search(sentence)
    )
    if when is not None and (when.year or named) and not total and metric == vocab.default_metric:
        return Dated(when.year, when.period, "context")
    return Dated(None, None, "none")
