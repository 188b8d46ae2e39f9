"""The raw archive: each fetched response kept as a gzipped WARC file named by the sha256 of its body.

Content-addressed, so the same body fetched twice (or from two URLs) is stored once, under the first fetch.
A file is trusted only if its body still hashes to its name: ``read`` refuses a damaged one (truncated by a full
disk, corrupted by a bad copy) with the reason, and ``write`` replaces a damaged one instead of keeping it.
The body is stored as the client saw it (already decoded), so headers that describe the bytes on the wire
(Content-Encoding, Transfer-Encoding, Content-Length) are renamed ``X-Archive-Orig-*`` in the WARC, the pywb
convention that keeps the record valid for WARC tools, and restored by ``read``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.errors import PipelineError
from pipeline.records import Response

log = logging.getLogger(__name__)

WIRE_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
ORIG = "x-archive-orig-"
REQUESTED_URL = "WARC-X-Requested-URI"  # the URL asked for, before redirects
ELAPSED_MS = "WARC-X-Elapsed-Ms"


def path_for(root: Path, sha256: str) -> Path:
    """Where the response whose body hashes to ``sha256`` is archived."""
    return root / sha256[:2] / f"{sha256}.warc.gz"


def write(root: Path, response: Response) -> str:
    """Archive ``response`` (request and response records) unless stored intact already; return the body's sha256."""
    sha256 = hashlib.sha256(response.body).hexdigest()
    target = path_for(root, sha256)
    if target.exists():
        damage = _damage(root, sha256)
        if damage is None:
            return sha256
        log.warning("archive: %s; writing it again from %s", damage, response.final_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    # written beside the target, synced and renamed, so neither a reader nor a crash leaves half a file under its name
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".warc.gz")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_records(fh, response)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_dir(target.parent)
    log.debug("archived %s as %s", response.final_url, sha256)
    return sha256


def _damage(root: Path, sha256: str) -> str | None:
    """Why the archived file of ``sha256`` cannot be trusted, or None if it reads back intact."""
    try:
        read(root, sha256)
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


def prune(root: Path, *, retention_days: int, now: datetime) -> int:
    """Delete responses archived over ``retention_days`` before ``now`` (0 keeps all); return how many.

    Age counts from when a body was first archived. A pruned page cannot be re-extracted until fetched again
    (which archives it anew).
    """
    if retention_days <= 0 or not root.exists():
        return 0
    cutoff = (now - timedelta(days=retention_days)).timestamp()
    removed = 0
    for path in root.glob("??/*.warc.gz"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    log.info("archive: deleted %d responses older than %d days", removed, retention_days)
    return removed


def _write_records(fh: object, response: Response) -> None:
    writer = WARCWriter(fh, gzip=True, warc_version="1.1")
    common = {"WARC-Date": _warc_date(response.fetched_at)}
    parts = urlsplit(response.final_url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_headers = StatusAndHeaders(
        f"GET {target} {response.http_version}",
        list(response.request_headers.items()),
        is_http_request=True,
    )
    request = writer.create_warc_record(
        response.final_url,
        "request",
        payload=BytesIO(b""),
        http_headers=request_headers,
        warc_headers_dict=common,
    )
    reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
    headers = [(ORIG + k if k.lower() in WIRE_HEADERS else k, v) for k, v in response.headers.items()]
    headers.append(("Content-Length", str(len(response.body))))
    http_headers = StatusAndHeaders(f"{response.status} {reason}".strip(), headers, protocol=response.http_version)
    extra = {REQUESTED_URL: response.url, ELAPSED_MS: str(response.elapsed_ms), **common}
    record = writer.create_warc_record(
        response.final_url,
        "response",
        payload=BytesIO(response.body),
        length=len(response.body),
        http_headers=http_headers,
        warc_headers_dict=extra,
    )
    writer.write_record(request)
    writer.write_record(record)


def _warc_date(moment: datetime) -> str:
    if moment.tzinfo is None:  # the client stamps UTC; a naive time is taken to be UTC too
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read(root: Path, sha256: str) -> Response:
    """The archived response whose body hashes to ``sha256``: url, status, headers and body as fetched.

    Raises ``PipelineError`` if there is none, or if the file is damaged: unreadable, or a body that no longer
    hashes to ``sha256`` (warcio returns a truncated body without complaint).
    """
    path = path_for(root, sha256)
    if not path.exists():
        raise PipelineError(f"no archived response {sha256} under {root}")
    try:
        response = _read_file(path)
    except Exception as exc:  # gzip, zlib and warcio raise many kinds (even AttributeError) on a damaged file
        raise PipelineError(f"archived response {sha256} is damaged: {type(exc).__name__}: {exc}"[:500]) from exc
    if response is None:
        raise PipelineError(f"archived response {sha256} is damaged: no response record in {path}")
    if hashlib.sha256(response.body).hexdigest() != sha256:
        raise PipelineError(
            f"archived response {sha256} is damaged: its body ({len(response.body)} bytes) no longer matches its hash"
        )
    return response


def _read_file(path: Path) -> Response | None:
    request_headers: dict[str, str] = {}
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "request":
                request_headers = dict(record.http_headers.headers)
            elif record.rec_type == "response":
                return _response(record, request_headers)
    return None


def _response(record: object, request_headers: dict[str, str]) -> Response:
    warc = record.rec_headers  # type: ignore[attr-defined]
    http = record.http_headers  # type: ignore[attr-defined]
    body: bytes = record.raw_stream.read()  # type: ignore[attr-defined]
    headers = {
        (k[len(ORIG) :] if k.lower().startswith(ORIG) else k): v
        for k, v in http.headers
        if k.lower() != "content-length"
    }
    return Response(
        url=warc.get_header(REQUESTED_URL) or warc.get_header("WARC-Target-URI"),
        final_url=warc.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode()),
        request_headers=request_headers,
        headers=headers,
        body=body,
        fetched_at=datetime.fromisoformat(warc.get_header("WARC-Date")),
        elapsed_ms=int(warc.get_header(ELAPSED_MS) or 0),
        http_version=http.protocol or "HTTP/1.1",
    )
