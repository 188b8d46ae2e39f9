"""Split a batch into rows that pass their Pandera schema and quarantine rows for those that fail."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pipeline.warehouse.tables import TABLES, Table
from schemas import SCHEMAS
from schemas._checks import WIDE_CHECKS

log = logging.getLogger(__name__)

QUARANTINE_COLUMNS = [
    "run_id",
    "table_name",
    "row_key",
    "check_name",
    "column_name",
    "bad_value",
    "reason",
    "article_url",
    "row_json",
    "quarantined_at",
]


@dataclass(frozen=True)
class Validated:
    """The outcome of validating one batch."""

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    total: int
    checks: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Rows that failed at least one check."""
        return self.total - len(self.valid)


def validate(frame: pd.DataFrame, table: str, *, run_id: str, at: datetime) -> Validated:
    """Validate a batch of ``table`` against its schema, lazily; return the coerced valid rows (context columns
    dropped) and one quarantine row per failure, named by the table's row key (``pipeline.warehouse.tables``)."""
    schema, spec = SCHEMAS[table], TABLES[table]
    context_columns = list(spec.context)
    failures: dict[tuple[Any, str], dict[str, Any]] = {}
    work = frame
    for _ in range(3):  # a value that cannot be typed makes other checks crash; drop such rows and look again
        try:
            schema.validate(work, lazy=True)
            break
        except SchemaErrors as err:
            cases = err.failure_cases
            located = cases[cases["index"].notna()]
            untyped = located[located["check"].str.startswith(("coerce_dtype", "dtype"))]
            crashed = cases["index"].isna().any()
            if crashed and untyped.empty:  # a schema-level failure: no row is to blame, so every row is
                located = _blame_all(cases[cases["index"].isna()], work)
            failures.update(_describe(located, work, schema))
            if not crashed or untyped.empty:
                break
            work = work.drop(index=pd.unique(untyped["index"]))
    bad = {index for index, _ in failures}
    valid = schema.validate(frame.drop(index=list(bad))) if len(bad) < len(frame) else frame.iloc[0:0]
    quarantine = _quarantine_frame(list(failures.values()), frame, spec, run_id, at)
    checks = Counter(f["check"] for f in failures.values())
    if failures:
        log.warning(
            "%s: %d of %d rows failed validation: %s",
            table,
            len(frame) - len(valid),
            len(frame),
            dict(checks),
        )
    return Validated(
        valid=valid.drop(columns=list(context_columns)),
        quarantine=quarantine,
        total=len(frame),
        checks=dict(checks),
    )


def _blame_all(cases: pd.DataFrame, work: pd.DataFrame) -> pd.DataFrame:
    first = cases.iloc[0]
    return pd.DataFrame(
        {"index": list(work.index), "check": first["check"], "column": first["column"], "failure_case": None}
    )


def _describe(
    located: pd.DataFrame, work: pd.DataFrame, schema: pa.DataFrameSchema
) -> dict[tuple[Any, str], dict[str, Any]]:
    rows: dict[tuple[Any, str], dict[str, Any]] = {}
    for case in located.to_dict("records"):
        check, column = str(case["check"]), case.get("column")
        if check in WIDE_CHECKS:  # wide checks report every column of the row; keep the one the check is about
            column, reason = WIDE_CHECKS[check]
            bad = work.at[case["index"], column] if column in work.columns else None
        else:
            reason = _column_reason(schema, column, check)
            bad = case.get("failure_case")
        rows.setdefault(
            (case["index"], check),
            {
                "index": case["index"],
                "check": check.split("(")[0],
                "column": column,
                "bad_value": _text(bad),
                "reason": reason,
            },
        )
    return rows


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, float) and value.is_integer():  # a year or a count held in a float column reads as 2031
        return str(int(value))
    return str(value)


def _column_reason(schema: pa.DataFrameSchema, column: Any, check: str) -> str:
    col = schema.columns.get(column) if isinstance(column, str) else None
    name = check.split("(")[0]
    for c in col.checks if col is not None else []:
        if c.name == name and c.description:
            return str(c.description)
    if name in ("coerce_dtype", "dtype"):
        return f"{column}: wrong type, expected {check.split('(', 1)[-1].rstrip(')')}"
    if name.endswith("uniqueness"):
        return f"another row of the batch has the same natural key ({', '.join(schema.unique or [])})"
    if name == "not_nullable":
        return f"{column} is missing"
    return f"{column} failed {check}"


def _quarantine_frame(
    failures: list[dict[str, Any]],
    frame: pd.DataFrame,
    table: Table,
    run_id: str,
    at: datetime,
) -> pd.DataFrame:
    records = []
    for f in failures:
        row = frame.loc[f["index"]]
        kept = row.drop(labels=[c for c in table.context if c in row.index])
        records.append(
            {
                "run_id": run_id,
                "table_name": table.name,
                "row_key": table.key_of(row),
                "check_name": f["check"],
                "column_name": f["column"],
                "bad_value": f["bad_value"],
                "reason": f["reason"],
                "article_url": row.get(table.url_column) if table.url_column else None,
                "row_json": json.dumps(kept.to_dict(), default=str, ensure_ascii=False),
                "quarantined_at": at,
            }
        )
    return pd.DataFrame.from_records(records, columns=QUARANTINE_COLUMNS)
