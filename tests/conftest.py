"""Shared fixtures: a real local HTTP server whose routes each test defines."""

from __future__ import annotations

import atexit
import random
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pipeline.records import Feed
from pipeline.settings import Settings

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Reply:
    """What the server answers on a route."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """One request the server received (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


Handler = Callable[[Seen], Reply]


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 serving routes added with ``route``; records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        """The server's root URL, without a trailing slash."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base + path

    def route(
        self,
        path: str,
        reply: Reply | Handler | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        delay: float = 0.0,
    ) -> str:
        """Serve a fixed reply (or a function of the request) at ``path``; return the route's URL."""
        if reply is None:
            reply = Reply(status, dict(headers or {}), body, delay)
        self.routes[path] = reply if callable(reply) else (lambda _seen, fixed=reply: fixed)
        return self.url(path)

    def seen(self, path: str) -> list[Seen]:
        """The requests received on ``path``, in order."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer(b"")

            def do_POST(self) -> None:  # webhook receivers: the body is recorded with the request
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _answer(self, body: bytes) -> None:
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with server._lock:
                    server.requests.append(seen)
                handler = server.routes.get(self.path)
                reply = handler(seen) if handler else Reply(404, {"Content-Type": "text/plain"}, b"not found")
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if "content-length" not in {k.lower() for k in reply.headers}:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.status != 304:
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:  # keep pytest output quiet
                pass

        return _Handler


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A running local HTTP server, stopped after the test."""
    srv = LocalServer()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def refused_url() -> str:
    """A URL on a local port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


def data(name: str) -> bytes:
    """The bytes of a file under tests/data."""
    return (DATA / name).read_bytes()


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting: it needs a real port up front
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def lake_settings(root: Path, feeds: tuple[Feed, ...] = (), *, shared: bool = False, **overrides: Any) -> Settings:
    """A lake under ``root/lake`` for ``feeds``; loopback allowed and no per-host delay, for the local test servers.

    By default the lake is a copy of one migrated once per session, with a DuckDB-file catalog: seconds cheaper
    than migrating a SQLite catalog for every test, but one process at a time. ``shared``: the production shape
    (a SQLite catalog that readers and writers in other processes share), migrated by its first writer.
    """
    values: dict[str, Any] = {
        "allow_private_addresses": True,
        "host_delay": 0.0,
        "catalog": f"sqlite:{root}/lake/catalog.sqlite" if shared else f"{root}/lake/catalog.ducklake",
        "data_path": f"{root}/lake/data/",
        "archive_dir": root / "lake" / "archive",
        "feeds": feeds,
    }
    if not shared and "catalog" not in overrides and not (root / "lake").exists():
        _copy_template(root / "lake")
    return Settings(**(values | overrides))


_TEMPLATE: list[Path] = []


def _copy_template(lake: Path) -> None:
    """Copy the session's migrated lake to ``lake`` and point its catalog at the copy's data."""
    import duckdb

    from pipeline import warehouse

    if not _TEMPLATE:
        root = Path(tempfile.mkdtemp(prefix="newsfigures-template-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        template = Settings(catalog=f"{root}/catalog.ducklake", data_path=f"{root}/data/", archive_dir=root / "a")
        with warehouse.connect(template) as con:
            warehouse.migrate(con)
        _TEMPLATE.append(root)
    shutil.copytree(_TEMPLATE[0], lake)
    with duckdb.connect(str(lake / "catalog.ducklake")) as catalog:
        catalog.execute("UPDATE ducklake_metadata SET value = ? WHERE key = 'data_path'", [f"{lake}/data/"])


LOADED_TABLES = ("entries", "pages", "articles", "figures", "quarantine")


def table_counts(settings: Settings) -> dict[str, int]:
    """Rows per loaded table, and in the runs and feed_polls logs."""
    from pipeline import warehouse

    with warehouse.connect(settings, read_only=True) as con:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (*LOADED_TABLES, "runs", "feed_polls")
        }


@dataclass(frozen=True)
class DemoLake:
    """The demo site ingested twice into one lake, with the table counts after each pass. Read it; don't write."""

    settings: Settings
    first: dict[str, int]
    second: dict[str, int]


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> DemoLake:
    from pipeline import flow
    from pipeline.demo.server import SITE, demo_feeds, serve

    with serve(SITE) as base:
        settings = lake_settings(tmp_path_factory.mktemp("demo"), demo_feeds(base), shared=True)
        flow.run(settings, trigger="test")
        first = table_counts(settings)
        flow.run(settings, trigger="test")
        return DemoLake(settings, first, table_counts(settings))


def free_port_base(low: int, high: int, *, step: int, ports: int, twins: int) -> int:
    """A base port (``low`` <= base < ``high``, a multiple of ``step``) with ``ports`` ports from it and ``twins``
    ports from base + 10000 (SeaweedFS's gRPC ports) all free on loopback: for servers started on fixed ports."""
    for _ in range(50):
        base = random.randrange(low, high, step)
        try:
            for port in [*range(base, base + ports), *range(base + 10000, base + 10000 + twins)]:
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free block of ports on 127.0.0.1")
