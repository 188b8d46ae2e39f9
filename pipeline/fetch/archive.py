"""The raw archive: each fetched response kept as a gzipped WARC file named by the sha256 of its body.

Content-addressed, so the same body fetched twice (or from two URLs) is stored once, under the first fetch.
A file is trusted only if its body still hashes to its name: ``read`` refuses a damaged one (truncated by a full
disk, corrupted by a bad copy) with the reason, and ``write`` replaces a damaged one instead of keeping it.
The file holds the request and response records of ``warc.encode`` (the body as the client saw it, decoded).

The archive is a local folder or a prefix on an object store (``s3://bucket/prefix/``), both reached through one
fsspec filesystem, a ``Store``: ``store(settings)`` opens the configured one; a plain path is a local archive.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias

import fsspec
from fsspec.implementations.local import LocalFileSystem

from pipeline.errors import ConfigError, PipelineError
from pipeline.fetch import warc
from pipeline.records import Response
from pipeline.settings import OBJECT_STORE_SCHEMES, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Store:
    """Where an archive lives: a filesystem (local, or an object store) and the archive's root on it."""

    fs: Any  # an fsspec AbstractFileSystem (fsspec ships no type hints)
    root: str  # a local folder, or bucket/prefix on the object store
    location: str  # as configured, for messages

    @property
    def local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def key(self, sha256: str) -> str:
        """Where the response whose body hashes to ``sha256`` is archived, on ``fs``."""
        return f"{self.root}/{sha256[:2]}/{sha256}.warc.gz"


Location: TypeAlias = "Store | str | os.PathLike[str]"  # a plain path is a local archive


def store(settings: Settings) -> Store:
    """The configured archive (``NEWSFIGURES_ARCHIVE_DIR``): a local folder, or an ``s3://`` prefix reached with
    the configured S3 key, endpoint and region only (no credential chain, no instance metadata)."""
    location = os.fspath(settings.archive_dir)
    if not location.startswith(OBJECT_STORE_SCHEMES):
        return _open(location)
    if not (settings.s3_key_id and settings.s3_secret):
        raise ConfigError(
            f"NEWSFIGURES_ARCHIVE_DIR={location!r} is on an object store: "
            "set NEWSFIGURES_S3_KEY_ID and NEWSFIGURES_S3_SECRET"
        )
    if settings.s3_url_style not in ("path", "vhost"):
        raise ConfigError(f"NEWSFIGURES_S3_URL_STYLE={settings.s3_url_style!r}: expected path or vhost")
    scheme = "https" if settings.s3_use_ssl else "http"
    fs, root = fsspec.url_to_fs(
        location,
        anon=False,
        key=settings.s3_key_id,
        secret=settings.s3_secret,
        endpoint_url=f"{scheme}://{settings.s3_endpoint}" if settings.s3_endpoint else None,
        use_ssl=settings.s3_use_ssl,
        client_kwargs={"region_name": settings.s3_region},
        # "legacy": botocore's "auto" mode would ask the instance-metadata service which region it runs in
        config_kwargs={
            "defaults_mode": "legacy",
            "s3": {"addressing_style": "path" if settings.s3_url_style == "path" else "virtual"},
        },
        use_listings_cache=False,  # other processes write the same archive: every lookup asks the store
        skip_instance_cache=True,  # a client of its own for each store(settings), never one of another process
    )
    return Store(fs, str(root).rstrip("/"), location)


def _open(root: Location) -> Store:
    if isinstance(root, Store):
        return root
    location = os.fspath(root)
    if "://" in location:
        raise ConfigError(f"archive {location!r} is a URL: open it with archive.store(settings), which has its key")
    return Store(LocalFileSystem(), str(Path(location).absolute()), location)


def path_for(root: str | Path, sha256: str) -> Path:
    """Where the response whose body hashes to ``sha256`` is archived in the local archive ``root``."""
    return Path(root) / sha256[:2] / f"{sha256}.warc.gz"


