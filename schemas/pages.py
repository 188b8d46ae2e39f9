"""Schema of the ``pages`` table."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipeline.warehouse.tables import key
from schemas._checks import SHA256_PATTERN, URL_PATTERN, wide


def _body_or_error(df: pd.DataFrame) -> pd.Series:
    """A page has an archived body, or says why not: never both, never neither."""
    return df["body_sha256"].isna() != df["error"].isna()


PAGES = pa.DataFrameSchema(
    {
        "url": pa.Column(str, pa.Check.str_matches(URL_PATTERN, description="page URL is not absolute http(s)")),
        "final_url": pa.Column(str, pa.Check.str_matches(URL_PATTERN), nullable=True),
        "fetched_at": pa.Column("datetime64[us, UTC]"),
        "status_code": pa.Column("Int32", pa.Check.in_range(100, 599, description="not an HTTP status"), nullable=True),
        "content_type": pa.Column(str, nullable=True),
        "body_sha256": pa.Column(str, pa.Check.str_matches(SHA256_PATTERN), nullable=True),
        "size_bytes": pa.Column("int64", pa.Check.ge(0)),
        "error": pa.Column(str, nullable=True),
        "attempts": pa.Column("int32", pa.Check.ge(1)),
        "final": pa.Column(bool),
        "run_id": pa.Column(str),
    },
    checks=[wide("body_or_error", "error", "a page needs an archived body or the reason it has none", _body_or_error)],
    unique=key("pages"),
    coerce=True,
    strict=True,
    name="pages",
)
