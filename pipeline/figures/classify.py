"""Decide which mentions are figures, and what they split or compare: subgroup, sense (metric: ``measure``)."""

from __future__ import annotations

import re

from pipeline.figures.mentions import is_year
from pipeline.figures.numbers import Mention, Token
from pipeline.figures.timeref import MONTHS
from pipeline.figures.vocab import Vocabulary
from pipeline.records import Sense


def _words(text: str) -> frozenset[str]:
    """A word list written as one string."""
    return frozenset(text.split())


_TIME_UNITS = _words(
    "year years yr yrs month months week weeks day days hour hours minute minutes second seconds decade "
    "decades century centuries old"
)
_MONTH_WORDS = frozenset([m for m in MONTHS] + [m[:3] for m in MONTHS] + ["sept"])
_AGE = frozenset(("aged", "age", "ages", "ageing"))
_DATE_PREPS = _words("in since of by from to until till during before after year end early late mid")
_CURRENCY = frozenset(["$", "₩", "£", "€", "¥", "us$"])
# Capitalised words that may precede a figure; any other one makes "Subheading 1" a name, not a figure.
_LEADERS = _words(
    "in of about around some nearly almost only just over more fewer less a an the and but with total "
    "than to from by while another all those these among approximately roughly estimated up down at as "
    "when since after before for during until exactly least still yet so then including last this that "
    "there women men between under below above well exceeding topped surpassed"
)
_STOP = frozenset(("and", "but", "while", "whereas", "including", "compared", "versus", "or"))
_CHANGE = (
    r"\b(?:ris(?:e|es|en|ing)|rose|increas\w*|jump\w*|surg\w*|soar\w*|gr[eo]w\w*|"
    r"(?<!made )(?<!make )up|down|fell|"
    r"fall\w*|drop\w*|declin\w*|decreas\w*|plung\w*|plummet\w*|climb\w*|gain\w*|slump\w*|dipped|shr[iau]nk\w*|slid|slip\w*|sank|sink\w*|tumbl\w*|edged|inched|rebound\w*|"
    r"growth|cut"
)
_CHANGE_BEFORE = re.compile(_CHANGE + r")\b", re.I)
_CHANGE_AFTER = re.compile(_CHANGE + r"|higher|lower|more|fewer|less|on-year|year-on-year|from|compared|over)\b", re.I)
# A fraction of the level of another time: a change, not a share of a group
_OF_EARLIER = re.compile(
    r"\s*(?:of\s+)?(?:(?:the|its|that)\s+(?:[a-z]+\s+)?(?:peak|record|high|previous|prior|earlier)\b"
    r"|(?:the\s+)?(?:last|previous|the\s+previous|a)\s+year['’]s|(?:19|20)[0-9]{2}['’]s)",
    re.I,
)
_NUMBER_OF = re.compile(
    r"\b(?:number|share|proportion|percentage|arrivals|defections?|departures) (?:of|by|among) "
    r"((?:[a-z-]+ ){0,2}[a-z-]+)",
    re.I,
)
_CLOCK = frozenset(("a", "p", "am", "pm", "o'clock"))
# The size of a survey says how many were asked, not how many defected: "a survey of 400", "interviewed 1,200".
# A year naming whose numbers follow: "put 2009 arrivals at more than 2,950".
_YEAR_OF = frozenset(("arrivals", "figures", "data", "numbers", "tally", "statistics"))
_VERBS_BEFORE_WORDS = frozenset(
    ["numbered", "totaled", "totalled", "reached", "reaching", "stood", "was", "were", "hit", "hitting", "eased"]
)
_MONEY = frozenset(["won", "dollars", "dollar", "usd", "yuan", "euros", "trillion", "billion", "won-a-month"])


def _near(toks: list[Token], lo: int, hi: int) -> str:
    return " ".join(t.low for t in toks[max(lo, 0) : min(hi, len(toks))])


def _glued(toks: list[Token], a: int, b: int) -> bool:
    return 0 <= a < len(toks) and 0 <= b < len(toks) and toks[a].end == toks[b].start


def _people_after(toks: list[Token], m: Mention, vocab: Vocabulary, reach: int = 5) -> bool:
    """Whether a people noun ("defectors", "North Koreans", "were women") follows within a few words."""
    words = []
    for t in toks[m.last : m.last + reach]:
        if t.kind == "punct" and t.text != "-":
            break
        words.append(t.low)
    return any(words[n] in vocab.people or " ".join(words[n : n + 2]) in vocab.people for n in range(len(words)))


