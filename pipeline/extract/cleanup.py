"""Remove lines that are page furniture, not article: share bars, teasers, captions, stamps, repeated bylines."""

from __future__ import annotations

import re

_SHORT_WORDS = 12  # furniture lines are short; a long line that matches is a sentence of the article
_CAPTION_WORDS = 30

# a whole line that is a widget label or call to action
_FURNITURE = re.compile(
    r"(advertisement|advertising|ad|video|videos|watch|listen|comments?|\d+ comments?|loading comments|"
    r"view comments|show comments|user comments|leave a (comment|reply)|like|like this|like loading|loading|"
    r"share|share this( article| story| post)?|sharing is caring|text size|print|email|"
    r"related|related (articles|stories|content|posts|coverage|topics)|more stories|more on this( story)?|"
    r"recommended( for you| stories)?|you (may|might) also like|don't miss|do not miss|trending( now)?|"
    r"most (read|popular|viewed)( [\w ]+)?|more great [\w ]+ stories|also|see also|read more|read next|up next|"
    r"sign up|subscribe|subscribe now|newsletter|tags?|topics?|filed under|back to top|skip( to)? (content|ad))",
    re.IGNORECASE,
)
# a short line that leads in to another story
_TEASER = re.compile(
    r"\[?(read more|related|see also|also read|read also|recommended|more|watch|listen|most read|"
    r"you may also like|don't miss|further reading)\s*[:|\]]",
    re.IGNORECASE,
)
_SOCIAL = re.compile(
    r"((share|tweet|pin|email|print|copy link|facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|"
    r"flipboard|messenger|telegram|on|this|article|link)[\s,|/·•]*)+",
    re.IGNORECASE,
)
# a share bar's counters: "Read 12,408 times", "37 comments", "Share 1.2k", "Views 3,004", "Likes: 45", with share
# buttons between them ("Print", "Tweet"); the whole line must be made of them
_COUNT = r"\d{1,3}(?:[,.\s]\d{3})+|\d+(?:[.,]\d+)?\s?[kmb]?\+?"
_COUNTED = (
    r"views?|viewed|reads?|readers|comments?|shares?|shared|likes?|liked|tweets?|retweets?|pins?|reactions?|"
    r"repl(?:y|ies)|responses?|claps?|votes?|hits|visits|saves?|bookmarks?|times"
)
_BUTTON = (
    r"share|tweet|pin|email|e-mail|print|copy link|facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|"
    r"flipboard|messenger|telegram|comment|like|save|bookmark|reply"
)
_COUNTER = (
    rf"(?:(?:read|viewed|seen|shared|liked)\s+(?:{_COUNT})\s+times|(?:{_COUNT})\s*(?:{_COUNTED})|"
    rf"(?:{_COUNTED})\s*[:=(]?\s*(?:{_COUNT})\)?)"
)
_SEPARATORS = r"[^\w]*"  # spaces, dots, bars, bullets and icons between the items
_BAR = rf"(?:{_SEPARATORS}(?:{_COUNTER}|{_BUTTON})\b)+{_SEPARATORS}"
_COUNTER_BAR = re.compile(_BAR, re.I)
_HAS_COUNTER = re.compile(_COUNTER, re.I)
# the same bar run into the end of a paragraph by the extractor: "...said Tuesday. Read 12,408 times · 37 comments"
_TRAILING_BAR = re.compile(rf"(?<=[.!?\"”’)])\s+(?={_SEPARATORS}(?:{_COUNTER})){_BAR}$", re.I)
_BAR_CHARS = 200  # longer lines are article text, whatever words they use
_CREDIT = re.compile(
    r"\b(photo|photograph|image|picture|illustration|video|graphic)s?\s*(:|by\b|credit|courtesy)|"
    r"\bcredit\s*:|©|\(c\)\s|\bgetty images\b|\bshutterstock\b|\bistock\b|"
    r"\b(ap|afp|reuters|epa|pa)\s*(photo|images)\b|/\s*(ap|afp|reuters|epa|getty)\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"(by|posted by|written by|words by)\s+[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3}([,;]| and |$)")
# words a time stamp is made of: months, weekdays, clock words, zones, "published"/"updated"
_STAMP_WORD = re.compile(
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?|"
    r"[\d:/.,-]+|a\.?m\.?|p\.?m\.?|[a-z]?[ecmp][sd]?t|gmt|utc|bst|cet|cest|amt|ist|jst|kst|"
    r"published|updated|posted|modified|last|on|at|hours?|minutes?|ago|\|",
    re.IGNORECASE,
)
_STAMP_ANCHOR = re.compile(
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?|(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?|"
    r"\d{1,2}[:.]\d{2}([ap]m)?,?|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?",
    re.IGNORECASE,
)


def remove_boilerplate(text: str, author: str | None = None) -> str:
    """``text`` without the lines that are furniture of the page rather than the article."""
    kept = [_without_trailing_bar(line) for line in text.split("\n") if not is_furniture(line, author)]
    return "\n".join(kept).strip()


def is_furniture(line: str, author: str | None = None) -> bool:
    """Whether one line of extracted text is a share bar, teaser, caption credit, time stamp or byline."""
    stripped = line.strip().strip("-–—•·|*>:. ")
    if not stripped:
        return False
    if is_counter_bar(stripped):
        return True
    words = stripped.split()
    if len(words) <= _SHORT_WORDS and (
        _FURNITURE.fullmatch(stripped)
        or _TEASER.match(stripped)
        or _SOCIAL.fullmatch(stripped)
        or _is_stamp(words)
        or _BYLINE.match(stripped)
        or (author is not None and _names_author(stripped, author))
    ):
        return True
    return len(words) <= _CAPTION_WORDS and _CREDIT.search(stripped) is not None


def is_counter_bar(line: str) -> bool:
    """Whether a line is only view, read, comment, share or like counters and share buttons ("Read 12,408 times")."""
    return (
        len(line) <= _BAR_CHARS and _COUNTER_BAR.fullmatch(line) is not None and _HAS_COUNTER.search(line) is not None
    )


def _without_trailing_bar(line: str) -> str:
    """A paragraph without a counter bar run into its end after the last sentence."""
    tail = line[-_BAR_CHARS:]
    found = _TRAILING_BAR.search(tail)
    return line[: len(line) - len(tail) + found.start()] if found else line


def _is_stamp(words: list[str]) -> bool:
    # a date line is made of date words only, with a month, a weekday, a clock time or a numeric date among them
    return all(_STAMP_WORD.fullmatch(word) for word in words) and any(_STAMP_ANCHOR.fullmatch(w) for w in words)


def _names_author(line: str, author: str) -> bool:
    names = [name.strip() for name in re.split(r";|,| and ", author) if len(name.strip()) > 3]
    return (
        bool(names)
        and len(line.split()) <= 3 * max(len(n.split()) for n in names) + 2
        and any(name.lower() in line.lower() for name in names)
    )
