"""The pipeline's exceptions, one small tree.

    PipelineError            anything this package raises on purpose
    ├── ConfigError          settings or feeds.toml are wrong (fix the configuration)
    ├── FetchError           a network or HTTP failure fetching a page (retryable)
    │   └── FeedError        the same, or an unparseable body, for a feed
    ├── ExtractError         a page holds no article text (recorded, not retried)
    ├── SchemaFailure        rows failed their Pandera schema (quarantined; never retried)
    └── WarehouseError       the lake could not be attached, migrated or written

The Airflow edge maps them: FetchError -> retry with backoff, SchemaFailure -> AirflowFailException.
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


class FeedError(FetchError):
    """A feed could not be fetched or parsed."""


class ExtractError(PipelineError):
    """A page holds no article text."""


class SchemaFailure(PipelineError):
    """Rows failed schema validation; they are in quarantine."""

    def __init__(self, table: str, failed: int, total: int, checks: dict[str, int]) -> None:
        top = ", ".join(f"{name} ({n})" for name, n in sorted(checks.items(), key=lambda kv: -kv[1])[:5])
        super().__init__(f"{failed} of {total} {table} rows failed validation: {top}")
        self.table = table
        self.failed = failed
        self.total = total
        self.checks = checks


class WarehouseError(PipelineError):
    """The warehouse could not be attached, migrated or written."""
