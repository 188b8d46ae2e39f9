"""URL and text helpers every fetching module shares: a link made canonical, markup made plain text."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url


def canonical_url(link: str) -> str | None:
    """An http(s) link normalised, without tracking parameters or fragment; None if unusable."""
    try:
        parts = urlsplit(link.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return None
        return str(normalize_url(urlunsplit(parts._replace(fragment=""))))
    except ValueError:
        return None


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(markup: str) -> str:
    """Markup reduced to its text, entities decoded and whitespace collapsed."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return " ".join("".join(collector.parts).split())
