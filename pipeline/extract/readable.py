"""The second opinion: readability-lxml's main block, as plain text with one line per block."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
from readability import Document  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

_BLOCK_TAG = re.compile(
    r"address|article|aside|blockquote|br|dd|div|dl|dt|fig(caption|ure)|footer|h[1-6]|header|li|main|ol|p|pre|section|t[dhr]|table|ul"
)


def readability_text(tree: lxml.html.HtmlElement) -> str:
    """The text of the block readability-lxml takes for the article in ``tree`` (left as it was); empty if none."""
    try:
        # a copy of the parsed page, not the HTML string: parsing again costs more than copying
        summary = Document(copy.deepcopy(tree)).summary(html_partial=True)
    except Exception as error:  # readability raises bare Exceptions on documents it cannot score
        log.debug("readability failed: %s", error)
        return ""
    if not summary.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(summary, create_parent="div")
    except (lxml.etree.ParserError, ValueError) as error:
        log.debug("readability summary unparseable: %s", error)
        return ""
    lines = (" ".join(line.split()) for line in "".join(_pieces(root)).split("\n"))
    return "\n".join(line for line in lines if line)


def _pieces(element: lxml.html.HtmlElement) -> Iterator[str]:
    # block elements become line breaks, so paragraphs stay lines as in trafilatura's output
    block = _BLOCK_TAG.fullmatch(element.tag) is not None
    if block:
        yield "\n"
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str):
            yield from _pieces(child)
        if child.tail:
            yield child.tail
    if block:
        yield "\n"
