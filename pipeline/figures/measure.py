"""What a figure measures: its metric, decided from its own clause, its time anchor and the noun it counts.

A count is a statistic over a period (the topic's default metric, e.g. arrivals in a year) only when the text says so:
a period anchors it (a year, quarter, months, "last year") and nothing marks it as something else. Each rule below
is tried in order and the first that applies decides; its name is kept on the figure (``Figure.notes``) so that
``newsfigures figures --explain`` can say why a figure got its metric.

1. A small count the topic calls a total ("bring the total to 460") is an ``event`` when its clause names a day or a
   one-off ("arriving tomorrow", "aboard"), a ``period`` statistic when a period anchors it ("this year to 41", "the
   tally to a total of 4 ... in 2017") and nothing calls it a running total ("cumulative", "since").
2. ``cue``: a metric cue of the topic in the figure's own clause ("bringing the total to", "repatriated"), once the
   noun it counts is one the topic counts (else ``not-counted``: "3,000 residents were resettled"); a total cue in a
   sentence that names no destination ("have defected overall") is ``elsewhere``.
3. ``not-counted``: the number counts people the topic does not count by default ("two officers", "12
   waitresses", "three relatives"), or is larger than any plausible running total (a population).
4. ``difference``, ``rate``, ``sample``, ``elsewhere``: a difference between counts ("a drop of 120"), a rate ("an
   average of 200 a month"), the size of a survey ("interviews with 6,000"), people somewhere else ("in China").
5. ``period-claim``: a count too large for any period that the text still claims for one ("25,000 arrived in 2023
   alone") keeps the default metric: the schema's range check refuses it, the extractor reports what was said.
6. ``running-total``: a count above the largest plausible period figure ("about 20,000 defectors"), unless a ruler's
   era bounds it ("under Kim Jong-il, ... 23,027 defectors": that era's arrivals); ``elsewhere``
   when the sentence is about people abroad and never names the South.
7. ``anaphor``: the statistic named again ("the tally", "put the number at"): the topic's default metric.
8. ``event``: a one-off event: a day-level time in the number's own clause ("arrived today", "on Monday").
9. ``state``: a present or present-perfect state with no period ("have defected to the South", "is home to").
10. ``period``: a period anchors the figure: the topic's default metric.
11. ``no-period``: nothing says the count is a period statistic: "other".

Percents and ratios (``share_metric``): ``cue`` for other, ``sample``, ``change`` (a change compares periods: the
default metric), a cue of another metric, ``state`` for a present share of a subgroup, ``share`` when a subgroup or
a period says what is split, ``anaphor`` for the statistic named again ("the figure was a quarter of"), else
``no-period``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.figures.numbers import Mention
from pipeline.figures.timeref import When
from pipeline.figures.vocab import Vocabulary

# Time anchors that make a count a statistic over a period; "context" (the article's year so far), "since" and the
# bracketed spans of wars are not.
PERIODIC = frozenset(
    (
        "year",
        "rel",
        "spoken",
        "quarter",
        "half",
        "months",
        "monthspan",
        "month",
        "lastmonth",
        "same",
        "that",
        "annual",
        "prev",
        "next",
        "span",
        "decade",
        "each",
        "years",
        "again",
        "todate",
        "pastyear",
        "sofar",
        "era",
        "pastspan",
        "until",
    )
)
_DAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# A reporting verb's day ("the ministry said Sunday") dates the report, not the figure.
_SAID = re.compile(
    rf"\b(?:said|says|told|reported|announced|confirmed|showed|released|stated|added)\s+(?:on\s+|late\s+|early\s+)?"
    rf"(?:{_DAYS}|today|yesterday)\b",
    re.I,
)
_EVENT = re.compile(
    rf"\b(?:today|tonight|tomorrow|yesterday|this\s+(?:week|morning|afternoon|evening|weekend)|last\s+(?:week|weekend|night)"
    rf"|next\s+week|(?:on\s+)?{_DAYS}|(?:on|over)\s+the\s+weekend|recently|(?:days|weeks|hours)\s+(?:after|ago|before|later)"
    rf"|on\s+[0-9]{{1,2}}\s+{_MONTH}|on\s+{_MONTH}\s+[0-9]{{1,2}}\b|as\s+soon\s+as|aboard|a\s+group\s+of|as\s+a\s+group"
    rf"|together|batch|chartered|airlift\w*|plane|boat|vessel|flown\s+(?:in|to|into|out))\b",
    re.I,
)
_DIFFERENCE = re.compile(
    r"(?:\b(?:a|an|the)\s+(?:drop|fall|decline|decrease|rise|increase|gain|jump)\s+of\s*$)"
    r"|(?:\b(?:ris\w*|rose|fell|fall\w*|drop\w*|declin\w*|decreas\w*|increas\w*|jump\w*|grew|grow\w*|climb\w*|"
    r"plung\w*|shr[iau]nk\w*)\s+(?:\w+\s+)?by\s+(?:over|more\s+than|about|around|nearly|some|almost)?\s*$)",
    re.I,
)
_RUNNING = re.compile(r"\b(?:cumulative|since|all-time|ever)\b", re.I)
_TOTAL = re.compile(r"\b(?:total|tally|cumulative|in all)\b", re.I)
_DIFFERENCE_AFTER = re.compile(r"^\s*(?:fewer|more|less)\b", re.I)  # "94 fewer than", "only ten more"
_RATE_BEFORE = re.compile(r"\b(?:an?\s+)?(?:average|monthly\s+average|avg\.?)\s+of\s*$", re.I)
_RATE_AFTER = re.compile(r"^\s*(?:[a-z-]+\s+){0,4}?(?:every|each|per|a)\s+(?:month|week|day)\b", re.I)
_SAMPLE = re.compile(
    r"\b(?:survey\w*|polled|poll|sample\w*|respondents?|responses?|interview\w*|testimon\w+|questionnaire|study|"
    r"studies|asked|assessment|reported\s+having|said\s+they)\b",
    re.I,
)


@dataclass(frozen=True)
class Decision:
    """A field's value and the name of the rule that decided it."""

    value: str
    rule: str


