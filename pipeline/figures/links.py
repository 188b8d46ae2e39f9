"""How the figures of an article refer to each other, and what each takes from the one it names.

A figure's own clause decides its fields first (``measure``, ``dating``); then these links, each named in the figure's
notes for ``--explain``, may replace them:

- ``part of``: "Of the 63 arrivals, 40 were men", "831 of them men", "32 of the 67 arrivals", "60% of the 460": a part
  takes what its whole measures and when.
- ``recalls``: "the 63", "these 92 individuals", a distinctive number written again ("with 863 defectors"): the figure
  it names.
- ``split of``: "Women made up the vast majority, at 210": a split by sex of the total in the sentence before.
- ``listed with``: "39 male and 96 female defectors arrived during the period": one time for a list; ``listed
  after``: "80 were forcibly repatriated in August, along with 40 others in September": one metric for a list.
- shares and changes listed after another take its sense and subgroup; a share named again ("this ratio") takes the
  subgroup of the share before.
- a base ("rose to 34,078 from 33,882"; "to 196 from 67") takes the metric of its change and the year before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pipeline.records import Figure

_LISTED = re.compile(r"\s*(?:,|and|, and)\s*")
_PARTS = re.compile(r"\b(?:of (?:them|whom|those)|including|among them)\b", re.I)
_WHOLE_FIRST = re.compile(r"\s*(?:of|among)\s+(?:the|these|those)\s+", re.I)  # "Of the 63 arrivals, 40 were men"
# "Of them, 210 were women", "Of the total, ..."; "The total is made up of 39 males and 96 females"; "The remaining
# six were"
_THEM = re.compile(
    r"\s*(?:(?:of|among)\s+(?:them|those|these|whom|the\s+total|this\s+total|that\s+total)\b"
    r"|(?:the|this|that)\s+(?:total|figure|number|group)\s+"
    r"(?:is|was|were)\s+(?:made\s+up\s+of|split\s+between|divided\s+into)|the\s+(?:remaining|other)\s+(?=\S+\s+were\b))",
    re.I,
)
_PART_OF = re.compile(r"\s*,?\s*of\s+(?:the|all|these|those)?\s*", re.I)  # "Women accounted for 32 of the 67 arrivals"
_BASE_NEXT = re.compile(
    r"[^,;.]{0,60},?\s*(?:up|down|rising|falling)\s+(?:slightly\s+|sharply\s+)?from\s+(?:the\s+)?", re.I
)
_STRONG = frozenset(("metric: cue", "metric: elsewhere", "metric: not-counted"))
_ALONG = re.compile(r"\b(?:along with|as well as|and|plus)\b|,\s*of\b", re.I)
_OR_AFTER = re.compile(r"[^.;]{0,40},\s*or\s*", re.I)
_OR = re.compile(r"\s*,?\s*or\s*", re.I)
_OF_THEM = re.compile(r"\s*(?:of|among)\s+(?:them|those|these)\b", re.I)
_RESTATED = re.compile(r"\s*,\s*or\s*", re.I)
_SAME_SHARE = re.compile(r"\b(?:this|that|the)\s+(?:ratio|share|proportion|percentage|figure)\b", re.I)
_LEVEL = re.compile(r"\s*(?:-|\s)?(?:level|mark|threshold|line|barrier)\b", re.I)
_RECALL = re.compile(r"\b(?:the|these|those)\s+$", re.I)
_FROM = re.compile(r"\b(?:from|compared with|compared to|versus|against)\s*$", re.I)
_OWN_TIME = re.compile(
    r"[^,;.]*?(?:\b(?:19|20)[0-9]{2}\b|\byear|\bquarter|\bhalf\b|\bmonths?\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)",
    re.I,
)
_SAME_GROUP = re.compile(
    r"(?:accounting for|making up|representing|or|from|versus|compared with|against|, at)\s*$", re.I
)


@dataclass
class Memory:
    """What the article stated before the sentence at hand, kept as the links look it up: the last count of each
    value, the figures of the last sentence that stated any, and the subgroup of the last share."""

    counts: dict[float, Figure] = field(default_factory=dict)
    before: list[Figure] = field(default_factory=list)
    share_subgroup: str | None = None

    def add(self, figures: list[Figure]) -> None:
        """Remember the figures of one more sentence."""
        if figures:
            self.before = figures
        for fig in figures:
            if fig.kind == "count" and fig.value is not None:
                self.counts[fig.value] = fig
            elif fig.sense == "share" and fig.subgroup:
                self.share_subgroup = fig.subgroup


def _parts(text: str, figures: list[Figure], at: int) -> list[Figure]:
    """Counts that are parts or bases of an earlier count take what it measures: "947 had defected by 1998, 831 of
    them men" (cumulative); "rose to 34,078 from 33,882"; "to 196 from 67" (the base is the year before)."""
    out: list[Figure] = []
    for fig in figures:
        counts = [f for f in out if f.kind == "count"]
        if fig.kind != "count" and counts and _PARTS.search(text[counts[-1].end : fig.end + 12]):
            # "31,000 registered, 71 per cent of them women"; "593, versus 749, 80 percent of them": not the base
            mains = [c for c in counts if not _FROM.search(text[max(0, c.start - 16) : c.start])]
            whole = mains[-1] if mains else counts[-1]
            fig = _takes(fig, whole, f"share of {whole.text!r}")
        if fig.kind == "percent" and counts and _RESTATED.fullmatch(text[counts[-1].end : fig.start]):
            fig = _takes(fig, counts[-1], f"share {counts[-1].text!r} is")  # "women accounted for 74, or 88 percent"
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
                period=fig.period if "year, period: anchor" in fig.notes and fig.period else whole.period,
                notes=_noted(fig, f"metric, year, period: part of {whole.text!r}"),
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
            out[k] = _takes(fig, nxt, "listed with the next figure")
        elif (
            unanchored
            and nxt.kind == "count" == fig.kind
            and nxt.year
            and _BASE_NEXT.fullmatch(text[fig.end : nxt.start])
        ):
            # "881 defected, down from 1,036 in the same period last year": the figure is its base's year after
            out[k] = replace(
                fig,
                metric=nxt.metric,
                year=nxt.year + 1,
                period=nxt.period,
                notes=_noted(fig, f"metric, year, period: the year after its base {nxt.text!r}"),
            )
    for k in range(len(out) - 2, -1, -1):  # right to left: "430, or 88%, of the 488" chains to the 488
        fig, whole = out[k], out[k + 1]
        between = text[fig.end : whole.start]
        chained = whole.kind != "count" and "part of" in str(whole.notes) and _OR.fullmatch(between)
        linked = (whole.kind == "count" and _PART_OF.fullmatch(between)) or chained
        compared = fig.kind == "ratio" and fig.year is not None and whole.year is not None and fig.year != whole.year
        if linked and compared:  # "1,509 last year, a little more than half of the 2,706 of 2011": a change
            out[k] = replace(fig, sense="change", notes=(*fig.notes, f"sense: against {whole.text!r} of {whole.year}"))
        elif linked and not any(n in _STRONG for n in fig.notes):  # "60% of the 460 defectors"
            out[k] = _takes(fig, whole, f"part of {whole.text!r}")
    return out


