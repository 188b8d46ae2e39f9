"""Time expressions in a sentence (years, quarters, halves, months, spans, "last year"), resolved."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"  # noqa: E501
_YEAR = r"(?:19[0-9]{2}|20[0-9]{2})"
_REL = r"(?:this|last|next|the previous|the same) year"
_ORD = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "final": 4,
    "last": 4,
}
_WORDS = {
    "three": 3,
    "six": 6,
    "nine": 9,
    "eight": 8,
    "seven": 7,
    "five": 5,
    "four": 4,
    "ten": 10,
    "eleven": 11,
    "two": 2,
}
_OF = rf"(?:\s+(?:of\s+)?(?P<of>{_YEAR}|{_REL}))?"
_PATTERNS = [
    ("paren", rf"\(\s*{_YEAR}\s*[-–—]\s*{_YEAR}\s*\)"),
    (
        "span",
        rf"\b(?:between\s+(?P<c>{_YEAR})\s+and|(?:from\s+)?(?P<a>{_YEAR})\s*(?:-|–|—|to|through))\s*(?P<b>{_YEAR})\b",
    ),
    ("since", rf"\bsince\s+(?:the\s+end\s+of\s+)?{_YEAR}\b"),
    ("quarter", rf"\b(?P<ord>first|second|third|fourth|final|last|1st|2nd|3rd|4th)\s+quarter{_OF}"),
    ("quarter", rf"\bQ(?P<q>[1-4])(?:\s+(?:of\s+)?(?P<of>{_YEAR}))?\b"),
    ("half", rf"\b(?P<ord>first|second)\s+half{_OF}"),
    (
        "months",
        rf"\bfirst\s+(?P<n>three|four|five|six|seven|eight|nine|ten|eleven|[2-9]|1[01])\s+months{_OF}",
    ),
    (
        "monthspan",
        rf"\b(?P<m1>{_MONTH})\.?\s*(?:-|–|to|through)\s*(?P<m2>{_MONTH})\b\.?(?:\s+(?P<of>{_YEAR}))?",
    ),
    (
        "month",
        rf"\b(?:in|during|for|of|last|this|since|through)\s+(?P<m1>{_MONTH})\b(?!\s*\.?\s*[0-9]{{1,2}}\b)(?:\s+(?P<of>{_YEAR}))?",
    ),
    ("lastmonth", r"\blast\s+month\b"),
    (
        "prev",
        r"\b(?:the\s+previous\s+year|the\s+year\s+before|a\s+year\s+(?:earlier|ago|before)|the\s+prior\s+year)\b",
    ),
    ("rel", rf"\b{_REL}\b"),
    ("decade", r"\b(?:the\s+)?(?:early\s+|mid-?\s*|late\s+)?(?:19|20)[0-9]0s\b"),
    ("each", r"\b(?:every|each|a|per)\s+year\b"),
    ("year", rf"(?<![0-9,.])\b{_YEAR}\b(?![,.]?[0-9])"),
]
_SCAN = re.compile(
    "|".join(f"(?P<k{i}>{p.replace('(?P<', f'(?P<g{i}_')})" for i, (_, p) in enumerate(_PATTERNS)), re.I
)


@dataclass(frozen=True)
class When:
    """A time expression: where it is, the year it names and the sub-year period."""

    start: int
    end: int
    kind: str  # year | rel | prev | since | span | quarter | half | months | monthspan | month | lastmonth
    year: int | None
    period: str | None = None


def _relative(phrase: str | None, published: datetime.date | None) -> int | None:
    if phrase is None:
        return None
    if phrase[0].isdigit():
        return int(phrase)
    if published is None or "same" in phrase.lower() or "previous" in phrase.lower():
        return None
    return published.year + {"this": 0, "last": -1, "next": 1}[phrase.split()[0].lower()]


def _month(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name.lower()[:3]))


def _period(kind: str, groups: dict[str, str | None]) -> tuple[str | None, int]:
    """The period label and its last month."""
    if kind == "quarter":
        q = int(groups["q"] or 1) if groups.get("q") else _ORD[(groups["ord"] or "first").lower()]
        return f"Q{q}", q * 3
    if kind == "half":
        return ("H1", 6) if (groups["ord"] or "").lower() == "first" else ("H2", 12)
    if kind == "months":
        raw = (groups["n"] or "3").lower()
        n = int(raw) if raw.isdigit() else _WORDS[raw]
        return {3: "Q1", 6: "H1"}.get(n, f"Jan-{MONTHS[n - 1][:3].title()}"), n
    if kind == "monthspan":
        a, b = _month(groups["m1"] or "jan"), _month(groups["m2"] or "dec")
        label = {(1, 3): "Q1", (4, 6): "Q2", (7, 9): "Q3", (10, 12): "Q4", (1, 6): "H1", (7, 12): "H2"}.get(
            (a, b)
        )
        return label or f"{MONTHS[a - 1][:3].title()}-{MONTHS[b - 1][:3].title()}", b
    m = _month(groups["m1"] or "jan")
    return MONTHS[m - 1].title(), m


def _latest_year(last_month: int, published: datetime.date | None) -> int | None:
    """The year of the most recent such period that ended by the publication date."""
    if published is None:
        return None
    return published.year if last_month <= published.month else published.year - 1


def _when(kind: str, m: re.Match[str], i: int, published: datetime.date | None) -> When:
    groups = {k.split("_", 1)[1]: v for k, v in m.groupdict().items() if k.startswith(f"g{i}_")}
    text = m.group()
    if kind == "span":
        return When(m.start(), m.end(), kind, None, f"{groups['a'] or groups['c']}-{groups['b']}")
    if kind in ("year", "rel"):
        return When(m.start(), m.end(), kind, _relative(text, published))
    if kind in ("since", "prev", "paren", "decade", "each"):
        return When(m.start(), m.end(), kind, None)
    if kind == "lastmonth":
        if published is None:
            return When(m.start(), m.end(), kind, None)
        month = (published.month - 2) % 12 + 1
        return When(m.start(), m.end(), kind, published.year - (month == 12), MONTHS[month - 1].title())
    period, last_month = _period(kind, groups)
    year = _relative(groups.get("of"), published) if groups.get("of") else _latest_year(last_month, published)
    return When(m.start(), m.end(), kind, year, period)


def find(sentence: str, base: int, published: datetime.date | None) -> list[When]:
    """Time expressions of a sentence, offsets shifted by ``base``; "the previous year" against the rest."""
    found: list[When] = []
    for m in _SCAN.finditer(sentence):
        i = int((m.lastgroup or "k0")[1:].split("_")[0])
        w = _when(_PATTERNS[i][0], m, i, published)
        found.append(replace(w, start=w.start + base, end=w.end + base))
    anchors = [w.year for w in found if w.year is not None and w.kind != "prev"]
    fallback = published.year - 1 if published else None
    return [
        replace(w, year=(max(anchors) - 1 if anchors else fallback)) if w.kind == "prev" else w for w in found
    ]
