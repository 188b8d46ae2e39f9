"""Figures: the numbers an article states about its topic, typed, hedged, dated and traced to their span."""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, replace

from pipeline.figures import anchor, classify, dating, hedges, measure, mentions, sentences, timeref
from pipeline.figures.numbers import Mention, Token, tokenize
from pipeline.figures.vocab import Vocabulary, load
from pipeline.records import Figure, Published

log = logging.getLogger(__name__)

EXTRACTOR_VERSION = "figures-0.4.0"
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
_CLAUSE_END = re.compile(r"[,;(—]")
_LISTED = re.compile(r"\s*(?:,|and|, and)\s*")
_PARTS = re.compile(r"\b(?:of (?:them|whom|those)|including|among them)\b", re.I)
_WHOLE_FIRST = re.compile(r"\s*(?:of|among)\s+(?:the|these|those)\s+", re.I)  # "Of the 63 arrivals, 40 were men"
_THEM = re.compile(r"\s*(?:of|among)\s+(?:them|those|whom)\b", re.I)
_PART_OF = re.compile(r"\s*,?\s*of\s+(?:the|all|these|those)?\s*", re.I)  # "Women accounted for 32 of the 67 arrivals"
_OR = re.compile(r"\s*,?\s*or\s*", re.I)
_SAME_SHARE = re.compile(r"\b(?:this|that|the)\s+(?:ratio|share|proportion|percentage|figure)\b", re.I)
_RECALL = re.compile(r"\b(?:the|these|those)\s+$", re.I)
_FROM = re.compile(r"\b(?:from|compared with|versus)\s*$", re.I)
_OWN_TIME = re.compile(
    r"[^,;.]*?(?:\b(?:19|20)[0-9]{2}\b|\byear|\bquarter|\bhalf\b|\bmonths?\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)",
    re.I,
)
_SUB_YEAR = frozenset(("quarter", "half", "months", "monthspan", "month"))
_SAME_GROUP = re.compile(r"(?:accounting for|making up|representing|or|from|versus|compared with|against)\s*$", re.I)

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
    named: list[Figure],
) -> tuple[list[Figure], timeref.When | None]:
    """The figures of one sentence, and the time context it leaves for the next sentence."""
    if not _NUMBERISH.search(sent.text):  # most sentences state no number: only their years matter, as context
        latest = max([*timeref.years(sent.text, published), context.year if context and context.year else 0])
        return [], (timeref.When(sent.start, sent.start, "context", latest) if latest else None)
    toks = tokenize(sent.text, sent.start)
    earlier = context if context is not None and context.period else None
    all_times = timeref.find(sent.text, sent.start, published, context.year if context else None, earlier)
    found = _found(toks, sent, vocab, topical, all_times)
    spans = [(f.mention.start, f.mention.end) for f in found]
    times = [w for w in all_times if not any(a <= w.start < b for a, b in spans)]
    spans = [(f.start, f.end) for f in found]
    paired = anchor.respectively(sent.text, spans, times, sent.start)
    figures = []
    for k, f in enumerate(found):
        m = f.mention
        sense = classify.sense(toks, m)
        when = paired[k] if paired and paired[k] else anchor.pick(text, spans, k, times, sense == "change", context)
        lo = found[k - 1].end if k else sent.start
        hi = found[k + 1].start if k + 1 < len(found) else sent.end
        # the figure's own clause: a cue after the next comma ("..., bringing the total to") is the next figure's
        cut = _CLAUSE_END.search(text, f.end, hi)
        clause = text[lo : cut.start() if cut else hi]
        notes: tuple[str, ...] = ()
        group = classify.subgroup(toks, m, vocab, text[lo : m.start], text[m.end : sent.end])
        if m.kind == "count":
            decided = measure.count_metric(
                m, clause, text[lo : m.start], text[m.end : sent.end], sent.text, when, vocab
            )
            metric, notes = decided.value, (f"metric: {decided.rule}",)
            if decided.rule == "difference" and not (paired and paired[k]):  # "a drop of 120 from the year before"
                when = anchor.pick(text, spans, k, times, True, context)
        else:
            decided = measure.share_metric(m, clause, sent.text, sense, group, when, vocab)
            metric, notes = decided.value, (f"metric: {decided.rule}",)
        dated = dating.date(metric, when, clause, published, vocab, sentence=sent.text)
        notes = (*notes, f"year, period: {dated.rule}")
        figures.append(
            Figure(
                kind=m.kind,
                value=m.value,
                low=m.low,
                high=m.high,
                hedge=f.hedge,  # type: ignore[arg-type]
                metric=metric,
                sense=sense,
                subgroup=group,
                year=dated.year,
                period=dated.period,
                start=f.start,
                end=f.end,
                text=text[f.start : f.end],
                sentence=sent.text,
                extractor_version=EXTRACTOR_VERSION,
                notes=notes,
            )
        )
    figures = _counts_inherit(text, _recalled(text, named, _inherit(text, figures)), sent.start)
    return figures, _context(times, context, sent.start)


