"""Schema of the ``quarantine`` table: what on-call reads must itself be complete."""

from __future__ import annotations

import json

import pandas as pd
import pandera.pandas as pa

from pipeline.warehouse.tables import key
from schemas._checks import wide

TABLES = ["entries", "pages", "articles", "figures"]


def _row_is_json(df: pd.DataFrame) -> pd.Series:
    def ok(text: str) -> bool:
        try:
            return isinstance(json.loads(text), dict)
        except (TypeError, ValueError):
            return False

    return df["row_json"].map(ok).astype(bool)


QUARANTINE = pa.DataFrameSchema(
    {
        "run_id": pa.Column(str, pa.Check.str_length(min_value=1)),
        "table_name": pa.Column(str, pa.Check.isin(TABLES)),
        "row_key": pa.Column(str, pa.Check.str_length(min_value=1)),
        "check_name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "column_name": pa.Column(str, nullable=True),
        "bad_value": pa.Column(str, nullable=True),
        "reason": pa.Column(str, pa.Check.str_length(min_value=1)),
        "article_url": pa.Column(str, nullable=True),
        "row_json": pa.Column(str),
        "quarantined_at": pa.Column("datetime64[us, UTC]"),
        "attempts": pa.Column("int32", pa.Check.ge(1)),
        "final": pa.Column(bool),
    },
    checks=[wide("row_is_json", "row_json", "the failing row is not kept as a JSON object", _row_is_json)],
    unique=key("quarantine"),
    coerce=True,
    strict=True,
    name="quarantine",
)
