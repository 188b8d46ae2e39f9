"""WARC records of a fetched response, and the response back from them: pure, bytes in and out.

The body is stored as the client saw it (already decoded), so headers that describe the bytes on the wire
(Content-Encoding, Transfer-Encoding, Content-Length) are renamed ``X-Archive-Orig-*`` in the WARC, the pywb
convention that keeps the record valid for WARC tools, and restored by ``decode``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.records import Response

WIRE_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
ORIG = "x-archive-orig-"
REQUESTED_URL = "WARC-X-Requested-URI"  # the URL asked for, before redirects
ELAPSED_MS = "WARC-X-Elapsed-Ms"


def encode(response: Response) -> bytes:
    """A gzipped WARC 1.1 file of ``response``: its request record, then its response record."""
    buffer = BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="1.1")
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
    return buffer.getvalue()


def _warc_date(moment: datetime) -> str:
    if moment.tzinfo is None:  # the client stamps UTC; a naive time is taken to be UTC too
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decode(data: bytes) -> Response | None:
    """The response in a WARC file written by ``encode`` (None if it holds no response record); raises on a
    damaged file, whatever its reader raises."""
    request_headers: dict[str, str] = {}
    for record in ArchiveIterator(BytesIO(data)):
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