def _context(times: list[timeref.When], context: timeref.When | None, at: int) -> timeref.When | None:
    """The article's latest year carries over, wire copy leads with it, then digresses to the past; so does the last
    sub-year period it named, for "the same period last year" in the next sentence."""
    years = [w.year for w in times if w.kind not in anchor.IGNORED and w.year is not None]
    latest = max([*years, context.year if context and context.year else 0])
    periods = [w for w in times if w.period and w.kind in _SUB_YEAR]
    period = periods[0] if periods else (context if context is not None and context.period else None)
    if not latest and period is None:
        return None
    return timeref.When(at, at, "context", latest or None, period.period if period else None)


def _counts_inherit(text: str, figures: list[Figure], at: int) -> list[Figure]:
    """Counts that are parts or bases of an earlier count take what it measures: "947 had defected by 1998, 831 of
    them men" (cumulative); "rose to 34,078 from 33,882"; "to 196 from 67" (the base is the year before)."""
    out: list[Figure] = []
    for fig in figures:
        counts = [f for f in out if f.kind == "count"]
        if fig.kind != "count" and counts and _PARTS.search(text[counts[-1].end : fig.end + 12]):
            whole = counts[-1]  # "31,000 registered, 71 per cent of them women"
            fig = replace(
                fig,
                metric=whole.metric,
                year=whole.year,
                period=whole.period,
                notes=(*fig.notes, f"metric, year, period: share of {whole.text!r}"),
            )
        if fig.kind != "count" or not counts:
            out.append(fig)
            continue
        whole, prev = counts[0], counts[-1]
        head = text[at : whole.start]
        if _PARTS.search(text[whole.end : fig.end + 12]) or _WHOLE_FIRST.fullmatch(head):
            fig = replace(
                fig,
                metric=whole.metric,
                year=fig.year
                if fig.year is not None and fig.year != whole.year and fig.metric == whole.metric
                else whole.year,
                period=whole.period,
                notes=(f"metric, year, period: part of {whole.text!r}",),
            )
        elif _FROM.search(text[prev.end : fig.start]):
            if fig.metric == "arrivals" and prev.metric == "cumulative":
                fig = replace(fig, metric="cumulative")
            if _OWN_TIME.match(text, fig.end) is None and fig.year is not None and fig.year == prev.year:
                fig = replace(fig, year=fig.year - 1)
        out.append(fig)
    for k, fig in enumerate(out[:-1]):  # "39 male and 96 female defectors arrived during the period": one time
        nxt = out[k + 1]
        unanchored = any(n.startswith("year") and not n.endswith("anchor") for n in fig.notes)
        if (
            unanchored
            and nxt.kind == fig.kind
            and _LISTED.fullmatch(text[fig.end : nxt.start])
            and "anchor" in str(nxt.notes)
        ):
            out[k] = replace(
                fig,
                metric=nxt.metric,
                year=nxt.year,
                period=nxt.period,
                notes=(*fig.notes[:0], "metric, year, period: listed with the next figure"),
            )
    for k in range(len(out) - 2, -1, -1):  # right to left: "430, or 88%, of the 488" chains to the 488
        fig, whole = out[k], out[k + 1]
        between = text[fig.end : whole.start]
        chained = whole.kind != "count" and "part of" in str(whole.notes) and _OR.fullmatch(between)
        if (whole.kind == "count" and _PART_OF.fullmatch(between)) or chained:  # "60% of the 460 defectors"
            out[k] = replace(
                fig,
                metric=whole.metric,
                year=whole.year,
                period=whole.period,
                notes=(f"metric, year, period: part of {whole.text!r}",),
            )
    return out


