"""Schema of the ``entries`` table."""

from __future__ import annotations

import pandera.pandas as pa

from pipeline.warehouse.tables import key
from schemas._checks import PRECISIONS, URL_PATTERN

ENTRIES = pa.DataFrameSchema(
    {
        "url": pa.Column(str, pa.Check.str_matches(URL_PATTERN, description="entry URL is not absolute http(s)")),
        "feed": pa.Column(str, pa.Check.str_length(min_value=1)),
        "topic": pa.Column(str, pa.Check.str_length(min_value=1)),
        "guid": pa.Column(str, pa.Check.str_length(min_value=1, description="entry has no guid")),
        "title": pa.Column(str, nullable=True),
        "published_at": pa.Column("datetime64[us, UTC]", nullable=True),
        "published_precision": pa.Column(str, pa.Check.isin(PRECISIONS), nullable=True),
        "summary": pa.Column(str, nullable=True),
        "first_seen_at": pa.Column("datetime64[us, UTC]"),
        "run_id": pa.Column(str),
    },
    unique=key("entries"),
    coerce=True,
    strict=True,
    name="entries",
)
