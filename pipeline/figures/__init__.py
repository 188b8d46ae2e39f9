"""Figures: the numbers an article states about its topic, typed, hedged, dated and traced to their span."""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass

from pipeline import topics
from pipeline.figures import anchor, classify, dating, hedges, links, measure, mentions, sentences, tables, timeref
from pipeline.figures.numbers import Mention, Token, tokenize
from pipeline.figures.vocab import Vocabulary, load
from pipeline.records import Figure, Published

log = logging.getLogger(__name__)

EXTRACTOR_VERSION = "figures-0.5.0"
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
_NUMBERISH = re.compile(
    r"[0-9]|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"thousand|million|dozen|single|twice|thrice|double|tripl|quadrupl|half|halv|\w+fold|third|quarter|fifth|tenth)",
    re.I,
)
_EXCERPT = 500
_OF_THE = re.compile(r"\bof\s+(?:the|all|these|those)\s+$", re.I)
_WHO = re.compile(
    r"\s*(?:[A-Za-z-]+\s+){0,3}?(?:who|that)\s+(?:have|has|had)\s+[^,;()]{0,60}?(?=\s+(?:went|were|was|are|is|had|have|returned|left)\b|[,;]|$)",
    re.I,
)
_CLAUSE_END = re.compile(r"[,;(—]")


__all__ = ["CONTRACT_FIELDS", "EXTRACTOR_VERSION", "extract", "to_json"]


@dataclass(frozen=True)
class _Found:
    """A mention accepted as a figure, with its widened span and hedge."""

    mention: Mention
    start: int
    end: int
    hedge: str


def _found(
    toks: list[Token], sent: sentences.Sentence, vocab: Vocabulary, topical: bool, times: list[timeref.When]
) -> list[_Found]:
    """The mentions of a sentence that are figures, with their hedges; spoken years are not figures."""
    spoken = [(w.start, w.end) for w in times if w.kind == "spoken"]
    fragment = sentences.fragment_end(sent.text)
    found: list[_Found] = []
    candidates = mentions.find(toks, sent.text, sent.start)
    if not topical and any(classify.is_figure(toks, m, sent.text, vocab, False) for m in candidates):
        topical = True  # "Of the 43, 38 were women": one sure figure makes the sentence about the topic
    for m in candidates:
        if any(a <= m.start < b for a, b in spoken):
            continue
        # "Sixty-three. That is how many defectors arrived": a number standing alone, explained by what follows
        alone = (
            fragment is not None
            and m.first == 0
            and m.end - sent.start == fragment
            and (m.spelled or (m.value or 0) >= 10)
            and vocab.is_topical(sent.text)
        )
        if alone or classify.is_figure(toks, m, sent.text, vocab, topical):
            hedge, start, end = hedges.hedge(toks, m)
            found.append(_Found(m, start, end, hedge))
    return found


def _figures_of(
    text: str,
    sent: sentences.Sentence,
    vocab: Vocabulary,
    published: Published | None,
    context: timeref.When | None,
    topical: bool,
    memory: links.Memory,
    last_year: int | None = None,
) -> tuple[list[Figure], timeref.When | None, int | None]:
    """The figures of one sentence, the time context it leaves for the next sentence and the year it named last;
    ``last_year``: the year the sentence before named last, which "that year" points at."""
    if not _NUMBERISH.search(sent.text):  # most sentences state no number: only their years matter, as context
        named = timeref.years(sent.text, published)
        latest = max([*named, context.year if context and context.year else 0])
        last = named[-1] if named else None
        period = context.period if context else None  # "the same period" may come two sentences on
        kept = timeref.When(sent.start, sent.start, "context", latest or None, period) if latest or period else None
        return [], kept, last
    toks = tokenize(sent.text, sent.start)
    earlier = context if context is not None and context.period else None
    current = context.year if context else None
    all_times = timeref.find(sent.text, sent.start, published, current, earlier, last_year)
    found = _found(toks, sent, vocab, topical, all_times)
    spans = [(f.mention.start, f.mention.end) for f in found]
    times = [w for w in all_times if not any(a <= w.start < b for a, b in spans)]
    spans = [(f.start, f.end) for f in found]
    paired = anchor.respectively(sent.text, spans, times, sent.start)
    figures = [
        _figure(text, sent, toks, found, k, spans, times, paired, context, published, vocab) for k in range(len(found))
    ]
    figures = links.resolve(text, memory, figures, sent.start)
    # the year "that year" in the next sentence points at: the last one named ("until ... 2012" names 2012)
    named = [w.year for w in times if w.kind in ("year", "rel", "spoken") and w.year is not None]
    named += [int(w.period[-4:]) + 1 for w in times[-1:] if w.kind == "until" and w.period]
    return figures, _context(times, context, sent.start), named[-1] if named else None