def _other_base(toks: list[Token], m: Mention, vocab: Vocabulary) -> bool:
    """Whether a percent measures something else: money just before it ("a grant of 9 million won, up 10
    percent"), or another population after it ("80 percent of the national average")."""
    before = [t.low for t in toks[max(m.first - 5, 0) : m.first]]
    after = _near(toks, m.last, m.last + 5)
    money = [w for w in before if w in _MONEY or w in _CURRENCY]
    return bool(money) or vocab.other_base(after)


def is_figure(toks: list[Token], m: Mention, sentence: str, vocab: Vocabulary, topical: bool) -> bool:
    """Whether a mention is a figure rather than a date, duration, age, name, amount or unrelated number.

    ``topical``: this or the previous sentence is about the topic ("The figure was down from 229 in 2020").
    """
    if m.kind != "count" or m.ratio_word:
        if m.kind == "percent" and _other_base(toks, m, vocab):
            return False
        if m.kind == "ratio" and not _plausible_ratio(toks, m, vocab):
            return False
        return topical or subgroup(toks, m, vocab) is not None
    prev = toks[m.first - 1] if m.first > 0 else None
    if prev is not None and prev.text == "." and m.first > 1:  # "Feb. 4"
        prev = toks[m.first - 2]
    nxt_i = m.last + 1 if m.last < len(toks) and toks[m.last].text == "-" else m.last
    nxt = toks[nxt_i].low if nxt_i < len(toks) else ""
    people = _people_after(toks, m, vocab)
    plural = m.last < len(toks) and (toks[m.last].low.endswith("s") or toks[m.last].low in ("people", "men", "women"))
    if (
        (_glued(toks, m.last - 1, m.last) and toks[m.last].kind == "word")
        or nxt in _TIME_UNITS
        or nxt in _MONTH_WORDS
        or ((nxt in _CLOCK and (nxt_i + 1 >= len(toks) or toks[nxt_i + 1].text in (".", ""))) or nxt == "o'clock")
    ):
        return False  # 1st, 20s, 35-year-old, 4 February
    if _AGED.search(_near(toks, m.first - 4, m.first)) and not people:
        return False  # "9 percent were under 10", "another 5% were 60 or more": ages of a share, not counts
    if (
        prev is not None
        and prev.text in ("[", "(")
        and nxt in ("]", ")")
        and (m.first < 2 or toks[m.first - 2].kind != "num")
    ):
        return False  # a reference "[4]", an age after a name "Park (49)"
    if toks[m.first].kind == "num" and len(toks[m.first].text) == 4 and toks[m.first].text.startswith("0"):
        return False  # a clock time "0930"
    if m.spelled and m.value == 1 and (_paired(toks, m, vocab) or _listed_year(toks, m)):
        return True  # "one man and 37 women", "12 female employees and one male manager"
    if prev is not None and (
        prev.low.rstrip(".") in _MONTH_WORDS
        or prev.low in _AGE
        or prev.low in _CURRENCY
        or (prev.text == "-" and _glued(toks, m.first - 2, m.first - 1))
        or (prev.kind == "word" and _glued(toks, m.first - 1, m.first))
        or (prev.text[0].isupper() and prev.low not in _LEADERS and not prev.low.endswith(("'s", "’s")))
        or prev.low in ("no", "#")
        or (prev.low == "number" and not (m.first > 1 and toks[m.first - 2].low in ("now", "to", "will", "would")))
        or (
            prev.text == ","
            and nxt == ","
            and m.first > 1
            and (toks[m.first - 2].text[:1].isupper() or toks[m.first - 2].low in vocab.people)
        )  # "Kim, 35,", "The defector, 28,"
    ):
        return False
    if _age_list(toks, m) or _name_age(toks, m, prev, nxt) or (prev is not None and prev.text in ("'", "’")):
        return False  # "ages 12 and 17", "says Jang, 27.", "since '94"
    if nxt == "/" or (prev is not None and prev.text == "/") or (m.last < len(toks) and toks[m.last].text == "/"):
        return False  # "a 2 1/2-year odyssey": a fraction of a duration
    if (prev is not None and prev.low in ("page", "pp", "p", "ages", "aged")) or _AGES_RANGING.search(
        _near(toks, m.first - 4, m.first)
    ):
        return False  # "[page 34]", "ages ranging from 28 to 80"
    ahead = [t.low for t in toks[nxt_i : nxt_i + 3]]
    if nxt == "age" or (any(w in vocab.not_people for w in ahead[:3] if w not in vocab.people) and not people):
        return False  # "20 warning shots", "one of 20 civil society groups", "the 20-49 age bracket"
    year_like = m.value is not None and m.last - m.first == 1 and is_year(toks[m.first])
    if nxt in vocab.not_people or (year_like and (not (people and plural) or nxt in _YEAR_OF)):
        return False
    if is_year(toks[m.first]) and prev is not None and prev.low in _DATE_PREPS:
        return False
    if m.spelled and m.value == 1:
        return False  # "one woman in her 40s" tells a story, it does not state a figure
    of_people = nxt == "of" and _people_after(toks, m, vocab)  # "Thirty-one of last year's defectors"
    named_group = (
        prev is not None
        and prev.low in ("the", "these", "those")
        and topical
        and (nxt in _GROUP_VERBS or nxt in (",", ".", "—", ")", ""))
    )  # "the seven spent their first night", "The six were being held"
    if m.spelled and not (
        named_group
        or _people_after(toks, m, vocab, 3)
        or of_people
        or (topical and (m.value or m.high or 0) >= 100)  # "reaching two-thousand-706": a large number spelled out
        or (nxt == "of" and m.last + 1 < len(toks) and toks[m.last + 1].low in ("them", "those", "whom"))
        or (topical and nxt in ("more", "fewer", "others"))  # "only ten more than", "six more in the next two years"
        or (topical and nxt in _MOVED)  # "only three crossed", "just two arrived"
        or (prev and prev.low in _VERBS_BEFORE_WORDS)
        or (  # "down from two hundred", "rose to 23 from eight in April-June"
            prev
            and prev.low in ("from", "to", "at", "with")
            and ((m.value or 0) >= 10 or nxt in ("in", "during", "last"))
        )
        or (prev and prev.low in ("and", ",") and nxt in ("in", "during", "for"))  # "11 in Q1 and eight in Q2"
    ):
        return False  # "one of them", "the two Koreas"
    return people or topical


