"""Find number mentions in a sentence: counts, ranges, percentages and multipliers, with their spans."""

from __future__ import annotations

from pipeline.figures.numbers import (
    _BARE_MULTIPLY,
    _COMPARATIVE,
    _MULTIPLY,
    _PERCENT,
    SCALES,
    TEENS,
    TENS,
    UNITS,
    Mention,
    Token,
    read_number,
)
from pipeline.records import Kind, Sense

# Words that may start a number mention; anything else (but digits) is skipped without a closer look.
STARTS = frozenset(
    [*UNITS, *TEENS, *TENS, *SCALES, *_MULTIPLY, *_BARE_MULTIPLY, "a", "an", "single", "double", "triple", "two"]
)
_DIGITS = {"single": (1.0, 9.0), "double": (10.0, 99.0), "triple": (100.0, 999.0)}
_PARTS = {"third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5, "fifths": 5, "tenth": 10, "tenths": 10}
_RANGE_JOINS = frozenset(("-", "–", "—", "to"))
_NOT_HALF = frozenset(["first", "second", "latter", "other", "a", "and", "one"])
_AFTER_BARE = frozenset(["the", "that", "of", "as", "what", "its", "their", "this", "last"])
_HEDGED = frozenset(["nearly", "almost", "about", "around", "roughly", "some", "just", "over", "under", "from", "to"])
_ENDS = frozenset(["in", ",", ".", "to", ";", "—"])


def is_year(tok: Token) -> bool:
    """A bare four-digit number that reads as a calendar year."""
    return tok.kind == "num" and tok.text.isdigit() and len(tok.text) == 4 and 1900 <= int(tok.text) <= 2100


def _adjacent(toks: list[Token], a: int, b: int, text: str, base: int, spaces: int = 1) -> bool:
    """Whether tokens ``a`` and ``b`` are separated by at most ``spaces`` spaces and nothing else."""
    if b >= len(toks):
        return False
    gap = text[toks[a].end - base : toks[b].start - base]
    return len(gap) <= spaces and gap.strip() == ""


def _unit(toks: list[Token], j: int, text: str, base: int) -> tuple[Kind, int, Sense | None] | None:
    """The percent or multiplier unit after a number ending before token ``j``: (kind, index after, sense)."""
    if not _adjacent(toks, j - 1, j, text, base):
        return None
    low = toks[j].low
    if low == "%":
        return ("percent", j + 1, None)
    if low == "-" and _adjacent(toks, j, j + 1, text, base, 0):
        j, low = j + 1, toks[j + 1].low
        if low == "fold":
            return ("ratio", j + 1, "change")
    if low in _PERCENT:
        more = j + 1 if low == "percentage" and j + 1 < len(toks) and toks[j + 1].low.startswith("point") else j
        return ("percent", more + 1, "change" if more > j else None)
    if low == "per" and j + 1 < len(toks) and toks[j + 1].low == "cent":
        return ("percent", j + 2, None)
    if low == "fold":
        return ("ratio", j + 1, "change")
    if low == "times":
        after = toks[j + 1].low if j + 1 < len(toks) else "."
        if after in _COMPARATIVE or toks[j + 1 if j + 1 < len(toks) else j].kind in ("punct", "num"):
            return ("ratio", j + 1, "change")
    return None


def _word_ratio(toks: list[Token], i: int) -> Mention | None:
    """Multipliers written as one word: tripled, fourfold, halved, "double the", "half of"."""
    tok, low = toks[i], toks[i].low
    if low in _MULTIPLY:
        return Mention(i, i + 1, tok.start, tok.end, "ratio", float(_MULTIPLY[low]), sense="change", ratio_word=True)
    nxt = toks[i + 1].low if i + 1 < len(toks) else ""
    prev = toks[i - 1].low if i > 0 else ""
    # "nearly half in 2002", "from half to a third": a hedge or a change's ends mark a bare "half" as a figure
    marked = nxt in _AFTER_BARE or prev in ("by", "than") or (low == "half" and prev in _HEDGED and nxt in _ENDS)
    if low in _BARE_MULTIPLY and marked and prev not in _NOT_HALF:
        sense: Sense = "share" if low == "half" and (nxt == "of" or nxt in _ENDS) else "change"
        return Mention(i, i + 1, tok.start, tok.end, "ratio", _BARE_MULTIPLY[low], sense=sense, ratio_word=True)
    return None


def _fraction(toks: list[Token], i: int) -> Mention | None:
    """Fractions of a group: "a third of", "one-third", "two-thirds", "one-quarter to one-fifth" (a share)."""
    low = toks[i].low
    count = {"a": 1, "one": 1, "two": 2, "three": 3}.get(low)
    if count is None:
        return None
    k = i + 2 if i + 2 < len(toks) and toks[i + 1].text == "-" else i + 1
    if k >= len(toks) or toks[k].low not in _PARTS:
        return None
    after = toks[k + 1].low if k + 1 < len(toks) else ""
    if toks[k].low.startswith("quarter") and after != "of" and low == "a":
        return None  # "a quarter" of a year is a period
    by = i > 0 and toks[i - 1].low == "by"  # "up by a third", "fell by two-thirds": a change of that size
    if (
        not by
        and after not in ("of", "to", "and", "or", "as", "", ".", ",", "-", "—", "–")
        and toks[k + 1].kind == "word"
    ):
        return None  # "via a third country": an ordinal, not a share
    value = round(count / _PARTS[toks[k].low], 4)
    if by:
        return Mention(
            i, k + 1, toks[i].start, toks[k].end, "ratio", value, sense="change", spelled=True, ratio_word=True
        )
    if after == "to" and k + 2 < len(toks):  # "one-quarter to one-fifth"
        upper = _fraction(toks, k + 2)
        if upper is not None and upper.value is not None:
            bounds = sorted((value, upper.value))
            end = upper.last
            return Mention(
                i,
                end,
                toks[i].start,
                toks[end - 1].end,
                "ratio",
                None,
                bounds[0],
                bounds[1],
                sense="share",
                spelled=True,
                ratio_word=True,
            )
    return Mention(i, k + 1, toks[i].start, toks[k].end, "ratio", value, sense="share", spelled=True, ratio_word=True)


def _second(toks: list[Token], j: int, text: str, base: int) -> tuple[int, float, bool] | None:
    return read_number(toks, j, text, base) if j < len(toks) else None


def _code(toks: list[Token], j: int, low: float, high: float) -> bool:
    """Whether "low-high" joined by a bare hyphen reads as a code: four digits each, no separators, far apart."""
    a, b = toks[j - 1], toks[j + 1] if j + 1 < len(toks) else toks[j]
    plain = a.text.isdigit() and b.text.isdigit() and len(a.text) == len(b.text) == 4
    return toks[j].text == "-" and plain and a.end == toks[j].start and (high > 2 * low or high < low)


def _mention_at(toks: list[Token], i: int, text: str, base: int) -> tuple[Mention | None, int]:
    """The mention starting at token ``i`` (or None) and the index to continue from."""
    if toks[i].low in _DIGITS and i + 1 < len(toks):  # "fell to single digits", "a triple-digit level"
        k = i + 2 if toks[i + 1].text == "-" and i + 2 < len(toks) else i + 1
        if toks[k].low in ("digits", "digit"):
            low, high = _DIGITS[toks[i].low]
            end = k + 2 if k + 1 < len(toks) and toks[k + 1].low == "level" else k + 1
            return Mention(i, end, toks[i].start, toks[end - 1].end, "count", None, low, high), end
    fraction = _fraction(toks, i)
    if fraction is not None:
        return fraction, fraction.last
    word = _word_ratio(toks, i)
    if word is not None:
        return word, i + 1
    read = read_number(toks, i, text, base)
    if read is None:
        return None, i + 1
    j, value, spelled = read
    point = _spoken_point(toks, j)
    if point is not None:
        j, decimal = point
        value += decimal
    if j < len(toks) and toks[j].low == "k" and _adjacent(toks, j - 1, j, text, base, 0):
        j, value = j + 1, value * 1000
    unit = _unit(toks, j, text, base) if j < len(toks) else None
    if unit is not None:
        kind, after, sense = unit
        spread = _percent_range(toks, after, text, base, value) if kind == "percent" else None
        if spread is not None:
            end, high = spread
            return Mention(i, end, toks[i].start, toks[end - 1].end, "percent", None, value, high, spelled=spelled), end
        return Mention(
            i,
            after,
            toks[i].start,
            toks[after - 1].end,
            kind,
            value,
            sense=sense,
            spelled=spelled,
            ratio_word=kind == "ratio",
        ), after
    if j + 2 < len(toks) and toks[j].low in ("in", "out") and 0 < value <= 10:  # "1 in 10", "four out of five"
        k = j + 2 if toks[j].low == "out" and toks[j + 1].low == "of" else j + 1
        k = k + 1 if k < len(toks) and toks[k].low == "every" else k
        den = _second(toks, k, text, base)
        if den is not None and value < den[1] <= 1000 and not is_year(toks[k]):
            return Mention(
                i,
                den[0],
                toks[i].start,
                toks[den[0] - 1].end,
                "ratio",
                value / den[1],
                sense="share",
                spelled=spelled,
            ), den[0]
    prev = toks[i - 1].low if i > 0 else ""
    link = toks[j].low if j + 1 < len(toks) else ""
    ranging = prev == "from" and i > 1 and toks[i - 2].low.startswith(("rang", "var"))  # "ranged from 2,400 to 2,900"
    ranged = (link == "and" and prev == "between") or (link in _RANGE_JOINS and (prev != "from" or ranging))
    suspended = link == "-" and j + 2 < len(toks) and toks[j + 1].low == "to"  # "30- to 50,000"
    if suspended:
        hi = _second(toks, j + 2, text, base)
        if hi is not None and hi[1] >= 1000 > value:
            low = value * 1000 if hi[1] >= 1000 * value else value
            return Mention(
                i, hi[0], toks[i].start, toks[hi[0] - 1].end, "count", None, low, hi[1], spelled=spelled
            ), hi[0]
    close = (
        j + 1 < len(toks)
        and toks[j + 1].kind == "num"
        and value < float(toks[j + 1].text.replace(",", "") or 0) < 2 * value
    )
    if ranged and not (is_year(toks[i]) and not is_year(toks[j + 1]) and not close):
        hi = _second(toks, j + 1, text, base)
        if hi is not None and _code(toks, j, value, hi[1]):
            return None, hi[0]  # "1577-6635": a phone number or code, not a range
        if hi is not None and hi[1] > 100 * value and toks[hi[0] - 1].low in ("million", "thousand", "billion"):
            value *= SCALES[toks[hi[0] - 1].low]  # "between 1.5 and 3.5 million"
        if hi is not None and hi[1] > value:
            end = hi[0]
            if is_year(toks[i]) and is_year(toks[j + 1]):
                return None, end  # a span of years is a period, handled with the dates
            unit = _unit(toks, end, text, base) if end < len(toks) else None
            ranged_kind: Kind = unit[0] if unit else "count"
            end = unit[1] if unit else end
            return Mention(
                i, end, toks[i].start, toks[end - 1].end, ranged_kind, None, value, hi[1], spelled=spelled
            ), end
    return Mention(i, j, toks[i].start, toks[j - 1].end, "count", value, spelled=spelled), j


_DIGIT_WORDS = {**{w: v for w, v in UNITS.items()}, "oh": 0}


def _spoken_point(toks: list[Token], j: int) -> tuple[int, float] | None:
    """Broadcast decimals after a number: "15-point-six", "51-point-seven": (index after, the decimal part)."""
    if not (j + 2 < len(toks) and toks[j].text == "-" and toks[j + 1].low == "point" and toks[j + 2].text == "-"):
        return None
    k, digits = j + 3, ""
    while k < len(toks) and (toks[k].low in _DIGIT_WORDS or toks[k].text.isdigit()):
        digits += str(_DIGIT_WORDS.get(toks[k].low, toks[k].text))
        if k + 2 < len(toks) and toks[k + 1].text == "-" and toks[k + 2].low in _DIGIT_WORDS:
            k += 2
            continue
        k += 1
        break
    return (k, float("0." + digits)) if digits else None


def _percent_range(toks: list[Token], at: int, text: str, base: int, low: float) -> tuple[int, float] | None:
    """The upper bound of a percent range after its first percent: "76% to 84%", "20 percent-30 percent"."""
    if at + 1 >= len(toks) or toks[at].low not in ("to", "-", "–"):
        return None
    read = read_number(toks, at + 1, text, base)
    if read is None or read[1] <= low:
        return None
    unit = _unit(toks, read[0], text, base) if read[0] < len(toks) else None
    if unit is None or unit[0] != "percent":
        return None
    return unit[1], read[1]


def find(toks: list[Token], text: str, base: int) -> list[Mention]:
    """Every number mention in a sentence's tokens, in order."""
    found: list[Mention] = []
    i = 0
    while i < len(toks):
        if toks[i].kind != "num" and toks[i].low not in STARTS:  # most words cannot start a number: skip them fast
            i += 1
            continue
        mention, i = _mention_at(toks, i, text, base)
        if mention is not None:
            found.append(mention)
    return found