def _figure(
    text: str,
    sent: sentences.Sentence,
    toks: list[Token],
    found: list[_Found],
    k: int,
    spans: list[tuple[int, int]],
    times: list[timeref.When],
    paired: list[timeref.When | None] | None,
    context: timeref.When | None,
    published: Published | None,
    vocab: Vocabulary,
) -> Figure:
    """Figure ``k`` of a sentence, each field decided by its own clause, its time anchor and the rules that name it."""
    f = found[k]
    m = f.mention
    sense = classify.sense(toks, m)
    when = paired[k] if paired and paired[k] else anchor.pick(text, spans, k, times, sense == "change", context)
    lo = found[k - 1].end if k else sent.start
    hi = found[k + 1].start if k + 1 < len(found) else sent.end
    # the figure's own clause: a cue after the next comma ("..., bringing the total to") is the next figure's
    cut = _CLAUSE_END.search(text, f.end, hi)
    clause = text[lo : cut.start() if cut else hi]
    # "28 of the over 30,000 North Koreans who have defected to South Korea went back between 2012 and 2018": the
    # whole is told by its own relative clause, the part by the verb and time after it
    relative = _WHO.match(text, f.end) if _OF_THE.search(text, max(lo, f.start - 16), f.start) else None
    if relative is not None:
        clause, when = text[f.start : relative.end()], None
    whole = found[k + 1] if k + 1 < len(found) else None
    between = text[f.end : whole.start].strip() + " " if whole else ""
    rest = _WHO.match(text, whole.end) if whole and _OF_THE.fullmatch(between) else None
    if rest is not None and whole is not None:
        tail = _CLAUSE_END.search(text, rest.end(), sent.end)
        clause = text[lo : f.end] + text[rest.end() : tail.start() if tail else sent.end]
        later = [w for w in times if w.start >= rest.end() and w.kind not in anchor.IGNORED]
        when = later[0] if later else when
    group = classify.subgroup(toks, m, vocab, text[lo : m.start], text[m.end : sent.end], text[sent.start : m.start])
    if m.kind == "count":
        decided = measure.count_metric(m, clause, text[lo : m.start], text[m.end : sent.end], sent.text, when, vocab)
        if decided.rule == "difference" and not (paired and paired[k]):  # "a drop of 120 from the year before"
            when = anchor.pick(text, spans, k, times, True, context, difference=True)
    else:
        decided = measure.share_metric(m, clause, sent.text, sense, group, when, vocab)
    difference = decided.rule == "difference"
    dated = dating.date(decided.value, when, clause, published, vocab, sentence=sent.text, difference=difference)
    return Figure(
        kind=m.kind,
        value=m.value,
        low=m.low,
        high=m.high,
        hedge=f.hedge,  # type: ignore[arg-type]
        metric=decided.value,
        sense=sense,
        subgroup=group,
        year=dated.year,
        period=dated.period,
        start=f.start,
        end=f.end,
        text=text[f.start : f.end],
        sentence=sent.text,
        extractor_version=EXTRACTOR_VERSION,
        notes=(
            f"metric: {decided.rule}",
            f"year, period: {dated.rule}",
            f"hedge: {_hedged_by(text, f, m)}",
            f"subgroup: {'named near the number' if group else 'none named'}",
        ),
    )


def _hedged_by(text: str, f: _Found, m: Mention) -> str:
    """The words that set a figure's hedge, for --explain."""
    words = (text[f.start : m.start] + " " + text[m.end : f.end]).strip()
    return f"{words!r}" if words else "no hedging words"


def _context(times: list[timeref.When], context: timeref.When | None, at: int) -> timeref.When | None:
    """The article's latest year carries over, wire copy leads with it, then digresses to the past; so does the last
    sub-year period it named, for "the same period last year" in the next sentence."""
    years = [w.year for w in times if w.kind not in anchor.IGNORED and w.year is not None]
    latest = max([*years, context.year if context and context.year else 0])
    periods = [w for w in times if w.period and w.kind in timeref.PERIOD_KINDS]
    period = periods[0] if periods else (context if context is not None and context.period else None)
    if not latest and period is None:
        return None
    return timeref.When(at, at, "context", latest or None, period.period if period else None)


def extract(text: str, *, published: Published | datetime.date | None = None, topic: str = "") -> list[Figure]:
    """The figures ``text`` states about ``topic`` (default: the bundled topic), in order; ``published`` (a day, or
    only a month or year) resolves "last year"."""
    if isinstance(published, datetime.date):
        published = Published.of(published)
    vocab = load(topic or topics.default())
    if len(text) > _EXCERPT and not vocab.names_topic(text):
        # an article that never names the topic states none of its figures ("300 workers were laid off"); a short
        # excerpt ("Of them, 164 were women") is taken as the caller gives it
        return []
    figures: list[Figure] = []
    context: timeref.When | None = None
    last_year: int | None = None
    memory = links.Memory()
    before = False
    tabled = tables.figures(text, vocab, EXTRACTOR_VERSION)  # "| 2019 | 202 | 845 | 1,047 |": read by its axes
    rows = {f.sentence for f in tabled}
    for sent in sentences.split(text, join_fragments=True):
        if sent.text.strip() in rows:
            continue
        now = vocab.is_topical(sent.text)
        found, context, named = _figures_of(text, sent, vocab, published, context, now or before, memory, last_year)
        memory.add(found)
        last_year = named or last_year
        figures.extend(found)
        before = now or bool(found)  # a sentence that stated figures carries the topic to the next
    if tabled:
        figures = sorted([*figures, *tabled], key=lambda f: f.start)
    log.debug("found %d figures in %d characters", len(figures), len(text))
    return figures


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 4)  # a third is 0.3333


def to_json(fig: Figure) -> dict[str, object]:
    """The contract fields of a figure, in contract order, numbers as integers when they are whole."""
    out: dict[str, object] = {name: getattr(fig, name) for name in CONTRACT_FIELDS}
    for name in ("value", "low", "high"):
        out[name] = _number(getattr(fig, name))
    return out
