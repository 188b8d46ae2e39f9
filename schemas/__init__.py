"""Pandera schemas, one per warehouse table, with the reason each named check gives to the on-call engineer."""

from schemas.articles import ARTICLES
from schemas.figures import FIGURES

__all__ = ["ARTICLES", "FIGURES"]
