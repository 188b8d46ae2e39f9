"""A small static server for the bundled demo news site, used by ``make demo`` and by tests."""

from __future__ import annotations

import email.utils
import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from pipeline.records import Feed

log = logging.getLogger(__name__)

SITE = Path(__file__).parent / "site"
PLACEHOLDER = b"{{BASE}}"
TEMPLATE_SUFFIXES = frozenset({".xml", ".html"})
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}
# Both feed dialects end in .xml, as on real sites; the root element tells them apart.
FEED_ROOT = re.compile(rb"<(rss|feed)\b")
FEED_TYPES = {b"rss": "application/rss+xml", b"feed": "application/atom+xml"}
DEMO_FEEDS = (
    ("demo-wire", "/wire/rss.xml"),
    ("demo-herald", "/herald/atom.xml"),
    ("demo-retire", "/retire/feed.xml"),
)


def demo_feeds(base_url: str) -> tuple[Feed, ...]:
    """The demo site's feeds as served under ``base_url``."""
    base = base_url.rstrip("/")
    return tuple(Feed(name=name, url=base + path, topic="defection") for name, path in DEMO_FEEDS)


@contextmanager
def serve(root: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``root`` over HTTP in a daemon thread; yield the base URL, stop on exit."""
    server = _SiteServer((host, port), root.resolve())
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    log.info("serving %s at %s", root, server.base_url)
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def content_type(path: Path, body: bytes) -> str:
    """The Content-Type for a file: by suffix, and for ``.xml`` by the feed dialect of its root element."""
    if path.suffix == ".xml":
        match = FEED_ROOT.search(body[:2048])
        return FEED_TYPES[match.group(1)] if match else "application/xml"
    return CONTENT_TYPES.get(path.suffix, "application/octet-stream")


def not_modified(headers: Any, etag: str, mtime: int) -> bool:
    """Whether a conditional request's validators still match; If-None-Match wins over If-Modified-Since."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and mtime <= since.timestamp()


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        super().__init__(address, _Handler)
        self.root = root
        host, port = self.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-response are normal here; keep stderr quiet.
        log.debug("error while serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server_version = "newsfigures-demo/1.0"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _respond(self, *, send_body: bool) -> None:
        site = cast(_SiteServer, self.server)
        url_path = unquote(urlsplit(self.path).path)
        target = (site.root / url_path.lstrip("/")).resolve()
        if not target.is_relative_to(site.root):
            return self._plain(HTTPStatus.NOT_FOUND, send_body)
        if target.is_dir():
            if not url_path.endswith("/"):
                return self._redirect(url_path + "/")
            target = target / "index.html"
        if not target.is_file():
            return self._plain(HTTPStatus.NOT_FOUND, send_body)
        # Read on every request: tests and demos change files while the server runs.
        body = target.read_bytes()
        mtime = int(target.stat().st_mtime)
        if target.suffix in TEMPLATE_SUFFIXES:
            body = body.replace(PLACEHOLDER, site.base_url.encode())
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        validators = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(mtime, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if not_modified(self.headers, etag, mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._headers(validators, length=None)
            return None
        self.send_response(HTTPStatus.OK)
        self._headers({"Content-Type": content_type(target, body), **validators}, length=len(body))
        if send_body:
            self.wfile.write(body)
        return None

    def _headers(self, headers: dict[str, str], length: int | None) -> None:
        for name, value in headers.items():
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _plain(self, status: HTTPStatus, send_body: bool) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self._headers({"Content-Type": "text/plain; charset=utf-8"}, length=len(body))
        if send_body:
            self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self._headers({"Location": location}, length=0)
