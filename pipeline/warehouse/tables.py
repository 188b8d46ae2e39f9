"""The table registry: each table's natural key, quarantine row key and checked-only columns, stated once.

``merge`` keys on ``key``; each Pandera schema in ``schemas/`` declares ``unique=`` from it; a quarantined row is
named by ``row_key`` (a format over the row's columns) and carries ``url_column``; ``context`` columns are
checked against but never loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Table:
    """One warehouse table as the loaders see it."""

    name: str
    key: tuple[str, ...] = ()  # the natural key MERGE matches on; empty for append-only logs
    row_key: str = ""  # how a quarantined row names itself; default: the key's values joined by "|"
    url_column: str | None = None  # the URL on-call follows from a quarantined row
    context: tuple[str, ...] = ()  # columns the schema checks against but the table does not hold
    keep_first: bool = False  # a row seen again does not update the stored one (entries: first sighting wins)

    def key_of(self, row: Mapping[str, Any]) -> str:
        """The quarantine row key of one row."""
        return self.row_key.format(**row) if self.row_key else "|".join(str(row[k]) for k in self.key)


_ALL = (
    Table("runs", ("run_id",)),
    Table("feed_polls"),
    Table("entries", ("url",), url_column="url", keep_first=True),
    Table("pages", ("url",), url_column="url"),
    Table("articles", ("url",), url_column="url"),
    Table(
        "figures",
        ("article_url", "span_start", "span_end", "kind"),
        row_key="{article_url}#{span_start}-{span_end}:{kind}",
        url_column="article_url",
        context=("span_matches_text", "article_published_at"),
    ),
    Table("quarantine", ("table_name", "row_key", "check_name", "column_name")),
    Table("reference_series", ("topic", "metric", "subgroup", "year", "status", "as_of")),
    Table("quality_summaries", ("ingest_run_id",)),
    Table("alerts", ("run_id", "table_name")),
    Table("feed_state", ("feed",)),
    Table("schema_views", ("name",)),
    Table("schema_migrations", ("version",)),
)
TABLES: dict[str, Table] = {t.name: t for t in _ALL}


def key(name: str) -> list[str]:
    """A table's natural key, as Pandera's ``unique=`` and pandas take it."""
    return list(TABLES[name].key)
