"""Hedges: the words around a number that say it is approximate, a floor or a ceiling."""

from __future__ import annotations

from pipeline.figures.numbers import Mention, Token, couple
from pipeline.records import Hedge

_BEFORE: dict[str, Hedge] = {
    "about": "approximate",
    "around": "approximate",
    "some": "approximate",
    "roughly": "approximate",
    "nearly": "approximate",
    "almost": "approximate",
    "close to": "approximate",
    "approximately": "approximate",
    "approx": "approximate",
    "an estimated": "approximate",
    "estimated": "approximate",
    "circa": "approximate",
    "roughly about": "approximate",
    "just about": "approximate",
    "close on": "approximate",
    "more than": "at_least",
    "over": "at_least",
    "surpassed": "at_least",
    "surpass": "at_least",
    "exceed": "at_least",
    "top": "at_least",
    "topped": "at_least",
    "exceeding": "at_least",
    "exceeded": "at_least",
    "exceeds": "at_least",
    "tops": "at_least",
    "above": "at_least",
    "at least": "at_least",
    "upwards of": "at_least",
    "upward of": "at_least",
    "in excess of": "at_least",
    "well over": "at_least",
    "just over": "at_least",
    "greater than": "at_least",
    "surpassing": "at_least",
    "topping": "at_least",
    "passed": "at_least",
    "crossed": "at_least",
    "surpassed the": "at_least",
    "topped the": "at_least",
    "passed the": "at_least",
    "crossed the": "at_least",
    "exceeded the": "at_least",
    "more than a": "at_least",
    "no fewer than": "at_least",
    "no less than": "at_least",
    "not fewer than": "at_least",
    "not less than": "at_least",
    "a little over": "at_least",
    "a little more than": "at_least",
    "slightly more than": "at_least",
    "shy of": "at_most",
    "just shy of": "at_most",
    "slightly fewer than": "at_most",
    "less than": "at_most",
    "under": "at_most",
    "fewer than": "at_most",
    "up to": "at_most",
    "below": "at_most",
    "at most": "at_most",
    "no more than": "at_most",
    "just under": "at_most",
    "not more than": "at_most",
    "as many as": "at_most",
    "a maximum of": "at_most",
    "just below": "at_most",
    "less than a": "at_most",
    "around the": "approximate",
    "about the": "approximate",
    "near the": "approximate",
    "breached": "at_least",
    "breached the": "at_least",
    "above the": "at_least",
    "over the": "at_least",
    "the upper range of the": "at_least",
    "below the": "at_most",
    "under the": "at_most",
    "below the monthly average of": "at_most",
    "a total of": "exact",
    "exactly": "exact",
    "only": "exact",
    "just": "exact",
    "between": "exact",
    "roughly between": "approximate",
    "approximately between": "approximate",
    "somewhere between": "approximate",
    "about between": "approximate",
}
_AFTER: dict[str, Hedge] = {
    "or more": "at_least",
    "or so": "approximate",
    "+": "at_least",
    "plus": "at_least",
    "-plus": "at_least",
    "or fewer": "at_most",
    "or less": "at_most",
    "-odd": "approximate",
}
_LONGEST = max(len(k.split()) for k in _BEFORE)
# "revised up to 2,402", "inched up to 67": "up" belongs to the verb, so "to" is not a ceiling
_MOVED = frozenset(
    (
        "went", "rose", "shot", "crept", "moved", "go", "goes", "move", "moves", "come", "came", "revised", "inched",
        "edged", "climbed", "jumped", "ticked", "rounded", "picked", "ramped", "stepped", "bumped", "crawled", "went",
    )
)  # fmt: skip


def _phrase(toks: list[Token], start: int, stop: int) -> str:
    return " ".join(t.low for t in toks[start:stop])


def _estimated(toks: list[Token], mention: Mention) -> bool:
    """Whether an estimate verb governs the number: "estimated that 2 million", "are estimated to have"."""
    before = [t.low for t in toks[max(mention.first - 4, 0) : mention.first]]
    after = [t.low for t in toks[mention.last : mention.last + 5]]
    near_before = any(w.startswith("estimat") for w in before) and "," not in before
    return near_before or any(w in ("estimated", "estimates") for w in after[:4])


def hedge(toks: list[Token], mention: Mention) -> tuple[Hedge, int, int]:
    """The hedge of a mention and the span widened to cover the hedging words: (hedge, start, end)."""
    found: Hedge = "exact"
    start, end = mention.start, mention.end
    for n in range(min(_LONGEST, mention.first), 0, -1):
        phrase = _phrase(toks, mention.first - n, mention.first)
        if phrase in _BEFORE:
            found = _BEFORE[phrase]
            verb = toks[mention.first - n - 1].low if mention.first > n else ""
            if phrase == "up to" and verb in _MOVED:
                found = "exact"
                break
            if found == "at_least" and verb in ("not", "never", "no"):
                found = "at_most"  # "will likely not surpass 1,000"
            # "A total of 196" quotes the number; hedging words are part of what the text states
            start = toks[mention.first - n].start if found != "exact" or phrase == "between" else start
            break
    if found == "exact" and couple(toks, mention.first):
        found = "approximate"  # "a couple hundred"
    if found == "exact" and _estimated(toks, mention):
        found = "approximate"  # "sources estimated that 2 million", "12 were estimated to have entered"
    for n in (2, 1):
        last = mention.last + n
        if last > len(toks):
            continue
        words = toks[mention.last : last]
        phrase = "".join(t.low for t in words) if words[0].low == "-" else _phrase(toks, mention.last, last)
        if phrase in _AFTER and (words[0].start - mention.end) <= 1:
            return (_AFTER[phrase] if found == "exact" else found), start, words[-1].end
    return found, start, end
