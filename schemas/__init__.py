"""Pandera schemas, one per table, each check with the reason it gives to on-call."""

from schemas.articles import ARTICLES
from schemas.entries import ENTRIES
from schemas.figures import FIGURES
from schemas.pages import PAGES
from schemas.quarantine import QUARANTINE

__all__ = ["ARTICLES", "ENTRIES", "FIGURES", "PAGES", "QUARANTINE"]