_MOVED = _words("arrived crossed fled defected escaped entered reached")
_PLACE = re.compile(r"(?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|The|A|Last|This)\b)[A-Z][a-z]+")
_AGED = re.compile(r"(?:%|\bpercent|\bper cent)\s+(?:were|are|was|is)(?:\s+aged)?(?:\s+(?:under|over|above|below))?$")
_AGES_RANGING = re.compile(r"\bages?\s+(?:ranging|range|ranged|between|from)\b", re.I)
_GROUP_VERBS = _words(
    "were was are is had have has spent arrived fled left met intended included remain remained will would could "
    "said told made flew landed went came got"
)
_RATIO_VERBS = _words("shot fired hit stabbed visited called tried attempted arrested searched raided struck")
_MONEY_AFTER = re.compile(
    r"^\W*(?:the\s+|to\s+|its\s+|their\s+)?(?:[a-z]+\s+)?(?:cash|fees?|prices?|costs?|incentives?|subsid\w+|pay|wages?|salar\w+|budget|\$|won\b)",
    re.I,
)


def _listed_year(toks: list[Token], m: Mention) -> bool:
    """A spelled "one" in a list of counts by year: "one in 2016, one in 2015 and two in 2012"."""
    after = toks[m.last : m.last + 2]
    return (
        len(after) == 2
        and after[0].low == "in"
        and is_year(after[1])
        and m.first > 0
        and toks[m.first - 1].text in (":", ",")
    )


def _age_list(toks: list[Token], m: Mention) -> bool:
    """A number listed after an age: "ages 12 and 17"."""
    back = [t.low for t in toks[max(m.first - 3, 0) : m.first]]
    return len(back) == 3 and back[0] in _AGE and toks[m.first - 2].kind == "num" and back[2] in ("and", ",")


def _name_age(toks: list[Token], m: Mention, prev: Token | None, nxt: str) -> bool:
    """An age after a name: "says Jang, 27."."""
    if prev is None or prev.text != "," or m.first < 2 or nxt not in (".", ",", ")", ""):
        return False
    name = toks[m.first - 2]
    return name.kind == "word" and name.text[:1].isupper() and name.low not in _LEADERS


def _plausible_ratio(toks: list[Token], m: Mention, vocab: Vocabulary) -> bool:
    """A multiplier of people: not "shot five times", "Read 12,408 times", nor "double the cash incentives"."""
    if m.value is not None and m.value > 100:
        return False
    prev = toks[m.first - 1].low if m.first > 0 else ""
    if prev in _RATIO_VERBS:
        return False
    after = " ".join(t.text for t in toks[m.last : m.last + 4])
    return _MONEY_AFTER.match(after) is None