def _counted_noun(after: str, vocab: Vocabulary) -> str | None:
    """The people noun a count counts, if one follows within a few words ("seven North Korean escapees")."""
    words: list[str] = re.findall(r"[a-z]+(?:-[a-z]+)?", after.lower())[:5]
    for n, word in enumerate(words):
        pair = " ".join(words[n : n + 2])
        if pair in vocab.people or pair in vocab.counted_elsewhere:
            return pair
        if word in vocab.people or word in vocab.counted_elsewhere:
            return word
        if word in ("of", "who", "that", "which", "were", "was", "are", "is", "have", "had", "in", "to", "from"):
            break
    return None


def _narrow(clause: str, before: str) -> str:
    """The clause from the last break before the number (``clause`` starts with ``before``): "Speaking on Wednesday,
    an official said 31 had arrived" dates the briefing, not the 31."""
    cut = max(before.rfind(mark) for mark in ",;—")
    return clause[cut + 1 :] if cut >= 0 else clause


def event(clause: str, reported: bool = False) -> bool:
    """Whether the clause names a one-off event's day ("arrived today", "on Monday", "aboard a plane"); with
    ``reported``, the day it was reported counts too ("officials said Friday")."""
    return _EVENT.search(clause if reported else _SAID.sub(" ", clause)) is not None


