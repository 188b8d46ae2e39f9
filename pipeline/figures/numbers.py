"""Tokens and numbers: digits, words ("two hundred and twenty-four"), broadcast style ("two-thousand-914")."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from text_to_num import text2num

from pipeline.records import Kind, Sense

_TOKEN = re.compile(
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    r"|(?P<word>[A-Za-z]+(?:['’][A-Za-z]+)?)|(?P<punct>\S)"
)
UNITS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])}
TEENS = {
    w: i + 10
    for i, w in enumerate(
        [
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
TENS = {
    w: (i + 2) * 10
    for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])
}
SCALES = {
    "hundred": 100,
    "thousand": 1000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    "dozen": 12,
}
_FOLD = {f"{w}fold": v for w, v in {**UNITS, **TEENS, **TENS}.items() if v >= 2}
_MULTIPLY = {
    "doubled": 2,
    "doubling": 2,
    "doubles": 2,
    "tripled": 3,
    "tripling": 3,
    "triples": 3,
    "quadrupled": 4,
    "quadrupling": 4,
    "quadruples": 4,
    "halved": 0.5,
    "halving": 0.5,
    **_FOLD,
}
_BARE_MULTIPLY = {
    "double": 2,
    "twice": 2,
    "thrice": 3,
    "triple": 3,
    "quadruple": 4,
    "half": 0.5,
}  # only before "the", "that", "of"...
_COMPARATIVE = frozenset(
    [
        "the",
        "as",
        "more",
        "higher",
        "larger",
        "greater",
        "bigger",
        "that",
        "than",
        "what",
        "over",
        "increase",
        "increases",
        "jump",
        "rise",
        "those",  # "nearly three times those in 2022"
        "its",
        "their",
        "last",
        "previous",
    ]
)
_PERCENT = frozenset(("percent", "pct", "percentage"))


@dataclass(frozen=True)
class Token:
    """A word, number or punctuation mark with its offsets."""

    start: int
    end: int
    text: str
    kind: str  # num | word | punct

    @property
    def low(self) -> str:
        """Lower-cased text."""
        return self.text.lower()


@dataclass(frozen=True)
class Mention:
    """A number stated in the text, before deciding whether it is a figure."""

    first: int  # token index of the first token
    last: int  # token index after the last token
    start: int
    end: int
    kind: Kind
    value: float | None
    low: float | None = None
    high: float | None = None
    sense: Sense | None = None
    spelled: bool = False
    ratio_word: bool = False  # "tripled", "three times": a multiplier, not a count


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Tokens of ``text``; offsets are shifted by ``offset``."""
    return [
        Token(m.start() + offset, m.end() + offset, m.group(), m.lastgroup or "punct") for m in _TOKEN.finditer(text)
    ]


def _atom(tok: Token) -> tuple[str, float] | None:
    low = tok.low
    if tok.kind == "num":
        return ("num", float(tok.text.replace(",", "")))
    for table, kind in ((UNITS, "unit"), (TEENS, "unit"), (TENS, "tens"), (SCALES, "scale")):
        if low in table:
            return (kind, float(table[low]))
    return None


def _may_follow(last: str | None, last_scale: float, kind: str, value: float) -> bool:
    if last is None:
        return kind != "scale"
    if last in ("num", "unit"):
        return kind == "scale"
    if last == "tens":
        return kind == "scale" or (kind == "unit" and value < 10)
    return value < last_scale if kind != "scale" else value > last_scale


def _joined(toks: list[Token], j: int, text: str, base: int) -> int | None:
    """Index of the token continuing a number after token ``j`` (across a space, hyphen or "and"), if any."""
    k = j + 1
    if k >= len(toks):
        return None
    gap = text[toks[j].end - base : toks[k].start - base]
    if gap not in ("", " "):
        return None
    if toks[k].text == "-" and gap == "" and k + 1 < len(toks) and toks[k + 1].start == toks[k].end:
        hyphened_and = k + 3 < len(toks) and toks[k + 1].low == "and" and toks[k + 2].text == "-"
        if hyphened_and and toks[k + 3].start == toks[k + 2].end and _atom(toks[k + 3]):
            return k + 3  # "two-hundred-and-36"
        return k + 1
    if toks[k].low == "and" and k + 1 < len(toks) and _atom(toks[k + 1]) and toks[k + 1].kind == "word":
        return k + 1
    return k if gap == " " or toks[k].kind != toks[j].kind else None


def couple(toks: list[Token], i: int) -> bool:
    """Whether "a couple hundred" (or thousand) starts at token ``i``."""
    return (
        i + 2 < len(toks)
        and toks[i].low == "a"
        and toks[i + 1].low == "couple"
        and toks[i + 2].low in ("hundred", "thousand")
    )


def read_number(toks: list[Token], i: int, text: str, base: int) -> tuple[int, float, bool] | None:
    """Read the number starting at token ``i``: (index after it, value, spelled out?)."""
    total, current, last, last_scale = 0.0, 0.0, None, 0.0
    words: list[str] = []
    j, end = i, None
    if toks[i].low in ("a", "an") and i + 1 < len(toks) and toks[i + 1].low in ("dozen", "hundred", "thousand"):
        current, last, j = 1.0, "unit", i + 1
        words.append("one")
    elif couple(toks, i):  # "a couple hundred" = about 200 (the hedge says "about")
        current, last, j = 2.0, "unit", i + 2
        words.append("two")
    at: int | None = j
    while at is not None and at < len(toks):
        j = at
        atom = _atom(toks[j])
        if atom is None or not _may_follow(last, last_scale, *atom):
            break
        kind, value = atom
        if kind == "scale" and value >= 1000:
            total, current, last_scale = total + (current or 1) * value, 0.0, value
        elif kind == "scale":
            current, last_scale = (current or 1) * value, value
        else:
            current += value
        words.append(toks[j].low)
        last, end = kind, j + 1
        at = _joined(toks, j, text, base)
    if end is None:
        return None
    spelled = any(toks[k].kind == "word" for k in range(i, end))
    value = total + current
    if spelled and all(w.isalpha() for w in words) and "dozen" not in words:
        with contextlib.suppress(ValueError):  # text2num is the reference parser for spelled-out numbers
            value = float(text2num(" ".join(words), "en"))
    return end, value, spelled