def _paired(toks: list[Token], m: Mention, vocab: Vocabulary) -> bool:
    """A spelled "one" counted beside another count of people: "one man and 37 women"."""
    if not _people_after(toks, m, vocab, 3):
        return False
    near = toks[max(m.first - 6, 0) : m.first] + toks[m.last : m.last + 6]
    return any(t.kind == "num" for t in near) and any(t.low == "and" for t in near)


def _window(toks: list[Token], m: Mention, after: bool) -> str:
    """The words right after (or before) a mention, up to a clause break or another number."""
    picked: list[str] = []
    # "80 percent of North Korean defectors in the South are women"; "Forty of last year's arrivals were men"
    reach = 10 if m.kind == "percent" else 7
    rng = range(m.last, min(m.last + reach, len(toks))) if after else range(m.first - 1, max(m.first - 7, -1), -1)
    for k in rng:
        t = toks[k]
        if (t.kind == "punct" and t.text != "-") or t.kind == "num" or t.low in _STOP:
            break
        picked.append(t.text)
    return " ".join(picked if after else reversed(picked))


def _subject(before: str, after: str, m: Mention, vocab: Vocabulary) -> str | None:
    """The subgroup named as the clause's subject or predicate: "Women made up the majority, at 210";
    "72 percent of the 34,078 defectors ... are women"."""
    words = vocab.subgroup_words
    subject = re.compile(
        rf"\b({words})[\s,]+(?:[a-z]+[\s,]+){{0,3}}?(?:made|make|making|accounted|account|accounting|comprised|represented)\b",
        re.I,
    )
    hits = list(subject.finditer(before))
    if hits:
        return vocab.subgroups[hits[-1].group(1).lower()]
    if m.kind == "count":  # "Some 164 of the 196 arrivals in 2023 were women", "The vast majority, 1,121, were women"
        tail = re.match(
            rf"\s+of\s+(?:the\s+)?[0-9][0-9,]*\s+(?:[a-z0-9]+\s+){{0,5}}?(?:are|were)\s+({words})\b"
            rf"|\s*,?\s*(?:are|were)\s+({words})\b",
            after,
            re.I,
        )
    else:
        # "was a member of the elite", "were in their 20s"
        tail = re.search(rf"\b(?:are|were|is|was)\s+(?:[a-z]+\s+){{0,4}}?({words})\b", after, re.I)
    if tail:
        return vocab.subgroups[(tail.group(1) or tail.group(2)).lower()]
    return None


def subgroup(
    toks: list[Token], m: Mention, vocab: Vocabulary, before: str = "", after_text: str = "", lead: str = ""
) -> str | None:
    """The subgroup a figure counts or splits (women, men, elite, other), from the words around it; ``lead``: the
    sentence before the number, whose subject names what its shares split ("The share of men fell from half to 15
    percent")."""
    named = [n.group(1) for n in _NUMBER_OF.finditer(before)]  # "the number of elite defectors, ..., reached 10"
    if not named and m.kind != "count":
        named = [n.group(1) for n in _NUMBER_OF.finditer(lead) if n.group(0).lower().startswith(("share", "propor"))]
    after, ahead = _window(toks, m, True).lower().split(), _window(toks, m, False).lower().split()
    for words in (after, ahead[::-1], *(n.lower().split() for n in named[-1:])):
        hits = [vocab.subgroups[w] for w in words if w in vocab.subgroups]
        hits += [g for phrase, g in vocab.subgroups.items() if " " in phrase and phrase in " ".join(words)]
        if hits:
            return hits[0]
    return _subject(before, after_text, m, vocab)


def sense(toks: list[Token], m: Mention) -> Sense | None:
    """Change or share for a percent or ratio; None for counts."""
    if m.kind == "count":
        return None
    if m.kind == "ratio" and _OF_EARLIER.match(_near(toks, m.last, m.last + 5)):
        return "change"  # "one-third of the peak seen in 2009", "half the previous year's": against another time
    if m.sense is not None:
        return m.sense
    before = _near(toks, m.first - 5, m.first)
    wide = _near(toks, m.first - 7, m.first)  # two words more, so that "made up 210, or 90 percent" sees "made"
    hits = [h for h in _CHANGE_BEFORE.finditer(wide) if h.start() >= len(wide) - len(before)]
    before = wide
    hit = hits[-1] if hits else None
    if hit is not None and not re.search(r"\b(?:to|from|at|reaching|reached|hitting|hit)\b", before[hit.end() :]):
        return "change"
    after = _near(toks, m.last, m.last + 4)
    placed = m.last + 1 < len(toks) and toks[m.last].low == "from" and _PLACE.match(toks[m.last + 1].text)
    if _CHANGE_AFTER.match(after) and not placed:  # not "28 percent from Ryanggang"
        return "change"
    return "share"
