"""Configuration, read once at run time into one frozen ``Settings``.

Every field comes from an environment variable ``NEWSFIGURES_<NAME>`` (documented in the README's configuration
table) or its default; the list of feeds comes from the TOML file named by ``NEWSFIGURES_FEEDS_FILE``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.records import Feed

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_URL = "https://github.com/newsfigures/newsfigures"
OBJECT_STORE_SCHEMES = ("s3://",)  # a DATA_PATH or ARCHIVE_DIR starting so is on the object store of the S3 settings
VERSION = "0.1.0"


def _lake(*parts: str) -> str:
    return str(PROJECT_ROOT.joinpath("warehouse", "lake", *parts))


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline reads from its environment."""

    feeds_file: Path = PROJECT_ROOT / "feeds.toml"
    catalog: str = f"sqlite:{_lake('catalog.sqlite')}"  # what follows "ducklake:" in ATTACH
    data_path: str = _lake("data") + "/"
    archive_dir: str = _lake("archive")  # a local folder, or s3://bucket/prefix/ (a URL, never a local path)
    user_agent: str = f"newsfigures/{VERSION} (+{PROJECT_URL})"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_body_bytes: int = 20_000_000
    max_redirects: int = 5
    fetch_concurrency: int = 8
    batch_size: int = 500  # pages fetched, extracted or read per commit: memory stays flat, a dead run keeps its work
    extract_workers: int = 0  # processes extracting articles; 0: one per core, 1: in the stage's own process
    poll_interval: float = 300.0
    quarantine_threshold: float = 0.2
    snapshot_retention_days: int = 30
    file_retention_hours: float = 48.0  # a replaced or expired Parquet file is deleted only this long after
    alert_smtp_url: str = ""  # smtp://[user:password@]host:port; empty: no e-mail (unless Airflow's newsfigures_smtp)
    alert_email_from: str = "newsfigures@localhost"
    alert_email_to: str = ""  # comma-separated
    alert_slack_webhook: str = ""  # a Slack incoming-webhook URL (or Airflow connection newsfigures_slack)
    alert_webhook_url: str = ""  # receives the alert as JSON (or Airflow connection newsfigures_webhook)
    alert_repeat_hours: float = 24.0  # the same failure in consecutive runs is sent again only after this long
    allow_private_addresses: bool = False  # fetch from loopback, private and link-local addresses (tests, the demo)
    fetch_deadline: float = 120.0  # seconds for one request in all, headers and redirects included
    host_delay: float = 5.0  # minimum seconds between two page requests to one host
    host_concurrency: int = 2  # page requests in flight at once per host
    robots_ttl: float = 86400.0  # seconds a host's robots.txt is trusted before it is fetched again
    fetch_retries: int = 2  # retries of a page answering 429, 503 or failing on the network
    retry_backoff: float = 2.0  # base seconds of the jittered exponential backoff between retries
    max_retry_after: float = 120.0  # a longer Retry-After is recorded as an error, not waited for
    poll_interval_min: float = 300.0  # bounds of a feed's adaptive poll interval, in seconds
    poll_interval_max: float = 86400.0
    feed_pause_after: int = 5  # consecutive failed polls after which a feed is paused
    feed_pause_hours: float = 24.0  # a paused feed is tried again after this long
    near_duplicate_bits: int = 6  # SimHash distance (of 64 bits) at or under which two articles are one story
    feed_parse_timeout: float = 30.0  # seconds one feed's parse may take before it is that feed's error
    archive_retention_days: int = 0  # raw archive files older than this are deleted by maintenance; 0 keeps them
    max_attempts: int = 3  # a page fetch, extraction or figure read failing this often is not tried again
    stale_run_hours: float = 6.0  # a run still 'running' this long after it started is failed by the next run
    max_figures_per_article: int = (
        500  # figures beyond this many in one article are not loaded (recorded in quarantine)
    )
    # An object-store DATA_PATH or ARCHIVE_DIR (s3://bucket/prefix/): the store's host:port (empty: AWS's own endpoint),
    # its key and region, and path- or vhost-style addressing; DuckDB gets them as an S3 secret when it attaches the
    # lake, the archive as the options of its S3 filesystem.
    s3_endpoint: str = ""
    s3_key_id: str = ""
    s3_secret: str = field(default="", repr=False)
    s3_region: str = "us-east-1"
    s3_url_style: str = "vhost"  # "path" for SeaweedFS, MinIO and most stores that are not AWS
    s3_use_ssl: bool = True
    feeds: tuple[Feed, ...] = field(default=())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``NEWSFIGURES_*`` variables (``os.environ`` by default), then the feeds file."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"NEWSFIGURES_{f.name.upper()}")
            if raw is None or f.name == "feeds":
                continue
            values[f.name] = _convert(f.name, raw, _CONVERTERS.get(str(f.type), str))
        values.update(overrides)
        settings = cls(**values)
        if "feeds" not in overrides:
            settings = cls(**{**values, "feeds": load_feeds(settings.feeds_file)})
        return settings


def _flag(raw: str) -> bool:
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


_CONVERTERS: dict[str, Callable[[str], Any]] = {"Path": Path, "float": float, "int": int, "bool": _flag}


def _convert(name: str, raw: str, convert: Callable[[str], Any]) -> Any:
    try:
        return convert(raw)
    except ValueError as exc:
        raise ConfigError(f"NEWSFIGURES_{name.upper()}={raw!r}: {exc}") from exc


def load_feeds(path: Path) -> tuple[Feed, ...]:
    """Read ``[[feeds]]`` tables (name, url, topic) from a TOML file; a missing file means no feeds."""
    if not path.exists():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {' '.join(str(exc).split())}") from exc
    feeds = []
    for i, item in enumerate(data.get("feeds", [])):
        missing = {"name", "url", "topic"} - item.keys()
        if missing:
            raise ConfigError(f"{path}: feed #{i + 1} lacks {', '.join(sorted(missing))}")
        if not str(item["url"]).startswith(("http://", "https://")):
            raise ConfigError(f"{path}: feed {item['name']!r} url must be http(s): {item['url']!r}")
        feeds.append(Feed(name=str(item["name"]), url=str(item["url"]), topic=str(item["topic"])))
    names = [f.name for f in feeds]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(
            f"{path}: duplicate feed name: {', '.join(map(repr, duplicates))} (feed names must be unique)"
        )
    topics = known_topics()
    for f in feeds:
        if f.topic not in topics:
            raise ConfigError(
                f"{path}: feed {f.name!r}: unknown topic {f.topic!r} (known: {', '.join(sorted(topics))})"
            )
    return tuple(feeds)


def known_topics() -> set[str]:
    """The topics a feed may name: one vocabulary file each under ``pipeline/figures/topics/``."""
    folder = resources.files("pipeline.figures").joinpath("topics")
    return {entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith(".toml")}


def select_feeds(settings: Settings, names: Sequence[str]) -> tuple[Feed, ...]:
    """The configured feeds of these names; ``ConfigError`` naming any that is not configured."""
    configured = {f.name: f for f in settings.feeds}
    unknown = [name for name in names if name not in configured]
    if unknown:
        has = ", ".join(configured) or "no feeds"
        raise ConfigError(f"unknown feed {', '.join(map(repr, unknown))} ({settings.feeds_file.name} has: {has})")
    return tuple(configured[name] for name in names)
