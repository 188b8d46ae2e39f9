"""Schema of the ``articles`` table."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipeline.warehouse.tables import key
from schemas._checks import PRECISIONS, SHA256_PATTERN, URL_PATTERN, wide

STATUSES = ["ok", "no_article"]
PUBLISHED_SOURCES = ["feed", "html-meta", "htmldate", "url", "none"]


def _text_when_ok(df: pd.DataFrame) -> pd.Series:
    return (df["status"] != "ok") | (df["text"].str.strip().str.len() > 0)


def _not_published_in_future(df: pd.DataFrame) -> pd.Series:
    return df["published_at"].isna() | (df["published_at"] <= df["extracted_at"])


ARTICLES = pa.DataFrameSchema(
    {
        "url": pa.Column(str, pa.Check.str_matches(URL_PATTERN, description="URL is not absolute http(s)")),
        "body_sha256": pa.Column(str, pa.Check.str_matches(SHA256_PATTERN, description="not a sha256 digest")),
        "status": pa.Column(str, pa.Check.isin(STATUSES, description="unknown article status")),
        "reason": pa.Column(str, nullable=True),
        "title": pa.Column(str, nullable=True),
        "author": pa.Column(str, nullable=True),
        "published_at": pa.Column("datetime64[us, UTC]", nullable=True),
        "published_source": pa.Column(str, pa.Check.isin(PUBLISHED_SOURCES)),
        "published_precision": pa.Column(str, pa.Check.isin(PRECISIONS), nullable=True),
        "site_name": pa.Column(str, nullable=True),
        "language": pa.Column(str, nullable=True),
        "canonical_url": pa.Column(str, nullable=True),
        "text": pa.Column(str),
        "extraction_method": pa.Column(str),
        "extracted_at": pa.Column("datetime64[us, UTC]"),
        "run_id": pa.Column(str),
        "figures_version": pa.Column(str, nullable=True),
    },
    checks=[
        wide("text_when_ok", "text", "article marked ok but its text is empty", _text_when_ok),
        wide(
            "published_not_in_future",
            "published_at",
            "publication date is after the article was fetched",
            _not_published_in_future,
        ),
    ],
    unique=key("articles"),
    coerce=True,
    strict=True,
    name="articles",
)