def _recalls(text: str, memory: Memory, found: list[Figure]) -> list[Figure]:
    """A count named again ("the 63", "these 92 individuals", "Of the 196") is the earlier figure: it takes what
    that one measures and when."""
    out: list[Figure] = []
    for fig in found:
        if _THEM.match(fig.sentence) and memory.before and fig.kind == "count":  # "Of them, 210 were women"
            wholes = [e for e in memory.before if e.kind == "count"]
            # "135 arrived ..., a fall from 229 ... The total is made up of 39 males and 96 females": the whole its
            # parts add up to, when the article stated it
            parts = sum(f.value or 0 for f in found if f.kind == "count")
            summed = memory.counts.get(parts) if len([f for f in found if f.kind == "count"]) > 1 else None
            if summed is not None:
                wholes = [summed]
            if wholes:
                whole = wholes[0]
                # "Of these [elite defectors], 54 defected before 2011": the part keeps the whole's subgroup too
                subgroup = fig.subgroup or whole.subgroup
                fig = _takes(fig, whole, f"part of {whole.text!r} (the sentence before)", subgroup=subgroup)
            out.append(fig)
            continue
        if fig.kind != "count" and fig.subgroup is None and _SAME_SHARE.search(fig.sentence):
            named_share = memory.share_subgroup
            if named_share:  # "this ratio has crept upward: it first reached 80%": the share named before
                fig = replace(
                    fig,
                    subgroup=named_share,
                    notes=(
                        *(n for n in fig.notes if not n.startswith("subgroup:")),
                        f"subgroup: the share named before ({named_share})",
                    ),
                )
        split = fig.subgroup in ("women", "men") and any(n.endswith("no-period") for n in fig.notes)
        alone = not any(o.kind == "count" and "split of" not in str(o.notes) for o in out)
        split = split and alone and not _WHOLE_FIRST.match(fig.sentence)
        if fig.kind == "count" and split:  # "Women made up the vast majority, at 210": the total's split
            totals = [e for e in memory.before if e.kind == "count" and e.year and (e.value or 0) > (fig.value or 0)]
            if totals:
                # "Women accounted for 31 of them": the nearest; "Women made up the majority, at 210": the main one
                whole = totals[-1] if _OF_THEM.match(text, fig.end) else totals[0]
                fig = _takes(fig, whole, f"split of {whole.text!r} (the sentence before)")
                out.append(fig)
                continue
        distinct = fig.value is not None and fig.value >= 20 and fig.value % 100 != 0  # "with 863 defectors"
        weak = any(n.endswith(("no-period", "event")) for n in fig.notes)
        level = (
            _LEVEL.match(text, fig.end) is not None
        )  # "hit the 2,000 level in 2006": a mark, not a group named again
        recall = (_RECALL.search(text[max(0, fig.start - 12) : fig.start]) and not level) or (distinct and weak)
        named = memory.counts.get(fig.value) if fig.kind == "count" and fig.value is not None and recall else None
        if named is not None:
            fig = _takes(fig, named, f"recalls {named.text!r} of {named.sentence[:40]!r}")
        out.append(fig)
    return out