def _recalled(text: str, earlier: list[Figure], found: list[Figure]) -> list[Figure]:
    """A count named again ("the 63", "these 92 individuals", "Of the 196") is the earlier figure: it takes what
    that one measures and when."""
    out: list[Figure] = []
    for fig in found:
        if _THEM.match(fig.sentence) and earlier and fig.kind == "count":  # "Of them, 210 were women"
            wholes = [e for e in earlier if e.sentence == earlier[-1].sentence and e.kind == "count"]
            if wholes:
                whole = wholes[0]
                fig = replace(
                    fig,
                    metric=whole.metric,
                    year=whole.year,
                    period=whole.period,
                    notes=(f"metric, year, period: part of {whole.text!r} (the sentence before)",),
                )
            out.append(fig)
            continue
        if fig.kind != "count" and fig.subgroup is None and _SAME_SHARE.search(fig.sentence):
            shares = [e.subgroup for e in earlier if e.kind != "count" and e.sense == "share" and e.subgroup]
            if shares:  # "this ratio has crept upward: it first reached 80%": the share named before
                fig = replace(
                    fig, subgroup=shares[-1], notes=(*fig.notes, f"subgroup: the share named before ({shares[-1]})")
                )
        split = fig.subgroup in ("women", "men") and any(n.endswith("no-period") for n in fig.notes)
        alone = not any(o.kind == "count" and "split of" not in str(o.notes) for o in out)
        split = split and alone and not _WHOLE_FIRST.match(fig.sentence)
        if fig.kind == "count" and split and earlier:  # "Women made up the vast majority, at 210": the total's split
            totals = [
                e
                for e in earlier
                if e.sentence == earlier[-1].sentence
                and e.kind == "count"
                and e.year
                and (e.value or 0) > (fig.value or 0)
            ]
            if totals:
                whole = totals[0]
                fig = replace(
                    fig,
                    metric=whole.metric,
                    year=whole.year,
                    period=whole.period,
                    notes=(f"metric, year, period: split of {whole.text!r} (the sentence before)",),
                )
                out.append(fig)
                continue
        distinct = fig.value is not None and fig.value >= 20 and fig.value % 100 != 0  # "with 863 defectors"
        weak = any(n.endswith(("no-period", "event")) for n in fig.notes)
        recall = _RECALL.search(text[max(0, fig.start - 12) : fig.start]) or (distinct and weak)
        if fig.kind == "count" and fig.value is not None and recall:
            same = [e for e in earlier if e.kind == "count" and e.value == fig.value]
            if same:
                named = same[-1]
                fig = replace(
                    fig,
                    metric=named.metric,
                    year=named.year,
                    period=named.period,
                    notes=(f"metric, year, period: recalls {named.text!r} of {named.sentence[:40]!r}",),
                )
        out.append(fig)
    return out


def _inherit(text: str, figures: list[Figure]) -> list[Figure]:
    """Shares and changes listed after another take its sense and subgroup: "rose 20 percent, 18 percent and 5
    percent"; "164 were women, or 83.7 percent"; "fell to 51 percent in 2021 from 72 percent"."""
    out: list[Figure] = []
    for fig in figures:
        prev = out[-1] if out else None
        if prev is None or fig.kind == "count":
            out.append(fig)
            continue
        between = text[prev.end : fig.start]
        if fig.sense == "share" and prev.kind == fig.kind and prev.sense == "change" and _LISTED.fullmatch(between):
            fig = replace(fig, sense="change")
        grouped = [f.subgroup for f in out if f.subgroup is not None]
        if fig.sense == "share" and fig.subgroup is None and grouped and _SAME_GROUP.search(between):
            fig = replace(fig, subgroup=grouped[-1])
        out.append(fig)
    return out


def extract(text: str, *, published: Published | datetime.date | None = None, topic: str = "defection") -> list[Figure]:
    """The figures ``text`` states, in order; ``published`` (a day, or only a month or year) resolves "last year"."""
    if isinstance(published, datetime.date):
        published = Published.of(published)
    vocab = load(topic)
    if len(text) > _EXCERPT and not vocab.is_topical(text):
        # an article that never names the topic states none of its figures ("300 workers were laid off"); a short
        # excerpt ("Of them, 164 were women") is taken as the caller gives it
        return []
    figures: list[Figure] = []
    context: timeref.When | None = None
    before = False
    for sent in sentences.split(text, join_fragments=True):
        now = vocab.is_topical(sent.text)
        found, context = _figures_of(text, sent, vocab, published, context, now or before, figures)
        figures.extend(found)
        before = now or bool(found)  # a sentence that stated figures carries the topic to the next
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
