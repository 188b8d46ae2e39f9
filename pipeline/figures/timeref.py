"""Time expressions in a sentence (years, quarters, halves, months, spans, "last year"), resolved."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pipeline.figures.numbers import TEENS, TENS, UNITS
from pipeline.records import Published

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
PERIOD_KINDS = frozenset(("quarter", "half", "months", "monthspan", "month"))  # times shorter than a year
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"  # noqa: E501
_YEAR = r"(?:19[0-9]{2}|20[0-9]{2})"
_REL = r"(?:this|last|next|the previous) year"
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
    "twelve": 12,
}
_OF = rf"(?:\s+(?:of\s+)?(?P<of>{_YEAR}|{_REL}|the\s+year))?"
# Broadcast transcripts say years aloud: "twenty nineteen", "twenty twenty-one", "two thousand nine".
_SMALL = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TEEN = r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
_TENS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_SPOKEN = (
    rf"\btwenty[ -](?:{_TEEN}|twenty(?:-{_SMALL})?|thirty)\b|\bnineteen[ -]{_TENS}(?:-{_SMALL})?\b"
    # "two thousand nine" is a year only after a preposition or month: otherwise it may be a count
    r"|\b(?:in|of|by|to|until|from|since|through|during|before|after|january|february|march|april|may|june"
    rf"|july|august|september|october|november|december) two thousand(?: and)?(?: {_SMALL}| {_TEEN})?\b"
    r"(?![ -](?:hundred|thousand))"
)
_SPOKEN_VALUES = {**UNITS, **TEENS, **TENS}
_PATTERNS = [
    ("spoken", _SPOKEN),
    ("paren", rf"\(\s*{_YEAR}\s*[-–—]\s*{_YEAR}\s*\)"),
    (
        "span",
        rf"\b(?:between\s+(?P<c>{_YEAR})\s+and|(?:from\s+)?(?P<a>{_YEAR})\s*(?:-|–|—|to|through))\s*(?P<b>{_YEAR})\b",
    ),
    # "since the start of 2017": that year so far
    ("yearstart", rf"\bsince\s+the\s+(?:start|beginning)\s+of\s+(?P<y>{_YEAR})\b"),
    ("since", rf"\bsince\s+(?:the\s+)?(?:[a-z-]+\s+){{0,8}}?(?:in\s+)?{_YEAR}\b"),
    # "the third and fourth quarters": two periods (their halves of the span, one each)
    ("quarters", r"\b(?P<o1>first|second|third|fourth)\s+and\s+(?P<o2>second|third|fourth|final|last)\s+quarters\b"),
    ("quarter", rf"\b(?P<ord>first|second|third|fourth|final|last|1st|2nd|3rd|4th)\s+quarter{_OF}"),
    ("quarter", rf"\bQ(?P<q>[1-4])(?:\s+(?:of\s+)?(?P<of>{_YEAR}))?\b"),
    ("half", rf"\b(?P<ord>first|second)\s+half{_OF}"),
    ("half", rf"\bH(?P<h>[12])(?:\s+(?:of\s+)?(?P<of>{_YEAR}))?\b"),
    (
        "months",
        rf"\b(?P<end>first|last|final)\s+(?P<n>two|three|four|five|six|seven|eight|nine|ten|eleven|[2-9]|1[01])\s+months{_OF}",
    ),
    # "between November 2022 and October 2023": months across a year end
    (
        "crossyear",
        rf"\b(?:between|from)\s+(?P<m1>{_MONTH})\.?\s+(?P<y1>{_YEAR})\s*(?:and|to|through|until|-|–)\s*"
        rf"(?P<m2>{_MONTH})\.?\s+(?P<y2>{_YEAR})\b",
    ),
    (
        "monthspan",
        rf"\b(?:between\s+(?P<m0>{_MONTH})(?:\s+[0-9]{{1,2}})?\s+and|(?:from\s+)?(?P<m1>{_MONTH})\.?(?:\s+[0-9]{{1,2}}(?:st|nd|rd|th)?)?\s*(?:-|–|to|through|-to-))\s*(?P<m2>{_MONTH})\b\.?(?:\s+[0-9]{{1,2}}(?:st|nd|rd|th)?\b)?"
        rf"(?:\s+(?:quarter|period|half))?(?:\s+(?:of\s+)?(?P<of>{_YEAR}|{_REL}))?",
    ),
    # a year's tally "as of the end of June" covers January to June
    ("monthspan", rf"\b(?:as\s+of|by)\s+the\s+end\s+of\s+(?P<m2>{_MONTH})\b(?:\s+(?P<of>{_YEAR}|{_REL}))?"),
    ("sofar", r"\b(?:as\s+of|by|through)\s+the\s+end\s+of\s+last\s+month\b"),
    # "the three months to March": a span of months ending at one
    (
        "monthsto",
        rf"\b(?:the\s+)?(?P<n>two|three|four|five|six|seven|eight|nine|ten|eleven|[2-9]|1[01])\s+months\s+"
        rf"(?:to|through|ending(?:\s+in)?)\s+(?P<m2>{_MONTH})\b(?:\s+(?P<of>{_YEAR}))?",
    ),
    # "by the end of the year": this year
    ("yearend", r"\b(?:by|before|until)\s+the\s+end\s+of\s+(?:the|this)\s+year\b"),
    # "so far this year", "to date": January through the last full month before publication
    (
        "todate",
        r"\b(?:so\s+far\s+this\s+year|so\s+far\s+in\s+the\s+year|this\s+year\s+so\s+far|year[-\s]to[-\s]date|to\s+date)\b",
    ),
    # "this year through July": January through that month
    (
        "monthspan",
        rf"\b(?:through|thru|until|till|up\s+to|by)\s+(?:(?:the\s+)?end\s+(?:of\s+)?)?(?P<m2>{_MONTH})\b"
        rf"(?!\s*\.?\s*[0-9]{{1,2}}\b)(?:\s+(?P<of>{_YEAR}|{_REL}))?",
    ),
    (
        "month",
        rf"\b(?:in|during|for|of|last|this|since)\s+(?!mid-|early\s|late\s)(?P<m1>{_MONTH})\b(?!\s*\.?\s*[0-9]{{1,2}}\b)(?!\s*(?:-|–|to|through)\s*{_MONTH}\b)(?:\s+(?P<of>{_YEAR}))?",
    ),
    ("lastmonth", r"\blast\s+month\b"),
    # "over the previous four years", "for the next five years till last year", "in the following two years"
    (
        "nyears",
        r"\b(?:over|in|during|for)\s+the\s+(?P<dir>past|last|previous|next|following)\s+"
        rf"(?:(?P<n>two|three|four|five|six|seven|eight|nine|ten|[2-9])\s+years|(?P<decade>decade))\b"
        rf"(?:\s+(?:till|until|to|through)\s+(?P<till>{_YEAR}|{_REL}))?",
    ),
    # "stayed around 2,000 until Kim Jong-un came to power in 2012": from the year named before to the one before
    ("until", rf"\b(?:until|till)\s+(?:[A-Za-z-]+\s+){{0,6}}?(?:in\s+)?(?P<y>{_YEAR})\b"),
    ("pastyear", r"\b(?:over|in|during|for)\s+the\s+(?:past|last)\s+(?:year|12\s+months|twelve\s+months)\b"),
    # "25 in the fourth", "in the second half as in the first": the period named earlier in the sentence
    (
        "again",
        r"\b(?:(?<=in )|(?<=during ))the\s+(?P<ord>first|second|third|fourth|final)\b(?=\s*(?:[,.;:–—-]|$|and\b|or\b))",
    ),
    # "25 in the same period last year": the period named earlier in the sentence, a year before
    (
        "same",
        rf"\b(?:the\s+same|that)\s+(?:period|quarter|half|months?)\s+(?:(?:of|in|a\s+year)\s+)?(?P<of>{_REL}|{_YEAR}|earlier|before|ago)?",
    ),
    ("same", rf"\bthe\s+period\s+(?:in|of)\s+(?P<of>{_YEAR})\b"),
    ("that", r"\b(?:that|the same)\s+year\b"),
    ("next", r"\b(?:the\s+(?:next|following)\s+year|a\s+year\s+later)\b"),
    (
        "annual",
        r"\b(?:annual|yearly|full-year)\s+(?:total|figure|tally|count|number)\b"
        r"|\bthe\s+year['’]s\s+(?:total|figure|tally|count|number)\b",  # "bringing the year's total to 196"
    ),
    # "fewer than 100 for the whole year", "83% for the full year in 2017"
    ("fullyear", rf"\b(?:for|in|during|over)\s+the\s+(?:whole|entire|full)\s+year\b(?:\s+(?:of|in)\s+(?P<y>{_YEAR}))?"),
    (
        "years",
        r"^(?:before|since)\s+the\s+(?:covid-19\s+)?pandemic\b|\bpre-pandemic\s+(?:years|levels?|times|era)\b"
        r"|\bin\s+(?:some|most|many|recent|those|these)\s+years\b",
    ),
    (
        "prev",
        r"\b(?:the\s+previous\s+year|the\s+year\s+before|a\s+year\s+(?:earlier|ago|before)|the\s+prior\s+year)\b",
    ),
    ("rel", rf"\b{_REL}\b"),
    ("decade", r"\b(?:the\s+)?(?:early\s+|mid-?\s*|late\s+)?(?:19|20)[0-9]0s\b"),
    (
        "each",
        r"\b(?:every|each|a|per)\s+year\b(?!-on-)|\bannually\b"
        r"|\b(?:annual|yearly)\s+(?:arrivals|defections|entries|intakes?|inflows?|numbers)\b",
    ),
    # "under Kim Jong-il, ...", "during the Moon Jae-in administration": a ruler's years, which the text does not give
    (
        "era",
        r"\b(?:(?:under|during)\s+(?:the\s+)?(?:(?:late|former)\s+)?(?:(?:leader|president)\s+)?(?=[A-Z])"
        r"|the\s+(?=[A-Z]))(?-i:[A-Z][a-z]+\s+[A-Z][a-z]+(?:-[a-z]+|\s+[A-Z][a-z]+))"
        r"(?:['’]s)?(?:\s*,|\s+(?:era|rule|regime|reign|leadership|government|administration|presidency)\b)",
    ),
    # "defectors who fled before 2016", "after 2012": an open stretch of years, no year of its own
    ("open", rf"\b(?:before|after|prior\s+to|pre-)\s*{_YEAR}\b(?![,.]?[0-9])"),
    # "the 2018 PyeongChang Olympics": a year in an event's name dates the event, not a figure
    (
        "name",
        rf"\bthe\s+{_YEAR}\s+(?-i:(?:[A-Z][\w-]*\s+){{0,3}}(?:Olympics|Games|World\s+Cup|Cup|Expo|Summit))\b",
    ),
    # a year, not a count of people ("exceeded 2000 people", "the 2000-3000 mark") nor a decade ("the 1990s")
    (
        "year",
        rf"(?<![0-9,.])\b{_YEAR}\b(?![,.]?[0-9])(?!(?<=0)['’]?s\b)"
        r"(?![-–][0-9]{4})(?!\s+(?:people|persons|individuals|defectors|refugees|north\s+koreans)\b)",
    ),
]
# Each pattern runs only on sentences holding one of its hints (lower-cased substrings): most sentences hold few.
_HINTS = {
    "spoken": ("twenty", "nineteen", "thousand"),
    "paren": ("(",),
    "span": ("19", "20"),
    "since": ("since",),
    "yearstart": ("since the",),
    "quarter": ("quarter", "q1", "q2", "q3", "q4"),
    "quarters": ("quarters",),
    "half": ("half", "h1", "h2"),
    "months": ("months",),
    "crossyear": ("between", "from"),
    "monthspan": ("end of", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    "month": ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    "lastmonth": ("month",),
    "nyears": ("years", "decade"),
    "until": ("until", "till"),
    "todate": ("so far", "to date", "to-date"),
    "monthsto": ("months",),
    "yearend": ("end of",),
    "pastyear": ("past", "last"),
    "sofar": ("end of last month",),
    "again": ("in the", "during the"),
    "same": ("same", "that "),
    "that": ("year",),
    "next": ("year",),
    "annual": ("annual", "yearly", "full-year", "year's", "year’s"),
    "fullyear": ("whole year", "entire year", "full year"),
    "years": ("pandemic", "years"),
    "prev": ("year", "prior"),
    "rel": ("year",),
    "decade": ("0s",),
    "each": ("year", "annual"),
    "era": (
        "under",
        "during",
        " era",
        " rule",
        "regime",
        "reign",
        "leadership",
        "government",
        "administration",
        "presidency",
    ),
    "open": ("before", "after", "prior", "pre-"),
    "name": ("olympic", "games", "cup", "expo", "summit"),
    "year": ("19", "20"),
}
_COMPILED = [
    (i, kind, re.compile(p.replace("(?P<", f"(?P<g{i}_"), re.I), _HINTS[kind]) for i, (kind, p) in enumerate(_PATTERNS)
]


@dataclass(frozen=True)
class When:
    """A time expression: where it is, the year it names and the sub-year period."""

    start: int
    end: int
    kind: str  # year | rel | prev | since | span | quarter | half | months | monthspan | month | lastmonth
    year: int | None
    period: str | None = None
    years: int = 0  # "the next five years": how many, until resolved against the year they count from


def _relative(phrase: str | None, published: Published | None) -> int | None:
    if phrase is None:
        return None
    if phrase[0].isdigit():
        return int(phrase)
    if phrase.lower() in ("earlier", "before", "ago"):  # "the same period a year earlier"
        return None
    if published is None or "same" in phrase.lower() or "previous" in phrase.lower():
        return None
    if phrase.lower().startswith("the"):  # "the first half of the year": the year of publication
        return published.year
    return published.year + {"this": 0, "last": -1, "next": 1}[phrase.split()[0].lower()]


def _spoken(phrase: str) -> int:
    """The year a spoken year names: "twenty twenty-one" -> 2021, "in two thousand nine" -> 2009."""
    words = phrase.lower().replace("-", " ").split()
    if "thousand" in words:
        rest = words[words.index("thousand") + 1 :]
        return 2000 + sum(_SPOKEN_VALUES.get(w, 0) for w in rest)
    century = 1900 if words[0] == "nineteen" else 2000
    return century + sum(_SPOKEN_VALUES.get(w, 0) for w in words[1:])


def so_far(published: Published | None) -> str | None:
    """The period from January to the last full month before publication: "Jan-Sep", "H1", "Q1"."""
    if published is None or published.month is None or published.month < 2:
        return None
    month = published.month - 1
    return {1: "January", 3: "Q1", 6: "H1", 12: None}.get(month, f"Jan-{MONTHS[month - 1][:3].title()}")


def _month(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name.lower()[:3]))


def _period(kind: str, groups: dict[str, str | None]) -> tuple[str | None, int]:
    """The period label and its last month."""
    if kind == "quarter":
        q = int(groups["q"] or 1) if groups.get("q") else _ORD[(groups["ord"] or "first").lower()]
        return f"Q{q}", q * 3
    if kind == "half":
        first = (groups.get("ord") or "").lower() == "first" or groups.get("h") == "1"
        return ("H1", 6) if first else ("H2", 12)
    if kind == "months":
        raw = (groups["n"] or "3").lower()
        n = int(raw) if raw.isdigit() else _WORDS[raw]
        if (groups.get("end") or "first").lower() != "first":  # "the last three months of 2022"
            return {3: "Q4", 6: "H2"}.get(n, f"{MONTHS[12 - n][:3].title()}-Dec"), 12
        return {3: "Q1", 6: "H1"}.get(n, f"Jan-{MONTHS[n - 1][:3].title()}"), n
    if kind == "monthspan":
        a, b = _month(groups.get("m1") or groups.get("m0") or "jan"), _month(groups["m2"] or "dec")
        label = {(1, 3): "Q1", (4, 6): "Q2", (7, 9): "Q3", (10, 12): "Q4", (1, 6): "H1", (7, 12): "H2"}.get((a, b))
        return label or f"{MONTHS[a - 1][:3].title()}-{MONTHS[b - 1][:3].title()}", b
    m = _month(groups["m1"] or "jan")
    return MONTHS[m - 1].title(), m


def _latest_year(last_month: int, published: Published | None) -> int | None:
    """The year of the most recent such period that ended by the publication date."""
    if published is None or published.month is None:
        return None
    return published.year if last_month <= published.month else published.year - 1


def _when(kind: str, m: re.Match[str], i: int, published: Published | None) -> When:
    groups = {k.split("_", 1)[1]: v for k, v in m.groupdict().items() if k.startswith(f"g{i}_")}
    text = m.group()
    if kind == "span":
        return When(m.start(), m.end(), kind, None, f"{groups['a'] or groups['c']}-{groups['b']}")
    if kind == "spoken":
        return When(m.start(), m.end(), "spoken", _spoken(text))
    if kind in ("year", "rel"):
        return When(m.start(), m.end(), kind, _relative(text, published))
    if kind == "same":  # "the same period of 2016"; "... last year", "... a year earlier": a year before its period
        named = groups.get("of")
        return When(m.start(), m.end(), kind, int(named) if named and named[:1].isdigit() else None)
    if kind == "decade":
        plain = re.fullmatch(r"(?:the\s+)?((?:19|20)[0-9]0)s", text.strip(), re.I)
        start = int(plain.group(1)) if plain else None
        return When(m.start(), m.end(), kind, None, f"{start}-{start + 9}" if start is not None else None)
    if kind == "yearend":
        return When(m.start(), m.end(), "rel", published.year if published else None)
    if kind == "monthsto":
        raw = (groups["n"] or "3").lower()
        n = int(raw) if raw.isdigit() else _WORDS[raw]
        last = _month(groups["m2"] or "dec")
        first = (last - n) % 12 + 1
        label = {(1, 3): "Q1", (4, 6): "Q2", (7, 9): "Q3", (10, 12): "Q4", (1, 6): "H1", (7, 12): "H2"}.get(
            (first, last), f"{MONTHS[first - 1][:3].title()}-{MONTHS[last - 1][:3].title()}"
        )
        named = groups.get("of")
        year = int(named) if named else _latest_year(last, published)
        return When(m.start(), m.end(), "monthspan", year, label)
    if kind == "yearstart":
        return When(m.start(), m.end(), "year", int(groups["y"]))
    if kind == "nyears":
        n = 10 if groups.get("decade") else (_WORDS.get(groups["n"].lower()) or int(groups["n"]))
        till = groups.get("till")
        direction = groups["dir"].lower()
        if till:  # "for the next five years till last year": the five years ending then
            end = _relative(till, published)
            if end is None:
                return When(m.start(), m.end(), "years", None)
            return When(m.start(), m.end(), "span", None, f"{end - n + 1}-{end}")
        side = "nextyears" if direction in ("next", "following") else direction + "years"
        return When(m.start(), m.end(), side.replace("lastyears", "pastyears"), None, None, n)
    if kind == "crossyear":
        a, b = _month(groups["m1"]), _month(groups["m2"])
        y1, y2 = int(groups["y1"]), int(groups["y2"])
        if y1 == y2:  # "from January 2023 to June 2023": months of one year
            return When(
                m.start(), m.end(), "monthspan", y1, _period("monthspan", {"m1": groups["m1"], "m2": groups["m2"]})[0]
            )
        label = f"{MONTHS[a - 1][:3].title()} {y1}-{MONTHS[b - 1][:3].title()} {y2}"
        return When(m.start(), m.end(), "span", None, label)
    if kind == "fullyear":
        return (
            When(m.start(), m.end(), "year", int(groups["y"]))
            if groups.get("y")
            else When(m.start(), m.end(), "annual", None)
        )
    if kind == "until":
        return When(m.start(), m.end(), kind, int(groups["y"]))
    if kind == "pastyear":  # "in the last year": the twelve months before publication, mostly the year before
        return When(m.start(), m.end(), kind, published.year - 1 if published else None)
    if kind in ("since", "prev", "paren", "each", "that", "annual", "years", "again", "next", "open", "name", "era"):
        return When(m.start(), m.end(), kind, None)
    if kind in ("todate", "sofar"):
        if published is None or published.month is None or published.month == 1:
            return When(m.start(), m.end(), kind, published.year if published else None)
        return When(m.start(), m.end(), kind, published.year, so_far(published))
    if kind == "lastmonth":
        if published is None or published.month is None:
            return When(m.start(), m.end(), kind, None)
        month = (published.month - 2) % 12 + 1
        return When(m.start(), m.end(), kind, published.year - (month == 12), MONTHS[month - 1].title())
    period, last_month = _period(kind, groups)
    year = _relative(groups.get("of"), published) if groups.get("of") else _latest_year(last_month, published)
    return When(m.start(), m.end(), kind, year, period)


def _resolve(
    w: When,
    before: list[When],
    anchor: int | None,
    current: int | None,
    earlier: When | None = None,
    last: int | None = None,
) -> When | None:
    """Fill in a time that points at another: "the year before", "that year", "in the fourth", "annual total"."""
    if w.kind == "prev":
        periods = [b for b in before if b.kind in PERIOD_KINDS and b.period and b.year]
        if periods:  # "593 in the first half, compared with 749 a year earlier": the same half, a year before
            return replace(w, kind=periods[-1].kind, year=(periods[-1].year or 0) - 1, period=periods[-1].period)
        named = [b.year for b in before if b.year is not None and b.kind != "prev"]
        anchor = named[-1] if named else None  # a year named later in the sentence is another story
        return replace(w, year=anchor - 1 if anchor else (current - 1 if current else None))
    if w.kind in ("nextyears", "previousyears", "pastyears", "until"):
        named = [b.year for b in before if b.year is not None and b.kind in _NAMING]
        if w.kind == "until":  # "In 2006 ... until 2012": the years from then to the one before
            start = named[-1] if named else None
            if start is None or w.year is None or start >= w.year:
                return replace(w, kind="year")
            return replace(w, year=None, period=f"{start}-{w.year - 1}")
        if w.kind == "nextyears":
            return replace(w, kind="span", period=f"{named[-1] + 1}-{named[-1] + w.years}") if named else None
        ref = named[-1] if named and w.kind == "previousyears" else current
        if ref is None:
            return None
        kind = "span" if w.kind == "previousyears" else "pastspan"
        return replace(w, kind=kind, period=f"{ref - w.years}-{ref - 1}")
    if w.kind == "next":
        named = [b.year for b in before if b.year is not None and b.kind != "prev"]
        return replace(w, year=named[-1] + 1) if named else None
    if w.kind in ("that", "annual"):
        named = [b.year for b in before if b.year is not None and b.kind != "prev"]
        pointed = (last or current) if w.kind == "that" else current  # "That year ...": the year just named
        return replace(w, year=named[-1] if named else (pointed or anchor))
    if w.kind == "same":
        periods = [b for b in before if b.kind in PERIOD_KINDS and b.period]
        if not periods and earlier is not None:
            periods = [earlier]  # "during the same period last year": the period of the sentence before
        if not periods:
            return None
        year = w.year if w.year is not None else (periods[-1].year - 1 if periods[-1].year else None)
        kind = periods[-1].kind if periods[-1].kind != "context" else "same"
        return replace(w, kind=kind, year=year, period=periods[-1].period)
    if w.kind == "again":
        periods = [b for b in before if b.kind in ("quarter", "half") and b.period]
        if not periods:
            return None
        n = _ORD[w.period or "first"]
        label = f"Q{n}" if periods[-1].kind == "quarter" else f"H{min(n, 2)}"
        return replace(w, kind=periods[-1].kind, year=periods[-1].year, period=label)
    return w


_NAMING = frozenset(("year", "rel", "spoken"))


def _fill_years(found: list[When], implicit: set[int]) -> list[When]:
    """A period with no year takes the year the sentence names, nearest before it, else after it: "135 in the
    first three months of 2020, 12 in the second quarter"; "eleven in the first quarter ... fourth quarter of 2022".
    """
    named = [(k, w.year) for k, w in enumerate(found) if w.year and (w.kind in _NAMING or k not in implicit)]
    if not named:
        return found
    out = list(found)
    for k in sorted(implicit):
        before = [y for j, y in named if j < k]
        # a relative year later on usually dates a comparison ("in the January-March period, against 355 in the
        # same period last year"): only a year written out reaches back
        after = [y for j, y in named if j > k and found[j].kind in ("year", "spoken")]
        if before or after:
            out[k] = replace(found[k], year=before[-1] if before else after[0])
    return out


_YEARS_ONLY = re.compile(rf"(?<![0-9,.])\b{_YEAR}\b(?![,.]?[0-9])(?!(?<=0)['’]?s\b)|\b{_REL}\b|{_SPOKEN}", re.I)


def years(sentence: str, published: Published | None) -> list[int]:
    """The calendar years a sentence names (digits, spoken, "last year"): cheap, for sentences with no figure."""
    low = sentence.lower()
    if not any(hint in low for hint in ("19", "20", "year", "twenty", "nineteen", "thousand")):
        return []
    found = []
    for m in _YEARS_ONLY.finditer(sentence):
        text = m.group()
        year = _relative(text, published) if text[0].isdigit() or text.split()[-1].lower() == "year" else None
        found.append(year if year is not None else _spoken(text))
    return found


def _scan(sentence: str) -> list[tuple[int, re.Match[str]]]:
    """Leftmost, non-overlapping matches, the earlier pattern winning at one position (as one alternation would)."""
    low = sentence.lower()
    hits = [
        (m.start(), i, m)
        for i, _, pattern, hints in _COMPILED
        if any(h in low for h in hints)
        for m in pattern.finditer(sentence)
    ]
    picked: list[tuple[int, re.Match[str]]] = []
    end = -1
    for start, i, m in sorted(hits, key=lambda h: (h[0], h[1])):
        if start >= end and m.end() > start:
            picked.append((i, m))
            end = m.end()
    return picked


def find(
    sentence: str,
    base: int,
    published: Published | None,
    current: int | None = None,
    earlier: When | None = None,
    last: int | None = None,
) -> list[When]:
    """Time expressions of a sentence, offsets shifted by ``base``, references resolved against the rest.

    ``current``: the year the article is talking about so far, for "the year before" with no year in the sentence;
    ``earlier``: the last period it named, for "the same period last year"; ``last``: the year the sentence before
    named last, for "that year".
    """
    found: list[When] = []
    implicit: set[int] = set()  # periods that name no year of their own ("in the second quarter")
    for i, m in _scan(sentence):
        if _PATTERNS[i][0] == "quarters":  # one period per ordinal, each with the span of its own word
            for name in ("o1", "o2"):
                q = _ORD[m.group(f"g{i}_{name}").lower()]
                a, b = m.span(f"g{i}_{name}")
                year = _latest_year(q * 3, published)
                implicit.add(len(found))
                found.append(When(a + base, b + base, "quarter", year, f"Q{q}"))
            continue
        w = _when(_PATTERNS[i][0], m, i, published)
        if w.kind == "again":
            w = replace(w, period=(m.group(f"g{i}_ord") or "first").lower())
        if w.kind in PERIOD_KINDS and not m.groupdict().get(f"g{i}_of"):
            implicit.add(len(found))
        found.append(replace(w, start=w.start + base, end=w.end + base))
    found = _fill_years(found, implicit)
    anchors = [w.year for w in found if w.year is not None and w.kind != "prev"]
    if current is None and published is not None:
        current = published.year
    resolved = [
        _resolve(w, found[:k], max(anchors) if anchors else None, current, earlier, last) for k, w in enumerate(found)
    ]
    return [w for w in resolved if w is not None]