def _listed_shares(text: str, figures: list[Figure]) -> list[Figure]:
    """Shares and changes listed after another take its sense and subgroup: "rose 20 percent, 18 percent and 5
    percent"; "164 were women, or 83.7 percent"; "fell to 51 percent in 2021 from 72 percent"."""
    out: list[Figure] = []
    for fig in figures:
        prev = out[-1] if out else None
        after_share = prev is not None and prev.kind != "count" and prev.subgroup is not None
        restated = after_share and prev is not None and _OR_AFTER.fullmatch(text[prev.end : fig.start]) is not None
        if restated and prev is not None and fig.kind == "count" and fig.subgroup is None:
            fig = replace(fig, subgroup=prev.subgroup)  # "80.5 percent of the total, or 843"
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


def _listed_counts(text: str, found: list[Figure]) -> list[Figure]:
    """Counts listed after one whose clause said what it counts take that metric: "80 were forcibly repatriated on
    29 August, along with 40 others on 18 September, and nearly 50 in July 2021"."""
    out: list[Figure] = []
    for fig in found:
        lead = next((o for o in reversed(out) if o.kind == "count"), None)
        weak = any(n in ("metric: period", "metric: no-period") for n in fig.notes)
        # the lead may itself be listed after one, or an event of the list ("of 40 others on 18 September")
        listed = ("metric: listed after", "metric: event")
        strong = lead is not None and any(n in _STRONG or n.startswith(listed) for n in lead.notes)
        if lead is not None and fig.kind == "count" and weak and strong and _ALONG.search(text[lead.end : fig.start]):
            kept = tuple(n for n in fig.notes if not n.startswith("metric:"))
            fig = replace(fig, metric=lead.metric, notes=(*kept, f"metric: listed after {lead.text!r}"))
        out.append(fig)
    return out


def _takes(fig: Figure, source: Figure, why: str, subgroup: str | None = None) -> Figure:
    """``fig`` with the metric, year and period of the figure it names (and its subgroup, if given), and why."""
    return replace(
        fig,
        metric=source.metric,
        year=source.year,
        period=source.period,
        subgroup=subgroup if subgroup is not None else fig.subgroup,
        notes=_noted(fig, f"metric, year, period: {why}"),
    )


def _noted(fig: Figure, note: str) -> tuple[str, ...]:
    """The figure's notes with ``note`` in place of the rules it overrides (metric, year and period)."""
    return (*(n for n in fig.notes if not n.startswith(("metric", "year"))), note)


def resolve(text: str, memory: Memory, found: list[Figure], at: int) -> list[Figure]:
    """The figures ``found`` in the sentence starting at ``at``, with what their links to each other and to the
    figures the article stated before (``memory``) say."""
    return _parts(text, _recalls(text, memory, _listed_counts(text, _listed_shares(text, found))), at)