def exists(root: Location, sha256: str) -> bool:
    """Whether a response whose body hashes to ``sha256`` is archived (intact or not: ``read`` tells)."""
    archive = _open(root)
    return bool(archive.fs.exists(archive.key(sha256)))


def write(root: Location, response: Response) -> str:
    """Archive ``response`` (request and response records) unless stored intact already; return the body's sha256."""
    archive = _open(root)
    sha256 = hashlib.sha256(response.body).hexdigest()
    key = archive.key(sha256)
    if archive.fs.exists(key):
        damage = _damage(archive, sha256)
        if damage is None:
            return sha256
        log.warning("archive: %s; writing it again from %s", damage, response.final_url)
    data = warc.encode(response)
    if archive.local:
        _replace(Path(key), data)
    else:  # one PUT: an object store shows the whole object under its key or nothing, so no rename is needed
        archive.fs.pipe_file(key, data)
    log.debug("archived %s as %s", response.final_url, sha256)
    return sha256


def _replace(target: Path, data: bytes) -> None:
    """Write ``data`` beside ``target``, sync it and rename it over ``target``: neither a reader nor a crash
    leaves half a file under its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".warc.gz")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_dir(target.parent)


def _damage(archive: Store, sha256: str) -> str | None:
    """Why the archived file of ``sha256`` cannot be trusted, or None if it reads back intact."""
    try:
        read(archive, sha256)
    except PipelineError as exc:
        return str(exc)
    return None


def _sync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def prune(root: Location, *, retention_days: int, now: datetime) -> int:
    """Delete responses archived over ``retention_days`` before ``now`` (0 keeps all); return how many.

    Age counts from when a body was first archived (a file's mtime, an object's LastModified). A pruned page
    cannot be re-extracted until fetched again (which archives it anew).
    """
    if retention_days <= 0:
        return 0
    archive = _open(root)
    cutoff = (now - timedelta(days=retention_days)).timestamp()
    found: Mapping[str, Mapping[str, Any]] = archive.fs.glob(f"{archive.root}/??/*.warc.gz", detail=True)
    removed = 0
    for key, info in found.items():
        if _modified(info) < cutoff:
            with contextlib.suppress(FileNotFoundError):  # pruned meanwhile by another maintenance run
                archive.fs.rm_file(key)
            removed += 1
    log.info("archive: deleted %d responses older than %d days", removed, retention_days)
    return removed


def _modified(info: Mapping[str, Any]) -> float:
    """When an archived file was last written: its mtime on a local disk, LastModified on an object store."""
    stamp = info.get("LastModified", info.get("mtime"))
    return stamp.timestamp() if isinstance(stamp, datetime) else float(stamp)


def read(root: Location, sha256: str) -> Response:
    """The archived response whose body hashes to ``sha256``: url, status, headers and body as fetched.

    Raises ``PipelineError`` if there is none, or if the file is damaged: unreadable, or a body that no longer
    hashes to ``sha256`` (warcio returns a truncated body without complaint).
    """
    archive = _open(root)
    try:
        data: bytes = archive.fs.cat_file(archive.key(sha256))
    except FileNotFoundError:
        raise PipelineError(f"no archived response {sha256} under {archive.location}") from None
    try:
        response = warc.decode(data)
    except Exception as exc:  # gzip, zlib and warcio raise many kinds (even AttributeError) on a damaged file
        raise PipelineError(f"archived response {sha256} is damaged: {type(exc).__name__}: {exc}"[:500]) from exc
    if response is None:
        raise PipelineError(f"archived response {sha256} is damaged: no response record in {archive.key(sha256)}")
    if hashlib.sha256(response.body).hexdigest() != sha256:
        raise PipelineError(
            f"archived response {sha256} is damaged: its body ({len(response.body)} bytes) no longer matches its hash"
        )
    return response
