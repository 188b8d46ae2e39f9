"""Split a batch into rows that pass their Pandera schema and quarantine rows for those that fail."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

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


def validate(
    frame: pd.DataFrame, table: str, *, run_id: str, at: datetime, schema: pa.DataFrameSchema | None = None
) -> Validated:
    """Validate a batch of ``table`` against its schema, lazily; return the coerced valid rows (context columns
    dropped) and one quarantine row per failure, named by the table's row key (``pipeline.warehouse.tables``).

    A check that crashes (a bug, a ``MemoryError``) blames no row by itself: the batch is halved until the crash
    is pinned on the rows it happens with, so one bad row, or a batch too big to check at once, never sends the
    good rows of the batch to quarantine. ``schema`` replaces the table's own (tests of the validator).
    """
    schema, spec = schema if schema is not None else SCHEMAS[table], TABLES[table]
    context_columns = list(spec.context)
    failures = _failures(frame, schema)
    bad = {index for index, _ in failures}
    valid = _coerced(frame.drop(index=list(bad)), schema) if len(bad) < len(frame) else frame.iloc[0:0]
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


def over_cap(counts: Mapping[str, int], cap: int, *, run_id: str, at: datetime) -> pd.DataFrame:
    """One quarantine row per article that stated more figures than ``cap`` (url: how many): the rest unread."""
    records = [
        {
            "run_id": run_id,
            "table_name": "figures",
            "row_key": url,
            "check_name": "figures_per_article",
            "column_name": "figure_no",
            "bad_value": str(count),
            "reason": f"the first {cap} of its {count} figures are loaded, the rest are not "
            "(NEWSFIGURES_MAX_FIGURES_PER_ARTICLE)",
            "article_url": url,
            "row_json": json.dumps({"article_url": url, "figures": count, "loaded": cap}),
            "quarantined_at": at,
        }
        for url, count in sorted(counts.items())
    ]
    return pd.DataFrame.from_records(records, columns=QUARANTINE_COLUMNS)


def _failures(work: pd.DataFrame, schema: pa.DataFrameSchema) -> dict[tuple[Any, str], dict[str, Any]]:
    """Every (row, check) that fails in ``work``."""
    failures: dict[tuple[Any, str], dict[str, Any]] = {}
    for _ in range(3):  # a value that cannot be typed makes other checks crash; drop such rows and look again
        try:
            schema.validate(work, lazy=True)
            break
        except MemoryError:
            unblamed = pd.DataFrame({"index": [None], "check": ["MemoryError"], "column": [None]})
            cases, located, untyped = unblamed, unblamed.iloc[0:0], unblamed.iloc[0:0]
        except SchemaErrors as err:
            cases = err.failure_cases
            located = cases[cases["index"].notna()]
            untyped = located[located["check"].str.startswith(("coerce_dtype", "dtype"))]
        failures.update(_describe(located, work, schema))
        crashed = cases["index"].isna().any()
        if crashed and untyped.empty:  # a schema-level failure: no row is to blame by itself
            failures.update(_pin(cases[cases["index"].isna()], work, schema))
        if not crashed or untyped.empty:
            break
        work = work.drop(index=list(pd.unique(untyped["index"])))
    return failures


def _pin(cases: pd.DataFrame, work: pd.DataFrame, schema: pa.DataFrameSchema) -> dict[tuple[Any, str], dict[str, Any]]:
    """Halve ``work`` until a crashing check is pinned on single rows; rows it does not crash on are judged as usual."""
    if len(work) <= 1:
        return _describe(_blame_all(cases, work), work, schema)
    middle = len(work) // 2
    return _failures(work.iloc[:middle], schema) | _failures(work.iloc[middle:], schema)


def _coerced(good: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """The rows that passed, typed by the schema: in halves if a check crashes on them all at once."""
    try:
        return schema.validate(good)
    except (MemoryError, SchemaError):
        if len(good) <= 1:
            raise
        middle = len(good) // 2
        return pd.concat([_coerced(good.iloc[:middle], schema), _coerced(good.iloc[middle:], schema)])


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
            column, reason, explain = WIDE_CHECKS[check]
            bad = work.at[case["index"], column] if column in work.columns else None
            if explain is not None:
                reason = f"{reason}: {explain(work.loc[case['index']])}"
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