def count_metric(
    m: Mention, clause: str, before: str, after: str, sentence: str, when: When | None, vocab: Vocabulary
) -> Decision:
    """The metric of a count. ``clause``: the figure's own stretch of the sentence; ``before``/``after``: the
    words of the sentence just before and after the number; ``when``: the time the figure is anchored to."""
    cue = vocab.metric(clause)
    value = m.high if m.value is None else m.value
    periodic = when is not None and when.kind in PERIODIC
    if cue == vocab.total_metric and (value is None or value <= vocab.period_max):
        # "bring the total to 460" of a one-off airlift; "raised the total ... this year to 41": a small total is
        # the running total only when no event or period says otherwise
        if event(clause):
            return Decision(vocab.other_metric, "event")
        kinds = ("rel", "year", "todate", "monthspan", "months", "quarter", "half")
        running = _RUNNING.search(clause) is not None  # "the cumulative total since 1998 rose to 1,043 in 1999"
        if periodic and when is not None and when.kind in kinds and not running:
            return Decision(vocab.default_metric, "period")
    noun = _counted_noun(after, vocab)
    if noun is not None and noun in vocab.counted_elsewhere:  # "3,000 residents were resettled": not the statistic
        return Decision(vocab.other_metric, "not-counted")
    abroad = vocab.abroad(sentence) and not vocab.destination(sentence)
    if cue == vocab.total_metric and (abroad or vocab.elsewhere(_narrow(clause, before))):
        # "since the Korean War, 100- to 300,000 are estimated to have defected overall", "2,000 are now living in
        # the United States": no destination, or another one, is no running total of arrivals in the South
        return Decision(vocab.other_metric, "elsewhere")
    if cue is not None and cue != vocab.default_metric:
        return Decision(cue, "cue")
    if value is not None and value > vocab.total_max:
        return Decision(vocab.other_metric, "not-counted")
    if _DIFFERENCE.search(before) or _DIFFERENCE_AFTER.search(after):
        return Decision(vocab.other_metric, "difference")
    if _RATE_BEFORE.search(before) or _RATE_AFTER.search(after):
        return Decision(vocab.other_metric, "rate")
    if _SAMPLE.search(before[-40:]) or _SAMPLE.search(clause):
        return Decision(vocab.other_metric, "sample")
    if vocab.elsewhere(_narrow(clause, before)):  # not "When she crossed into China, she was one of 1,275 who"
        return Decision(vocab.other_metric, "elsewhere")
    if value is not None and value > vocab.period_max and periodic and cue == vocab.default_metric:
        own_year = when is not None and when.year is not None and when.kind not in ("sofar", "todate")
        if own_year and not vocab.state(clause) and not _TOTAL.search(clause):
            # "Some 25,000 defectors arrived in 2023 alone": a claim about a period, however implausible; the
            # schema's range check, not the extractor, is what refuses it
            return Decision(vocab.default_metric, "period-claim")
    ruled = when is not None and when.kind == "era"  # "under Kim Jong-il, ... 23,027 defectors": that era's arrivals
    if value is not None and value > vocab.period_max and vocab.is_topical(sentence) and not ruled:
        if vocab.abroad(sentence) and not vocab.destination(sentence):  # "Russia is holding about 10,000"
            return Decision(vocab.other_metric, "elsewhere")
        return Decision(vocab.total_metric, "running-total")
    if vocab.anaphora is not None and vocab.anaphora.search(before):
        return Decision(vocab.default_metric, "anaphor")  # "put the number at around 190": the statistic again
    if event(_narrow(clause, before)):
        return Decision(vocab.other_metric, "event")
    if vocab.state(clause) and not periodic:
        return Decision(vocab.total_metric, "state")
    if periodic:
        return Decision(vocab.default_metric, "period")
    return Decision(vocab.other_metric, "no-period")


def share_metric(
    m: Mention,
    clause: str,
    sentence: str,
    sense: str | None,
    subgroup: str | None,
    when: When | None,
    vocab: Vocabulary,
) -> Decision:
    """The metric of a percent or ratio: what it compares (a change) or splits (a share)."""
    cue = vocab.metric(clause)
    if cue == vocab.other_metric:
        return Decision(cue, "cue")
    if _SAMPLE.search(sentence):
        return Decision(vocab.other_metric, "sample")
    periodic = when is not None and when.kind in PERIODIC
    if sense == "change":
        return Decision(vocab.default_metric, "change")
    if cue is not None:
        return Decision(cue, "cue")
    if subgroup is not None and not periodic and _PRESENT.search(clause):
        return Decision(vocab.total_metric, "state")
    if subgroup is not None or periodic:
        return Decision(vocab.default_metric, "share")
    if vocab.anaphora is not None and vocab.anaphora.match(clause.strip()):
        return Decision(vocab.default_metric, "anaphor")  # "The figure was less than a quarter of the 1,047"
    return Decision(vocab.other_metric, "no-period")


_PRESENT = re.compile(r"\b(?:are|is|make up|makes up|account for|accounts for|constitute|represent)\b", re.I)
