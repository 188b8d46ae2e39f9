"""The pipeline's exceptions, one small tree.

    PipelineError            anything this package raises on purpose
    ├── ConfigError          settings or feeds.toml are wrong (fix the configuration)
    ├── FetchError           a network or HTTP failure fetching a page (recorded on the page or poll)
    │   ├── TransientFetchError   a connection that failed or broke off: worth another try (politeness retries it)
    │   └── FeedError        the same, or an unparseable body, for a feed
    ├── SchemaFailure        too many rows of a batch failed their Pandera schema (they are in quarantine)
    └── WarehouseError       the lake could not be attached, migrated or written

A page without article text is no error: it is stored as ``no_article`` with its reason. The Airflow edge
(``pipeline.airflow.tasks.failing_fast``) maps them: SchemaFailure and ConfigError -> ``AirflowFailException`` (no
retry: a retry cannot fix them); anything else (the network or the warehouse down) -> the task's retries, with
exponential backoff.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(PipelineError):
    """Settings or the feeds file are invalid."""


class FetchError(PipelineError):
    """A request failed: network error, bad status, too big, bad scheme."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class TransientFetchError(FetchError):
    """A connection that failed or broke off: worth another try later (a timeout or a refusal is not)."""


class FeedError(FetchError):
    """A feed could not be fetched or parsed."""


class SchemaFailure(PipelineError):
    """Rows failed schema validation; they are in quarantine."""

    def __init__(self, table: str, failed: int, total: int, checks: dict[str, int], *, detail: str = "") -> None:
        top = ", ".join(f"{name} ({n})" for name, n in sorted(checks.items(), key=lambda kv: -kv[1])[:5])
        summary = f"{failed} of {total} {table} rows failed validation: {top}"
        super().__init__(f"{summary}\n\n{detail}" if detail else summary)
        self.summary = summary
        self.table = table
        self.failed = failed
        self.total = total
        self.checks = checks


class WarehouseError(PipelineError):
    """The warehouse could not be attached, migrated or written."""
