"""What each stage reads from the warehouse, and its bookkeeping writes: the SQL is in ``warehouse/pipeline/``.

Each function names the question it answers; the statements are files, their values bound parameters.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import duckdb
import pandas as pd

from pipeline.warehouse import WAREHOUSE_DIR, Tx

STATEMENTS = WAREHOUSE_DIR / "pipeline"
T = TypeVar("T")


@functools.cache
def sql(name: str) -> str:
    """The statement in ``warehouse/pipeline/<name>.sql``."""
    return (STATEMENTS / f"{name}.sql").read_text(encoding="utf-8")


def rows(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows a named query answers."""
    return con.execute(sql(name), params or {}).fetchall()


def each_row(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None, *, chunk: int = 10_000
) -> Iterator[tuple[Any, ...]]:
    """The rows a named query answers, fetched ``chunk`` at a time: for a caller that keeps less than the rows."""
    result = con.execute(sql(name), params or {})
    while found := result.fetchmany(chunk):
        yield from found


def by_url(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None, *, page: int
) -> Iterator[tuple[Any, ...]]:
    """The rows of a named query in URL order (the first column), ``page`` at a time: each query asks for the
    ``$limit`` rows after the last URL read (``$after``), so the caller holds a page of a long backlog, not all of
    it, and what it commits between pages does not move the rows still to come."""
    after = ""
    while found := rows(con, name, {**(params or {}), "after": after, "limit": max(1, page)}):
        yield from found
        after = found[-1][0]


def unless_empty(rows: Iterator[T]) -> Iterator[T] | None:
    """``rows``, or None when there are none (the first is read to know)."""
    for first in rows:
        return itertools.chain([first], rows)
    return None


def rows_of(con: duckdb.DuckDBPyConnection, name: str, urls: Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows a named query answers for these URLs (registered as ``batch_urls``)."""
    con.register("batch_urls", _urls(urls))
    try:
        return rows(con, name)
    finally:
        con.unregister("batch_urls")


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """A backlog in batches of ``size`` (each committed on its own), in order."""
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


def known_entries(con: duckdb.DuckDBPyConnection, urls: Sequence[str]) -> set[str]:
    """Which of ``urls`` are entries already."""
    if not urls:
        return set()
    con.register("candidate_urls", pd.DataFrame({"url": list(urls)}))
    try:
        return {url for (url,) in rows(con, "known_entries")}
    finally:
        con.unregister("candidate_urls")


def _urls(urls: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"url": pd.Series(list(urls), dtype="string")})


def finish_run(tx: Tx, run_id: str, *, at: datetime, status: str, counts: str, reason: str | None = None) -> None:
    """Close a run with its status, counts (JSON) and, if it failed, why."""
    tx.execute(sql("finish_run"), {"at": at, "status": status, "counts": counts, "reason": reason, "run_id": run_id})


def fail_stale_runs(tx: Tx, run_ids: Sequence[str], *, at: datetime, reason: str) -> None:
    """Mark runs that never recorded their end as failed, with ``reason``."""
    ids = pd.DataFrame({"run_id": pd.Series(list(run_ids), dtype="string")})
    tx.execute(sql("fail_stale_runs"), {"at": at, "reason": reason}, frames={"stale_run_ids": ids})


def assign_stories(tx: Tx, stories: pd.DataFrame) -> None:
    """Store each loaded article's story id and text SimHash."""
    tx.execute(sql("assign_stories"), frames={"article_stories": stories})


def replace_figures(tx: Tx, urls: Sequence[str]) -> None:
    """Drop the old figures of articles read again, before their new ones merge."""
    tx.execute(sql("forget_figures"), frames={"read_urls": _urls(urls)})


def mark_read(tx: Tx, urls: Sequence[str], version: str) -> None:
    """Record that these articles' figures were read by extractor ``version``."""
    tx.execute(sql("mark_read"), {"version": version}, frames={"read_urls": _urls(urls)})
