"""The raw archive: each fetched response kept as a gzipped WARC file named by the sha256 of its body.

Content-addressed, so the same body fetched twice (or from two URLs) is stored once, under the first fetch.
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
    """Archive ``response`` (request and response records) unless already stored; return the body's sha256."""
    sha256 = hashlib.sha256(response.body).hexdigest()
    target = path_for(root, sha256)
    if target.exists():
        return sha256
    target.parent.mkdir(parents=True, exist_ok=True)
    # written beside the target and renamed, so a reader never sees half a file
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".warc.gz")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_records(fh, response)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.debug("archived %s as %s", response.final_url, sha256)
    return sha256


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
    """The archived response whose body hashes to ``sha256``: url, status, headers and body as fetched."""
    path = path_for(root, sha256)
    if not path.exists():
        raise PipelineError(f"no archived response {sha256} under {root}")
    request_headers: dict[str, str] = {}
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "request":
                request_headers = dict(record.http_headers.headers)
            elif record.rec_type == "response":
                return _response(record, request_headers)
    raise PipelineError(f"{path} holds no response record")


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
