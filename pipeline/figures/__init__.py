"""Figures: the numbers an article states about its topic, typed, hedged, dated and traced to their span."""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass

from pipeline.figures import classify, hedges, mentions, sentences, timeref
from pipeline.figures.numbers import Mention, tokenize
from pipeline.figures.vocab import Vocabulary, load
from pipeline.records import Figure

log = logging.getLogger(__name__)

EXTRACTOR_VERSION = "figures-0.1.0"
CONTRACT_FIELDS = (
    "kind",
    "value",
    "low",
    "high",
    "hedge",
    "metric",
    "sense",
    "subgroup",
    "year",
    "period",
    "start",
    "end",
    "text",
    "sentence",
    "extractor_version",
)
_IGNORED_TIMES = frozenset(("since", "paren"))
_JOINED = re.compile(r"\s*(?:and|or|,)\s*")
_BASE = re.compile(r"\b(?:as|than|from|over|compared with|compared to)(?: in)?\s*$", re.I)

__all__ = ["CONTRACT_FIELDS", "EXTRACTOR_VERSION", "extract", "to_json"]


@dataclass(frozen=True)
class _Found:
    """A mention accepted as a figure, with its widened span and hedge."""

    mention: Mention
    start: int
    end: int
    hedge: str


def _pick_time(
    text: str,
    found: list[_Found],
    k: int,
    times: list[timeref.When],
    change: bool,
    context: timeref.When | None,
) -> timeref.When | None:
    """The time a figure refers to: the first after it in its clause, else the nearest before, else the
    article's latest year, else any after.

    A change refers to its later year, so for changes the base year ("as many as in 2022") is skipped.
    """
    usable = [w for w in times if w.kind not in _IGNORED_TIMES and not (change and w.kind == "prev")]
    if change:
        usable = [w for w in usable if not _BASE.search(text[max(0, w.start - 12) : w.start])]
    limit = found[k + 1].start if k + 1 < len(found) else None
    after = [w for w in usable if w.start >= found[k].end and (limit is None or w.end <= limit)]
    if after and not any(c in text[found[k].end : after[0].start] for c in ",;(—"):
        if len(after) > 1 and _JOINED.fullmatch(text[after[0].end : after[1].start]):
            return timeref.When(
                after[0].start, after[1].end, "years", None
            )  # "in 2010 and 2011": spans years
        return after[0]
    before = [w for w in usable if w.end <= found[k].start]
    if before:
        return before[-1]
    if context is not None:
        return context
    later = [w for w in usable if w.start >= found[k].end]
    return later[0] if later else None


def _respectively(sentence: str, found: list[_Found], times: list[timeref.When]) -> list[timeref.When] | None:
    """For "X and Y in 2020 and 2021, respectively": the time of each figure, in order."""
    points = [w for w in times if w.kind not in _IGNORED_TIMES and w.start > found[0].end]
    if "respectively" not in sentence.lower() or len(points) != len(found) or len(found) < 2:
        return None
    return points


def _figures_of(
    text: str,
    sent: sentences.Sentence,
    vocab: Vocabulary,
    published: datetime.date | None,
    context: timeref.When | None,
    topical: bool,
) -> tuple[list[Figure], timeref.When | None]:
    """The figures of one sentence, and the time context it leaves for the next sentence."""
    toks = tokenize(sent.text, sent.start)
    found = []
    for m in mentions.find(toks, sent.text, sent.start):
        if classify.is_figure(toks, m, sent.text, vocab, topical):
            hedge, start, end = hedges.hedge(toks, m)
            found.append(_Found(m, start, end, hedge))
    spans = [(f.mention.start, f.mention.end) for f in found]
    times = [
        w
        for w in timeref.find(sent.text, sent.start, published)
        if not any(a <= w.start < b for a, b in spans)
    ]
    paired = _respectively(sent.text, found, times) if found else None
    figures = []
    for k, f in enumerate(found):
        m = f.mention
        sense = classify.sense(toks, m)
        when = paired[k] if paired else _pick_time(text, found, k, times, sense == "change", context)
        lo = found[k - 1].end if k else sent.start
        hi = found[k + 1].start if k + 1 < len(found) else sent.end
        stretch = text[lo:hi]
        metric = classify.metric(stretch, sent.text, m, vocab)
        figures.append(
            Figure(
                kind=m.kind,
                value=m.value,
                low=m.low,
                high=m.high,
                hedge=f.hedge,  # type: ignore[arg-type]
                metric=metric,
                sense=sense,
                subgroup=classify.subgroup(toks, m, vocab, text[lo : m.start]),
                year=when.year if when else None,
                period=when.period if when and metric != "cumulative" else None,
                start=f.start,
                end=f.end,
                text=text[f.start : f.end],
                sentence=sent.text,
                extractor_version=EXTRACTOR_VERSION,
            )
        )
    # The article's latest year carries over (year only): wire copy leads with it, then digresses to the past.
    years = [w.year for w in times if w.kind not in _IGNORED_TIMES and w.year is not None]
    latest = max([*years, context.year if context and context.year else 0])
    return figures, (timeref.When(sent.start, sent.start, "context", latest) if latest else None)


def extract(text: str, *, published: datetime.date | None = None, topic: str = "defection") -> list[Figure]:
    """The figures ``text`` states, in order; ``published`` resolves "last year" and the like."""
    vocab = load(topic)
    figures: list[Figure] = []
    context: timeref.When | None = None
    before = False
    for sent in sentences.split(text):
        now = vocab.is_topical(sent.text)
        found, context = _figures_of(text, sent, vocab, published, context, now or before)
        figures.extend(found)
        before = now
    log.debug("found %d figures in %d characters", len(figures), len(text))
    return figures


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)


def to_json(fig: Figure) -> dict[str, object]:
    """The contract fields of a figure, in contract order, numbers as integers when they are whole."""
    out: dict[str, object] = {name: getattr(fig, name) for name in CONTRACT_FIELDS}
    for name in ("value", "low", "high"):
        out[name] = _number(getattr(fig, name))
    return out
