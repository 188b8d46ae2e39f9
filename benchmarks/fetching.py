"""Benchmark: polling 1,000 feeds (half answering 304) and fetch + extract throughput over the Zyte benchmark pages.

Run from the project root: ``.venv/bin/python benchmarks/fetching.py [--feeds N] [--workers N] [--concurrency N]``.
Servers run in a child process, so the CPU seconds reported are the client's own (the parent process).

1. Polling: N feeds of 20 items on one local server. A first poll collects validators; the measured poll sends them:
   even feeds answer 304, odd feeds ignore them and send a new body (parsed, "changed"). Reports feeds/s and CPU s.
2. Fetch + extract: the 181 Zyte pages (../shared/benchmarks/zyte-article-extraction/html, read in place, served
   gzip-encoded as stored) fetched through the pipeline's client (guard, size cap, politeness with no delay, archive
   written) and extracted in a pool of ``--workers`` processes as they arrive, against the bound: trafilatura extracting
   the same bodies, already in memory, in a pool of the same size, in the same run. Reported as pages/s and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trafilatura

from pipeline.extract import articles
from pipeline.fetch import feeds, http, pages
from pipeline.fetch.politeness import Politeness
from pipeline.records import Feed
from pipeline.settings import Settings

BENCH = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "zyte-article-extraction"


def _rss(i: int, version: int) -> bytes:
    items = "".join(
        f"<item><title>Story {i}-{version}-{n}</title><link>http://news.example/{i}/{version}/{n}</link>"
        f"<pubDate>Mon, 22 Jan 2024 08:{n:02d}:00 +0000</pubDate><description>Item {n} of feed {i}</description></item>"
        for n in range(20)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>{items}</channel></rss>'.encode()


def _serve(ready: Any, port: Any, root: str) -> None:
    """The child process: feeds under /feed/N.xml, Zyte pages under /page/ID."""
    versions: dict[int, int] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.startswith("/feed/"):
                i = int(self.path.split("/")[-1].removesuffix(".xml"))
                if i % 2 == 0 and self.headers.get("If-None-Match") == f'"{i}"':
                    self._send(304, b"", {"ETag": f'"{i}"'})
                    return
                versions[i] = versions.get(i, 0) + 1
                self._send(200, _rss(i, versions[i]), {"ETag": f'"{i}"', "Content-Type": "application/rss+xml"})
            elif self.path.startswith("/page/"):
                body = (Path(root) / f"{self.path.split('/')[-1]}.html.gz").read_bytes()
                headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
                self._send(200, body, headers)
            else:
                self._send(404, b"", {})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.request_queue_size = 1024
    port.value = server.server_address[1]
    ready.set()
    server.serve_forever()


def polling(base: str, count: int, concurrency: int) -> dict[str, float]:
    """Poll ``count`` feeds twice; time the second poll (half 304, half changed)."""
    settings = Settings(allow_private_addresses=True, fetch_concurrency=concurrency)
    chosen = [Feed(f"f{i}", f"{base}/feed/{i}.xml", "bench") for i in range(count)]

    async def poll(previous: dict[str, feeds.Validators]) -> list[feeds.PollResult]:
        async with http.client(settings) as client:
            return await feeds.poll_all(client, chosen, previous, max_bytes=1_000_000, concurrency=concurrency)

    first = asyncio.run(poll({}))
    previous = {row.feed: validators for row, _, validators in first}
    wall, cpu = time.perf_counter(), time.process_time()
    second = asyncio.run(poll(previous))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    outcomes = [row.outcome for row, _, _ in second]
    return {
        "feeds": count,
        "not_modified": outcomes.count("not_modified"),
        "changed": outcomes.count("changed"),
        "errors": outcomes.count("error"),
        "seconds": round(wall, 2),
        "feeds_per_s": round(count / wall, 1),
        "cpu_s": round(cpu, 2),
    }


def _extract_ours(body: bytes, url: str) -> int:
    return len(articles.extract(body, url, headers={"content-type": "text/html; charset=utf-8"}).text)


def _extract_trafilatura(body: bytes, url: str) -> int:
    return len(trafilatura.extract(body.decode("utf-8", "replace"), url=url) or "")


async def _fetch_and_extract(base: str, ids: list[str], pool: Executor, extractor: object, root: Path) -> int:
    settings = Settings(allow_private_addresses=True, host_delay=0.0, host_concurrency=8, fetch_concurrency=8)
    loop = asyncio.get_running_loop()
    polite = Politeness(settings)
    gate = asyncio.Semaphore(8)

    async with http.client(settings) as client:

        async def one(pid: str) -> int:
            async with gate:
                page, response = await pages.fetch(
                    client, f"{base}/page/{pid}", archive_root=root, max_bytes=settings.max_body_bytes, polite=polite
                )
            assert response is not None, page.error
            return await loop.run_in_executor(pool, extractor, response.body, response.final_url)  # type: ignore[arg-type]

        sizes = await asyncio.gather(*(one(pid) for pid in ids))
    return sum(1 for size in sizes if size)


def throughput(base: str, workers: int) -> dict[str, float]:
    """Pages/s: fetch + extract through the pipeline, against trafilatura alone on the same bodies, same pool size."""
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    ids = list(truth)
    bodies = [(gzip.decompress((BENCH / "html" / f"{pid}.html.gz").read_bytes()), truth[pid]["url"]) for pid in ids]
    result: dict[str, float] = {"pages": len(ids), "workers": workers}
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_extract_trafilatura, *zip(*bodies[:workers], strict=True)))  # start the workers
        for name, extractor in (("trafilatura", _extract_trafilatura), ("ours", _extract_ours)):
            started = time.perf_counter()
            list(pool.map(extractor, *zip(*bodies, strict=True), chunksize=4))
            bound = len(ids) / (time.perf_counter() - started)
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                asyncio.run(_fetch_and_extract(base, ids, pool, extractor, Path(tmp)))
                fetched = len(ids) / (time.perf_counter() - started)
            result |= {
                f"{name}_in_process_pages_per_s": round(bound, 1),
                f"{name}_fetch_extract_pages_per_s": round(fetched, 1),
                f"{name}_ratio": round(fetched / bound, 2),
            }
    result["ours_fetch_extract_vs_trafilatura_bound"] = round(
        result["ours_fetch_extract_pages_per_s"] / result["trafilatura_in_process_pages_per_s"], 2
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ready = multiprocessing.Event()
    port = multiprocessing.Value("i", 0)
    child = multiprocessing.Process(target=_serve, args=(ready, port, str(BENCH / "html")), daemon=True)
    child.start()
    try:
        ready.wait(10)
        base = f"http://127.0.0.1:{port.value}"
        print(json.dumps({"polling": polling(base, args.feeds, args.concurrency)}))
        print(json.dumps({"fetch_extract": throughput(base, args.workers)}))
    finally:
        child.terminate()
        child.join()


if __name__ == "__main__":
    main()
