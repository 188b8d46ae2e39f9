"""Pandera schemas, one per table (keys from ``pipeline.warehouse.tables``), each check with the reason it gives."""

from pandera.pandas import DataFrameSchema

from schemas.articles import ARTICLES
from schemas.entries import ENTRIES
from schemas.figures import FIGURES
from schemas.pages import PAGES
from schemas.quarantine import QUARANTINE

SCHEMAS: dict[str, DataFrameSchema] = {s.name: s for s in (ARTICLES, ENTRIES, FIGURES, PAGES, QUARANTINE)}

__all__ = ["ARTICLES", "ENTRIES", "FIGURES", "PAGES", "QUARANTINE", "SCHEMAS"]
