"""Article body extraction: trafilatura with a readability second opinion, then page furniture removed."""

from __future__ import annotations

import logging
from typing import Any

import trafilatura

from pipeline.extract.choice import Extraction, choose
from pipeline.extract.cleanup import remove_boilerplate
from pipeline.extract.readable import readability_text

__all__ = ["Extraction", "article_body", "choose", "readability_text", "remove_boilerplate"]

log = logging.getLogger(__name__)


def article_body(tree: Any, url: str | None = None, *, author: str | None = None) -> Extraction:
    """The article text of a parsed page (``tree`` is left as it was) and the extractor it came from."""
    # fast: trafilatura's own fallback is a readability fork and justext; the second opinion below replaces
    # it (measured on the Zyte pages: F1 0.970 instead of 0.974, but 35 ms a page instead of 55, within 2x default)
    doc: Any = trafilatura.bare_extraction(
        tree, url=url, favor_precision=True, fast=True, include_tables=True, include_comments=False
    )
    own = (doc.text or "").strip() if doc is not None else ""
    chosen = choose(own, readability_text(tree))
    log.debug("%s: %s text chosen", url, chosen.method)
    return Extraction(remove_boilerplate(chosen.text, author), chosen.method)
